"""Export a trained model to one safetensors file, and read such a file back (validated).

:func:`ganzoo.loading.load_export` rebuilds the model of an export without the run folder.

The file holds only tensors (safetensors: no pickle, so opening a file never runs code), named
``role.parameter`` per network (``generator.net.0.weight``, ``gen_ab...``, ``conditioner...``), and
one JSON metadata entry under the key ``ganzoo`` with everything needed to rebuild the networks:
the run's metadata (the config with every component's registry name and keyword arguments, the
dataset's condition, class names), which parts are included, and the distribution and version
providing each component the export holds, so a missing plugin is named in the error. A
generator-only export needs only the plugins of its generators, conditioner and task: not those
of the discriminators, loss or dataset it was trained with.

Multi-network models (UGATIT's two generators) and multi-stage ones (StackGAN Stage-II, whose
generator holds its frozen Stage-I) export whole: every role of the chosen part goes in.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Collection, Literal

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save
from torch import Tensor

from ganzoo import plugins
from ganzoo.build import build_model
from ganzoo.errors import GanzooError, first_line
from ganzoo.interfaces import Condition
from ganzoo.io import atomic_write
from ganzoo.outputs import output_file
from ganzoo.registry import Registry
from ganzoo.runs.checkpoint import (
    CheckpointError,
    ComponentRecord,
    check_components,
    checked_meta,
    checked_weights,
    component_record,
    components_of,
    load_checkpoint,
    missing_components,
    read_meta,
    resolved_meta,
)
from ganzoo.version import CORE_DISTRIBUTION, __version__

#: the metadata key holding the JSON header.
HEADER_KEY = "ganzoo"
#: bumped when the header changes incompatibly; files from a newer format are refused.
FORMAT = 1
#: ``generator``: what sampling and translation need (generator roles + conditioner); ``all``: every network.
PARTS: tuple[str, ...] = ("generator", "all")
Parts = Literal["generator", "all"]


class ExportError(GanzooError):
    """An export that cannot be written or read; the message names the file."""


def exported_roles(task_class: type, conditioned: bool, parts: str) -> list[str]:
    """The networks a ``parts`` export holds: the conditioner (if any) plus all or the generator roles."""
    roles = [role for role, kind in task_class.roles.items() if parts == "all" or kind == "generator"]
    return (["conditioner"] if conditioned else []) + roles


# ----------------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------------

def export_run(run: str | Path, path: str | Path, ema: bool = True, parts: Parts = "generator") -> Path:
    """Write the model of ``run`` (a run folder or checkpoint) to ``path`` as safetensors.

    ``ema``: the generators' EMA weights where the run kept them. ``parts``: ``generator`` keeps
    what sampling and translation need; ``all`` adds the discriminators (to fine-tune elsewhere).
    """
    if parts not in PARTS:
        raise ExportError(f"--parts {parts!r}: choose one of {', '.join(PARTS)}")
    path = Path(path)
    if path.suffix != ".safetensors":
        raise ExportError(f"-o {path}: an export file name must end in .safetensors")
    output_file(path, "-o", (".safetensors",))
    state = load_checkpoint(Path(run))
    meta = read_meta(state)
    check_components(meta, plugins.registry(), run)
    resolved = resolved_meta(meta)
    mix = resolved.mix
    roles = exported_roles(mix.task_class, mix.conditioner is not None, parts)
    with_ema = ema and any(role in state.get("ema", {}) for role in roles)
    chosen = {role: state["ema"][role] if with_ema and role in state["ema"] else state["nets"].get(role, {}) for role in roles}
    with torch.device("meta"):  # shapes and dtypes only: what the weights are checked against
        shapes = build_model(resolved, Condition.parse(meta["source"]), roles=roles, states=chosen).nets
    tensors: dict[str, Tensor] = {}
    for role in roles:
        weights = chosen[role]
        if role in shapes:
            try:
                checked_weights(role, shapes[role], weights)
            except CheckpointError as error:
                raise ExportError(f"{run}: {error}") from None
        for key, value in weights.items():
            # a private contiguous copy: safetensors refuses tensors sharing memory (tied weights)
            tensors[f"{role}.{key}"] = value.detach().cpu().clone(memory_format=torch.contiguous_format)
    header = {
        "format": FORMAT,
        "ganzoo": __version__,
        "parts": parts,
        "ema": with_ema,
        "step": int(state.get("step", 0)),
        "components": [asdict(record) for record in components_of(mix, roles)],
        "meta": meta,
    }
    data = save(tensors, metadata={HEADER_KEY: json.dumps(header)})
    atomic_write(path, lambda handle: handle.write(data))
    return path


# ----------------------------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Export:
    """A read and validated export file: its header and its tensors by network role."""

    path: Path
    parts: str
    ema: bool
    step: int
    components: list[ComponentRecord]
    meta: dict[str, Any]
    tensors: dict[str, Tensor]


def read_export(path: str | Path) -> Export:
    """Read ``path`` and validate its header; any damage is an :class:`ExportError` naming the file."""
    path = Path(path)
    if not path.is_file():
        raise ExportError(f"{path}: no such export file")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            metadata = handle.metadata() or {}
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        raise ExportError(f"{path} is not a readable safetensors file ({first_line(error)})") from None
    if HEADER_KEY not in metadata:
        raise ExportError(f"{path} is a safetensors file but not a ganzoo export (no {HEADER_KEY!r} metadata); make one with `ganzoo export RUN`")
    try:
        header = json.loads(metadata[HEADER_KEY])
    except json.JSONDecodeError as error:
        raise ExportError(f"{path}: the ganzoo header is not valid JSON ({error}); the file is damaged") from None
    return _validated(path, header, tensors)


def _validated(path: Path, header: Any, tensors: dict[str, Tensor]) -> Export:
    def broken(problem: str) -> ExportError:
        return ExportError(f"{path}: damaged ganzoo header: {problem}")

    if not isinstance(header, dict):
        raise broken("expected a JSON object")
    version = header.get("format")
    if isinstance(version, int) and version > FORMAT:
        raise ExportError(f"{path} was written by a newer ganzoo ({header.get('ganzoo', '?')}, format {version}); pip install --upgrade {CORE_DISTRIBUTION}")
    expected = {"format": int, "parts": str, "ema": bool, "step": int, "components": list, "meta": dict}
    for key, kind in expected.items():
        if not isinstance(header.get(key), kind):
            raise broken(f"{key!r} missing or not a {kind.__name__}")
    if header["parts"] not in PARTS:
        raise broken(f"parts {header['parts']!r} is not one of {', '.join(PARTS)}")
    meta = checked_meta(header["meta"], broken)
    if header["step"] < 0:
        raise broken(f"'step' {header['step']} is negative")
    components = [component_record(entry, broken) for entry in header["components"]]
    return Export(path, header["parts"], header["ema"], header["step"], components, meta, tensors)


def check_installed(export: Export, registry: Registry, kinds: Collection[str] | None = None) -> None:
    """Refuse, naming the distributions to install, when components of the export (of ``kinds``,
    when given) are missing."""
    problem = missing_components([record for record in export.components if kinds is None or record.kind in kinds], registry)
    if problem:
        raise ExportError(f"{export.path} {problem}")


def weights_by_role(export: Export, roles: list[str]) -> dict[str, dict[str, Tensor]]:
    """``role.key`` tensors -> ``{role: {key: tensor}}``; names outside ``roles`` are refused."""
    weights: dict[str, dict[str, Tensor]] = {role: {} for role in roles}
    for name, tensor in export.tensors.items():
        role, dot, key = name.partition(".")
        if not dot or role not in weights:
            raise ExportError(f"{export.path}: tensor {name!r} belongs to no exported network ({', '.join(roles)}); the file is damaged")
        weights[role][key] = tensor
    return weights


def version_changes(export: Export, registry: Registry) -> str:
    """A note naming the providers whose installed version differs from the export's, often the
    reason a rebuilt network no longer fits its weights."""
    changed: list[str] = []
    for record in export.components:
        if record.name not in registry.names(record.kind):  # not needed for what was loaded
            continue
        provider = registry.get(record.kind, record.name).provider
        if provider and provider.version != record.version:
            note = f"{record.distribution} {record.version} -> {provider.version}"
            if note not in changed:
                changed.append(note)
    return f" (exported with other versions: {', '.join(changed)})" if changed else ""
