"""The writer of a run folder: its lock, and every file a run writes besides its checkpoints.

``config.json`` and ``environment.json`` when the run starts, one ``metrics.jsonl`` line per log
point or evaluation (with the same scalars in TensorBoard when installed), and the sample grids.
The folder's lock is taken here and nowhere else, for as long as the writer is open; elsewhere a
folder is only checked (:func:`refuse_if_in_use`).
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from typing import Any

import numpy
from PIL import Image

from ganzoo.errors import GanzooError
from ganzoo.images import save_picture
from ganzoo.io import atomic_write, write_json
from ganzoo.runs.checkpoint import CHECKPOINT, CONFIG, ENVIRONMENT, METRICS, PROMPTS, SAMPLES
from ganzoo.runs.lock import RunLock


class RunFolderTaken(GanzooError):
    """A new run was asked to write into a folder that already holds one."""


def refuse_if_in_use(run_dir: Path) -> None:
    """Refuse, naming the owner, when another live process writes to ``run_dir`` (nothing is taken)."""
    RunLock(run_dir).refuse_if_taken()


class TensorBoardMissing(GanzooError):
    """``--tensorboard`` without the optional package."""


def tensorboard_folder(mode: str, run_dir: Path) -> Path | None:
    """Where the run's TensorBoard events go (``None``: nowhere); ``on`` without the package is refused."""
    installed = importlib.util.find_spec("tensorboard") is not None
    if mode == "on" and not installed:
        raise TensorBoardMissing("--tensorboard: the tensorboard package is not installed: pip install 'ganzoo-core[tensorboard]' "
                                 "(or train with --no-tensorboard)")
    return run_dir / "tensorboard" if installed and mode != "off" else None


def open_tensorboard(folder: Path) -> Any:
    """A TensorBoard writer of events in ``folder``."""
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(str(folder))


class RunWriter:
    """Writes one run folder. Between :meth:`open` and :meth:`close` it holds the folder's lock;
    from :meth:`start` ``tensorboard`` is the TensorBoard writer of ``tensorboard_dir`` (the
    ``tensorboard`` setting: ``on``, ``off`` or ``auto``; ``on`` without the package is refused here)."""

    def __init__(self, run_dir: Path, tensorboard: str = "auto") -> None:
        self.run_dir = Path(run_dir)
        self.tensorboard_dir = tensorboard_folder(tensorboard, self.run_dir)
        self.tensorboard: Any = None
        self.lock: RunLock | None = None

    def open(self, fresh: bool) -> None:
        """Take the folder; ``fresh`` (a new run) refuses a folder that already holds a run."""
        self.lock = RunLock(self.run_dir).acquire()
        if fresh and (self.run_dir / CHECKPOINT).exists():
            self.close()
            raise RunFolderTaken(f"{self.run_dir} already holds a run; resume it or choose another folder")

    def start(self, meta: dict[str, Any], environment: dict[str, Any], step: int) -> None:
        """The run (re)starts at ``step``: its config and environment, and a log that ends there."""
        write_json(self.run_dir / CONFIG, meta)
        write_json(self.run_dir / ENVIRONMENT, environment)
        truncate_metrics(self.run_dir / METRICS, step)
        self.tensorboard = open_tensorboard(self.tensorboard_dir) if self.tensorboard_dir else None

    def close(self) -> None:
        if self.tensorboard is not None:
            self.tensorboard.close()
            self.tensorboard = None
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def log(self, entry: dict[str, Any]) -> None:
        """One ``metrics.jsonl`` line (``{"step": N, ...}``); its numbers also go to TensorBoard."""
        self._append(entry)
        if self.tensorboard is not None:
            for key, value in entry.items():
                if key != "step" and isinstance(value, (int, float)):
                    self.tensorboard.add_scalar(key, value, entry["step"])

    def log_evaluation(self, step: int, scores: dict[str, float]) -> None:
        """``{"step": N, "eval": {...}}``, and ``eval/NAME`` scalars in TensorBoard."""
        self._append({"step": step, "eval": scores})
        if self.tensorboard is not None:
            for name, value in scores.items():
                self.tensorboard.add_scalar(f"eval/{name}", value, step)

    def samples(self, step: int, picture: Image.Image, prompts: list[str] | None = None) -> Path:
        """The sample grid of ``step`` (also as ``latest.png`` and in TensorBoard); ``prompts``: the
        captions of a text-conditioned grid's numbered cells, written once."""
        path = self.run_dir / SAMPLES / f"step-{step:07d}.png"
        save_picture(picture, path)
        atomic_write(self.run_dir / SAMPLES / "latest.png", lambda handle: handle.write(path.read_bytes()))  # encoded once
        if prompts is not None and not (self.run_dir / SAMPLES / PROMPTS).is_file():
            write_json(self.run_dir / SAMPLES / PROMPTS, prompts)
        if self.tensorboard is not None:
            self.tensorboard.add_image("samples", numpy.asarray(picture), step, dataformats="HWC")
        return path

    def _append(self, entry: dict[str, Any]) -> None:
        with open(self.run_dir / METRICS, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")


def truncate_metrics(path: Path, step: int) -> None:
    """On resume, drop log lines written after the checkpoint so the log matches the weights."""
    if not path.is_file():
        return
    kept = [line for line in path.read_text(encoding="utf-8").splitlines() if _logged_step(line) <= step]
    atomic_write(path, lambda f: f.write(("\n".join(kept) + ("\n" if kept else "")).encode()))


def _logged_step(line: str) -> float:
    """The step of a log line; infinite (dropped) for a line a killed run left half-written."""
    try:
        entry = json.loads(line)
    except ValueError:
        return math.inf
    return entry.get("step", 0) if isinstance(entry, dict) and isinstance(entry.get("step", 0), int) else math.inf
