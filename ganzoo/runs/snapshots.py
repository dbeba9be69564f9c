"""Numbered snapshots beside the rolling checkpoint, their retention, and the best one.

``RUN/snapshots/snapshot-NNNNNNN.pt`` are full checkpoints (resumable, exportable) written every
``snapshot_every`` steps; only the newest ``keep_snapshots`` stay (0 keeps all), plus the best.
After each evaluation the weights that score best so far on ``best_metric`` are kept as
``RUN/best.pt`` (a hard link to that step's snapshot when there is one), with ``RUN/best.json``
saying which step, metric and value.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Callable

from ganzoo import plugins
from ganzoo.errors import GanzooError
from ganzoo.io import write_json
from ganzoo.metrics import higher_is_better

SNAPSHOTS = "snapshots"
BEST = "best.pt"
BEST_RECORD = "best.json"
_NAME = re.compile(r"snapshot-(\d+)\.pt")


class SnapshotError(GanzooError):
    pass


def snapshot_path(run_dir: Path, step: int) -> Path:
    return Path(run_dir) / SNAPSHOTS / f"snapshot-{step:07d}.pt"


def snapshot_steps(run_dir: Path) -> list[int]:
    """Steps of the snapshots in ``run_dir``, oldest first."""
    folder = Path(run_dir) / SNAPSHOTS
    if not folder.is_dir():
        return []
    return sorted(int(m.group(1)) for p in folder.iterdir() if (m := _NAME.fullmatch(p.name)))


def read_best(run_dir: Path) -> dict[str, Any] | None:
    """``best.json`` of a run: ``{"step", "metric", "value", "higher_is_better", "eval"}``, or None."""
    path = Path(run_dir) / BEST_RECORD
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def checkpoint_of(run: Path, best: bool = False, snapshot: int | None = None) -> Path:
    """The checkpoint ``--best`` or ``--snapshot N`` names in run folder ``run``."""
    run = Path(run)
    if not (best or snapshot is not None):
        return run
    if not run.is_dir():
        raise SnapshotError(f"{run}: --best and --snapshot need a run folder, not a file")
    if best:
        if not (run / BEST).is_file():
            raise SnapshotError(f"{run} has no best model: train with --eval-every N (and --best-metric NAME) to keep one")
        return run / BEST
    path = snapshot_path(run, snapshot)
    if not path.is_file():
        steps = snapshot_steps(run)
        kept = f"kept: {', '.join(map(str, steps))}" if steps else "the run kept none (train with --snapshot-every K)"
        raise SnapshotError(f"--snapshot {snapshot}: {run} has no snapshot of that step; {kept}")
    return path


class Snapshots:
    """Retention of a run's snapshots and the choice of its best weights."""

    def __init__(self, run_dir: Path, keep: int, metric: str = "") -> None:
        if keep < 0:
            raise SnapshotError(f"keep_snapshots must be >= 0 (0 keeps all), got {keep}")
        self.run_dir, self.keep, self.metric = Path(run_dir), keep, metric
        self.best = read_best(self.run_dir)  # a resumed run competes with its earlier best

    def prune(self) -> list[int]:
        """Delete all but the newest ``keep`` snapshots and the best one; returns the steps deleted."""
        steps = snapshot_steps(self.run_dir)
        if not self.keep:
            return []
        best_step = self.best["step"] if self.best else None
        doomed = [s for s in steps[:-self.keep] if s != best_step]
        for step in doomed:
            snapshot_path(self.run_dir, step).unlink(missing_ok=True)
        return doomed

    def score(self, evaluation: dict[str, float]) -> tuple[str, float]:
        """The metric that decides (``best_metric``, else the first evaluated) and its value."""
        name = self.metric or next(iter(evaluation))
        if name not in evaluation:
            raise SnapshotError(f"best_metric {name!r} is not evaluated; evaluated: {', '.join(evaluation)} (set --best-metric to one of them)")
        return name, float(evaluation[name])

    def improves(self, evaluation: dict[str, float]) -> bool:
        name, value = self.score(evaluation)
        if self.best is None or self.best["metric"] != name:
            return True
        return value > self.best["value"] if higher_is_better(name, plugins.registry()) else value < self.best["value"]

    def keep_best(self, step: int, evaluation: dict[str, float], write: Callable[[Path], None]) -> None:
        """Make ``best.pt`` the weights of ``step``: a hard link to its snapshot, else ``write(path)``."""
        name, value = self.score(evaluation)
        target = self.run_dir / BEST
        snapshot = snapshot_path(self.run_dir, step)
        if not (snapshot.is_file() and _link(snapshot, target)):
            write(target)
        self.best = {"step": step, "metric": name, "value": value, "higher_is_better": higher_is_better(name, plugins.registry()), "eval": dict(evaluation)}
        write_json(self.run_dir / BEST_RECORD, self.best)
        self.prune()  # the snapshot of the former best may now go


def _link(source: Path, target: Path) -> bool:
    """Hard-link ``source`` to ``target`` atomically (link to a temporary name, then rename)."""
    temporary = target.with_name(f".{target.name}.link")
    temporary.unlink(missing_ok=True)
    try:
        os.link(source, temporary)
    except OSError:  # file systems without hard links: the caller writes a copy
        return False
    os.replace(temporary, target)
    return True
