"""Atomic, pickle-free checkpoints and run folders.

Checkpoints hold only tensors, numbers, strings and containers of them, so they load with
``torch.load(weights_only=True)``: opening a checkpoint never executes code.
"""

from __future__ import annotations

import json
import pickle
import warnings
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Collection

import torch

from ganzoo import plugins
from ganzoo.config import TrainConfig, from_plain
from ganzoo.errors import GanzooError
from ganzoo.io import atomic_write
from ganzoo.mix import Mix
from ganzoo.registry import Registry
from ganzoo.resolve import ResolvedRun, checked
from ganzoo.version import CORE_DISTRIBUTION, FORMER_CORE_DISTRIBUTIONS, __version__

CHECKPOINT = "checkpoint.pt"
CONFIG = "config.json"
METRICS = "metrics.jsonl"
#: where the run trained (device, precision, versions), for its report.
ENVIRONMENT = "environment.json"
SAMPLES = "samples"
#: beside text-conditioned sample grids: the caption of each numbered cell, in order.
PROMPTS = "prompts.json"
#: ``ganzoo evaluate``'s latest result, every result (one JSON line each) and its grid.
EVALUATION, EVALUATIONS, EVALUATION_GRID = "evaluation.json", "evaluations.jsonl", "evaluation.png"


def evaluation_paths(model: Path) -> tuple[Path, Path, Path]:
    """Where a model's evaluation, evaluations log and grid go: in a run folder, or beside a file."""
    if model.is_dir():
        return model / EVALUATION, model / EVALUATIONS, model / EVALUATION_GRID
    return tuple(model.with_name(f"{model.stem}-{name}") for name in (EVALUATION, EVALUATIONS, EVALUATION_GRID))


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


#: (kind, name) -> the plugin distribution a component moved to from the core. Runs and exports
#: saved before the move record ``ganzoo`` as its provider; a missing one is asked for by its new home.
MOVED_FROM_CORE: dict[tuple[str, str], str] = {
    ("task", "paired"): "ganzoo-pix2pix",
    ("dataset", "captions-reed"): "ganzoo-stackgan",
    ("dataset", "cub200-reed"): "ganzoo-stackgan",
    ("dataset", "flowers102-reed"): "ganzoo-stackgan",
}


@dataclass(frozen=True)
class ComponentRecord:
    """A component a model is built from, and the distribution that provided it when saved."""

    kind: str
    name: str
    distribution: str
    version: str

    @property
    def provider(self) -> tuple[str, str]:
        """(distribution, version) to install it from today: its plugin if it left the core since."""
        moved = MOVED_FROM_CORE.get((self.kind, self.name)) if self.distribution in (CORE_DISTRIBUTION, *FORMER_CORE_DISTRIBUTIONS) else None
        return (moved, "") if moved else (self.distribution, self.version)


def components_of(mix: Mix, roles: Collection[str] | None = None) -> list[ComponentRecord]:
    """The components of a checked mix with their providers. ``roles``: only what rebuilding those
    networks needs (their components, the conditioner and the task), not the loss or dataset."""
    nets = [item for role, item in mix.nets.items() if roles is None or role in roles]
    rest = [mix.loss, mix.task, mix.dataset] if roles is None else [mix.task]
    records = []
    for item in [*nets, *([mix.conditioner] if mix.conditioner else []), *rest]:
        provider = item.component.provider
        record = ComponentRecord(item.component.kind, item.name, provider.distribution if provider else "(unknown)",
                                 provider.version if provider else "?")
        if record not in records:
            records.append(record)
    return records


def missing_components(records: list[ComponentRecord], registry: Registry) -> str | None:
    """``None`` when every recorded component is registered; else a message naming what is missing
    and the distributions to install (or the cause, where one is installed but broken)."""
    missing: dict[str, list[str]] = {}
    versions: dict[str, str] = {}
    for record in records:
        if record.name not in registry.names(record.kind):
            distribution, version = record.provider
            missing.setdefault(distribution, []).append(f"{record.kind} {record.name!r}")
            versions[distribution] = versions.get(distribution) or version
    if not missing:
        return None
    broken = {b.distribution: b for b in plugins.host().broken}
    for distribution, what in missing.items():
        if distribution in broken:
            return f"needs {', '.join(what)} from {distribution}, which is installed but failed to load: {broken[distribution].cause}"
    needs = "; ".join(f"{', '.join(what)} from {' '.join(filter(None, (dist, versions[dist])))}" for dist, what in missing.items())
    core = {CORE_DISTRIBUTION, *FORMER_CORE_DISTRIBUTIONS}
    hint = f"pip install --upgrade {CORE_DISTRIBUTION} (this is {__version__})" if core & set(missing) else f"pip install {' '.join(missing)}"
    return f"needs {needs}, which {'is' if len(missing) == 1 else 'are'} not installed: {hint}"


def run_meta(config: TrainConfig, dataset: Any, mix: Mix) -> dict[str, Any]:
    """What a run or export needs to be rebuilt: config, data condition, versions, and the
    distribution providing each component (named when one is missing at load time)."""
    host = plugins.host()
    return {
        "config": config.to_dict(),
        "source": dataset.condition.to_dict(),
        "class_names": getattr(dataset, "class_names", None),
        "ganzoo": __version__,
        "plugins": {p.distribution: p.version for p in host.providers.values()},
        "components": [asdict(record) for record in components_of(mix)],
    }


def check_components(meta: dict[str, Any], registry: Registry, source: str | Path) -> None:
    """Refuse a saved run whose components are not all installed, naming the distributions
    (runs saved before components were recorded are not checked here)."""
    problem = missing_components([ComponentRecord(**entry) for entry in meta.get("components", [])], registry)
    if problem:
        raise CheckpointError(f"{source} {problem}")


def config_from_meta(meta: dict[str, Any]) -> TrainConfig:
    """The typed config saved in run metadata; its values are checked by :func:`ganzoo.resolve.checked`
    (through :func:`resolved_meta`, or after a resume's changes)."""
    return from_plain(TrainConfig, meta["config"], "saved config")


def resolved_meta(meta: dict[str, Any], registry: Registry | None = None) -> ResolvedRun:
    """The run described by saved metadata, checked against ``registry`` (default: the installed plugins)."""
    return checked(config_from_meta(meta), registry or plugins.registry())
