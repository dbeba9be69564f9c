"""Load a trained model from a run folder, a checkpoint or an export, and use it.

``ganzoo.load(path)`` rebuilds the networks from the saved description (registry names and
keyword arguments), loads the weights (EMA by default) and returns a :class:`LoadedModel` with
``sample`` and ``translate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Collection, Sequence

import torch
from torch import Tensor

from ganzoo import plugins
from ganzoo.build import Model, build_model
from ganzoo.errors import GanzooError
from ganzoo.interfaces import Condition
from ganzoo.train.checkpoint import load_checkpoint, read_meta
from ganzoo.train.runtime import evaluating, resolve_device


@dataclass
class LoadedModel:
    """Built networks with their weights, the task that drives them, and the saved metadata."""

    model: Model
    meta: dict[str, Any]
    device: torch.device

    @property
    def task(self):
        return self.model.task

    @property
    def nets(self):
        return self.model.nets

    @property
    def class_names(self) -> list[str] | None:
        return self.meta.get("class_names")

    def label_of(self, value: str | int) -> int:
        """A class index from an index or a class name."""
        classes = self.model.source.dim
        if isinstance(value, str) and not value.lstrip("-").isdigit():
            names = self.class_names or []
            if value not in names:
                raise GanzooError(f"--class {value!r}: unknown class; valid: {', '.join(names) or f'0..{classes - 1}'}")
            return names.index(value)
        index = int(value)
        if not 0 <= index < classes:
            raise GanzooError(f"--class {index}: out of range; valid: 0..{classes - 1}")
        return index

    @property
    def condition(self) -> str:
        """What the model is conditioned on, in words: ``unconditional``, ``class-conditional``, ..."""
        kind = self.model.source.kind
        return "unconditional" if kind == "none" else f"{kind}-conditional"

    @torch.no_grad()
    def sample(self, n: int, *, prompts: Sequence[str] = (), classes: Sequence[str | int] = (), seed: int = 0) -> dict[str, Tensor]:
        """``n`` images (by output name, e.g. ``samples``), from noise seeded with ``seed``."""
        task, source = self.task, self.model.source
        if not hasattr(task, "sample_inputs"):
            raise GanzooError("this model translates images; use `ganzoo translate` instead of sampling")
        raw: Any = None
        if source.kind == "text":
            if classes:
                raise GanzooError("this model is text-conditional: it takes --prompt, not --class")
            if not prompts:
                raise GanzooError("this model is text-conditional: give at least one --prompt")
            raw = [prompts[i % len(prompts)] for i in range(n)]
        elif source.kind == "class":
            if prompts:
                raise GanzooError("this model is class-conditional: it takes --class, not --prompt")
            labels = [self.label_of(c) for c in classes] or list(range(source.dim))
            raw = torch.tensor([labels[i % len(labels)] for i in range(n)], device=self.device)
        elif prompts or classes:
            raise GanzooError("this model is unconditional: it takes neither --prompt nor --class")
        latent = max((getattr(net, "latent_dim", 0) for net in self.nets.values()), default=0)
        inputs = task.sample_inputs(n, raw, latent, torch.Generator().manual_seed(seed), self.device)
        # networks drawing their own noise (conditioning augmentation) repeat for a seed too; the
        # caller's random state is left as it was
        with torch.random.fork_rng(devices=[self.device] if self.device.type == "cuda" else []), evaluating(self.nets.values()):
            torch.manual_seed(seed)
            return task.render(self.nets, inputs)

    @torch.no_grad()
    def translate(self, images: Tensor, **options: Any) -> dict[str, Tensor]:
        """Translate a batch of images in [-1, 1]; returns the task's named outputs (``output``, ...)."""
        if hasattr(self.task, "sample_inputs"):
            raise GanzooError(f"this model is {self.condition}: it generates from noise and translates nothing; use `ganzoo sample`")
        with evaluating(self.nets.values()):
            return self.task.render(self.nets, {"source": images.to(self.device), **options})


def from_state(meta: dict[str, Any], weights: dict[str, dict[str, Tensor]], device: str | torch.device = "cpu",
               roles: Collection[str] | None = None) -> LoadedModel:
    """Rebuild the model described by ``meta`` and load ``weights`` (role -> state dict).

    ``roles`` rebuilds only those networks (plus the conditioner), e.g. a generator-only export.
    """
    from ganzoo.train.checkpoint import config_from_meta

    config = config_from_meta(meta)
    target = resolve_device(str(device))
    model = build_model(config, plugins.registry(), Condition.parse(meta["source"]), roles=roles, states=weights)
    unknown = sorted(set(weights) - set(model.nets))
    if unknown:
        raise GanzooError(f"saved weights hold network {unknown[0]!r}, which this model does not have (it has {', '.join(model.nets)})")
    for role, net in model.nets.items():
        if role not in weights:
            raise GanzooError(f"saved weights lack network {role!r} (have {', '.join(weights)})")
        try:
            net.load_state_dict(weights[role])
        except RuntimeError as error:
            raise GanzooError(f"saved weights for {role!r} do not fit its network ({mismatch(error)})") from None
    return LoadedModel(model.to(target), meta, target)


def mismatch(error: RuntimeError) -> str:
    """The first specific line of a ``load_state_dict`` error (its first line only names the class)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    detail = lines[1] if len(lines) > 1 and lines[0].startswith("Error(s) in loading state_dict") else lines[0] if lines else ""
    return detail[:200]


def load_run(path: Path, device: str | torch.device = "cpu", ema: bool = True) -> LoadedModel:
    """A run folder or its checkpoint file: EMA generator weights where the run kept them."""
    state = load_checkpoint(Path(path))
    weights = dict(state["nets"])
    if ema:
        weights.update(state.get("ema", {}))
    return from_state(read_meta(state), weights, device)


def load(path: str | Path, device: str | torch.device = "cpu", ema: bool = True) -> LoadedModel:
    """Load a run folder, a checkpoint (.pt) or an export (.safetensors)."""
    path = Path(path)
    if path.suffix == ".safetensors":
        from ganzoo.export import load_export

        return load_export(path, device=device, ema=ema)
    if not path.exists():
        raise GanzooError(f"{path}: no such run folder, checkpoint or export")
    return load_run(path, device, ema)
