"""Atomic, pickle-free checkpoints and run folders.

Checkpoints hold only tensors, numbers, strings and containers of them, so they load with
``torch.load(weights_only=True)``: opening a checkpoint never executes code.
"""

from __future__ import annotations

import json
import pickle
import warnings
import zipfile
from pathlib import Path
from typing import Any

import torch

import ganzoo
from ganzoo.errors import GanzooError
from ganzoo.io import atomic_write
from ganzoo.presets import TrainConfig, check_config, from_plain

CHECKPOINT = "checkpoint.pt"
CONFIG = "config.json"
METRICS = "metrics.jsonl"
#: where the run trained (device, precision, versions), for its report.
ENVIRONMENT = "environment.json"
SAMPLES = "samples"
#: beside text-conditioned sample grids: the caption of each numbered cell, in order.
PROMPTS = "prompts.json"


class CheckpointError(GanzooError):
    pass


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


def run_meta(config: TrainConfig, dataset: Any) -> dict[str, Any]:
    """What a run or export needs to be rebuilt: config, data condition, versions."""
    from ganzoo import plugins

    host = plugins.host()
    return {
        "config": config.to_dict(),
        "source": dataset.condition.to_dict(),
        "class_names": getattr(dataset, "class_names", None),
        "ganzoo": ganzoo.__version__,
        "plugins": {p.distribution: p.version for p in host.providers.values()},
    }


def config_from_meta(meta: dict[str, Any]) -> TrainConfig:
    config = from_plain(TrainConfig, meta["config"], "saved config")
    check_config(config)
    return config
