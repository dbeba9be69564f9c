"""Atomic, pickle-free checkpoints and run folders.

Checkpoints hold only tensors, numbers, strings and containers of them, so they load with
``torch.load(weights_only=True)``: opening a checkpoint never executes code.
"""

from __future__ import annotations

import json
import pickle
import shutil
import warnings
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Collection

import torch

from ganzoo import plugins
from ganzoo.config import TrainConfig, from_plain
from ganzoo.errors import GanzooError, first_line
from ganzoo.io import atomic_write
from ganzoo.mix import Mix
from ganzoo.registry import KINDS, Registry
from ganzoo.resolve import ResolvedRun, checked
from ganzoo.version import CORE_DISTRIBUTION, DISTRIBUTIONS, FORMER_CORE_DISTRIBUTIONS, __version__

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


#: the distributions ganzoo itself publishes: the only names an install hint suggests as a command
#: (a saved file's names come from whoever wrote it, and could point at a look-alike package).
KNOWN_DISTRIBUTIONS = frozenset({*DISTRIBUTIONS.values(), *FORMER_CORE_DISTRIBUTIONS})


class CheckpointError(GanzooError):
    pass


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` atomically: a failed write (a full disk) leaves the previous checkpoint whole."""
    try:
        atomic_write(path, lambda f: torch.save(state, f))
    except RuntimeError as error:  # torch's zip writer reports a failed write as its own assertion
        free = shutil.disk_usage(Path(path).parent).free
        raise CheckpointError(f"{path}: could not write the checkpoint ({first_line(error, 120)}; {free / 2**20:.0f} MiB free on its disk); "
                              "the previous checkpoint is kept") from None


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
    problem = _state_problem(state)
    if problem:
        raise CheckpointError(f"{path}: damaged checkpoint: {problem}")
    read_meta(state, path)
    return state


def _state_problem(state: dict[str, Any]) -> str | None:
    """What is wrong with the layout of a loaded checkpoint (``None``: nothing)."""
    for key in ("nets", "ema"):
        nets = state.get(key, {})
        if not isinstance(nets, dict) or not all(isinstance(w, dict) and all(isinstance(t, torch.Tensor) for t in w.values())
                                                  for w in nets.values()):
            return f"{key!r} is not a table of networks' tensors"
    step = state.get("step", 0)
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        return f"'step' {step!r} is not a step number (an integer >= 0)"
    return None


def checked_weights(role: str, net: torch.nn.Module, weights: dict[str, torch.Tensor]) -> None:
    """Refuse saved weights that could only give garbage: a float parameter stored as an integer or
    bool tensor, or holding NaN or infinite values (the file is damaged, or the run diverged)."""
    expected = net.state_dict()
    for key, tensor in weights.items():
        if key not in expected:
            continue  # load_state_dict names unexpected keys
        if tensor.is_floating_point() != expected[key].is_floating_point():
            raise CheckpointError(f"saved weights for {role!r}: {key} is {tensor.dtype} where the network holds {expected[key].dtype}; "
                              "the file is damaged")
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise CheckpointError(f"saved weights for {role!r}: {key} holds NaN or infinite values, so every image would be "
                              "garbage; the file is damaged, or the run diverged (use an earlier snapshot)")


def read_meta(state: dict[str, Any], path: Path | str = "checkpoint") -> dict[str, Any]:
    """The checked metadata of a checkpoint (saved as JSON text); :func:`load_checkpoint` checks it first."""
    try:
        meta = json.loads(state["meta"])
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: damaged checkpoint: its metadata is not JSON text ({first_line(error)})") from None
    return checked_meta(meta, lambda problem: CheckpointError(f"{path}: damaged checkpoint: {problem}"))


def checked_meta(meta: Any, broken: Callable[[str], Exception]) -> dict[str, Any]:
    """``meta`` if it has the layout :func:`run_meta` writes (checkpoints, config.json, exports);
    else ``broken(problem)`` is raised, the problem naming the field."""
    if not isinstance(meta, dict):
        raise broken(f"'meta' is a JSON {type(meta).__name__}, not an object")
    if not isinstance(meta.get("config"), dict) or not isinstance(meta.get("source"), dict):
        raise broken("'meta' lacks the run's 'config' or 'source'")
    source = meta["source"]
    dim = source.get("dim", 0)
    if not isinstance(source.get("kind"), str) or not isinstance(dim, int) or isinstance(dim, bool) or dim < 0:
        raise broken(f"'meta.source' {source!r} is not {{kind: text, dim: integer >= 0}}")
    names = meta.get("class_names")
    if names is not None and not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
        raise broken(f"'meta.class_names' {names!r} is not a list of names")
    components = meta.get("components", [])
    if not isinstance(components, list):
        raise broken(f"'meta.components' {components!r} is not a list")
    for entry in components:
        component_record(entry, broken)
    return meta


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


def component_record(entry: Any, broken: Callable[[str], Exception]) -> ComponentRecord:
    """A saved component entry as a record; ``broken(problem)`` is raised when it is not one."""
    if not isinstance(entry, dict) or set(entry) != {"kind", "name", "distribution", "version"} or not all(isinstance(v, str) for v in entry.values()):
        raise broken(f"component entry {entry!r} is not {{kind, name, distribution, version}}")
    if entry["kind"] not in KINDS:
        raise broken(f"component kind {entry['kind']!r} is not one of {', '.join(KINDS)}")
    return ComponentRecord(**entry)


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
    def source(dist: str) -> str:  # names from the file are quoted unless the distribution is one of ganzoo's own
        own = dist in KNOWN_DISTRIBUTIONS
        return " ".join(text if own else repr(text) for text in filter(None, (dist, versions[dist])))

    needs = "; ".join(f"{', '.join(what)} from {source(dist)}" for dist, what in missing.items())
    distributions = list(missing)
    core = {CORE_DISTRIBUTION, *FORMER_CORE_DISTRIBUTIONS}
    trusted = [dist for dist in distributions if dist in KNOWN_DISTRIBUTIONS and dist not in core]
    hints = [f"pip install --upgrade {CORE_DISTRIBUTION} (this is {__version__})"] if core & set(distributions) else []
    hints += [f"pip install {' '.join(trusted)}"] if trusted else []
    unknown = [dist for dist in distributions if dist not in KNOWN_DISTRIBUTIONS]
    if unknown:  # a name written by whoever made the file: never suggested as a command
        hints.append(f"the file names {', '.join(map(repr, unknown))}, which ganzoo does not know: check who publishes "
                     f"{'it' if len(unknown) == 1 else 'them'} before installing anything")
    return f"needs {needs}, which {'is' if len(missing) == 1 else 'are'} not installed: {'; '.join(hints)}"


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


#: the kinds of component sampling and translation rebuild: what a generator-only export records.
GENERATOR_KINDS: tuple[str, ...] = ("generator", "conditioner", "task")


def check_components(meta: dict[str, Any], registry: Registry, source: str | Path, kinds: Collection[str] | None = None) -> None:
    """Refuse a saved run whose components (of ``kinds``, when given) are not all installed, naming
    the distributions (runs saved before components were recorded are not checked here)."""
    records = [ComponentRecord(**entry) for entry in meta.get("components", [])]  # entries checked by checked_meta
    problem = missing_components([record for record in records if kinds is None or record.kind in kinds], registry)
    if problem:
        raise CheckpointError(f"{source} {problem}")


def config_from_meta(meta: dict[str, Any]) -> TrainConfig:
    """The typed config saved in run metadata; its values are checked by :func:`ganzoo.resolve.checked`
    (through :func:`resolved_meta`, or after a resume's changes)."""
    return from_plain(TrainConfig, meta["config"], "saved config")


def resolved_meta(meta: dict[str, Any], registry: Registry | None = None) -> ResolvedRun:
    """The run described by saved metadata, checked against ``registry`` (default: the installed plugins)."""
    return checked(config_from_meta(meta), registry or plugins.registry())
