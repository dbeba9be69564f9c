"""Atomic, pickle-free checkpoints and run folders.

Checkpoints hold only tensors, numbers, strings and containers of them, so they load with
``torch.load(weights_only=True)``: opening a checkpoint never executes code.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import tempfile
import warnings
import zipfile
from pathlib import Path
from typing import Any, Callable

import torch

from ganzoo.errors import GanzooError

CHECKPOINT = "checkpoint.pt"
CONFIG = "config.json"
METRICS = "metrics.jsonl"
SAMPLES = "samples"
_UMASK = os.umask(0)
os.umask(_UMASK)


class CheckpointError(GanzooError):
    pass


def atomic_write(path: Path, write: Callable[[io.BufferedWriter], None]) -> None:
    """Write via a temporary file in the same folder, fsync, then rename over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_json(path: Path, data: Any) -> None:
    atomic_write(path, lambda f: f.write((json.dumps(data, indent=2, sort_keys=False) + "\n").encode()))


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    atomic_write(path, lambda f: torch.save(state, f))


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Load a checkpoint without unpickling arbitrary objects; a clear error when unusable."""
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        with warnings.catch_warnings():  # torch warns about foreign pickle protocols before refusing them
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError if zipfile.is_zipfile(path) else ():  # torch's message advises weights_only=False: never here
        raise CheckpointError(f"{path} is not a ganzoo checkpoint: it holds objects other than tensors, "
                              "which ganzoo does not unpickle") from None
    except Exception:  # truncated, corrupted or foreign files
        raise CheckpointError(f"{path} is not a ganzoo checkpoint: not a readable torch file "
                              "(a run folder, its checkpoint.pt or a .safetensors export is expected)") from None
    if not isinstance(state, dict) or "meta" not in state or "nets" not in state:
        raise CheckpointError(f"{path} is not a ganzoo checkpoint (missing 'meta' or 'nets')")
    return state


def read_meta(state: dict[str, Any]) -> dict[str, Any]:
    return json.loads(state["meta"])
