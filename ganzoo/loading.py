"""Load a trained model from a run folder, a checkpoint or an export, and use it.

``ganzoo.load(path)`` rebuilds the networks from the saved description (registry names and
keyword arguments), loads the weights (EMA by default) and returns a :class:`LoadedModel` with
``sample`` and ``translate``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Collection, Sequence

import torch
from torch import Tensor

from ganzoo import hub, plugins
from ganzoo.build import Model, build_dataset, build_model
from ganzoo.config import TrainConfig
from ganzoo.data.base import InMemoryDataset
from ganzoo.errors import GanzooError, first_line
from ganzoo.export import ExportError, Parts, check_installed, exported_roles, read_export, version_changes, weights_by_role
from ganzoo.interfaces import Condition, GenerativeTask, Task, Translation, TranslationTask
from ganzoo.latent import MIN_TRUNCATION, slerp, truncate
from ganzoo.layers import evaluating
from ganzoo.mix import resolve
from ganzoo.registry import Registry
from ganzoo.resolve import ResolvedRun, checked
from ganzoo.runs.checkpoint import (
    GENERATOR_KINDS,
    CheckpointError,
    check_components,
    checked_weights,
    config_from_meta,
    load_checkpoint,
    read_meta,
    resolved_meta,
)
from ganzoo.train.runtime import resolve_device


@dataclass
class LoadedModel:
    """Built networks with their weights, the task that drives them, the saved metadata, and the
    checked run they were built from (to build its dataset, e.g. example inputs)."""

    model: Model
    meta: dict[str, Any]
    device: torch.device
    resolved: ResolvedRun
    #: where on this machine it was read from: the run folder, checkpoint or export (for an
    #: ``hf://`` reference, the file in the Hub cache).
    source: Path

    @property
    def task(self) -> Task:
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
    def step(self) -> int | None:
        """The training step the weights are from."""
        return (self.meta.get("export") or self.meta.get("checkpoint") or {}).get("step")

    def dataset(self, *, held_out: bool = False, count: int | None = None) -> InMemoryDataset:
        """The model's own dataset at its resolution (as stored at training, e.g. its captions).

        ``held_out``: what it did not train on, its ``test`` split, or for a generated dataset a
        draw from another seed; ``count`` caps the images of datasets that take a count.
        """
        run = self.resolved
        if run.mix.dataset is None:  # loaded from a generator-only export: the dataset was not needed until now
            run = checked(run.config, run.registry)
        item = run.mix.dataset
        params = item.component.parameters()
        overrides: dict[str, Any] = {"load_size": self.model.config.resolution}
        if held_out and "split" in params:
            overrides["split"] = "test"
        elif held_out and "seed" in params:
            overrides["seed"] = int(item.kwargs.get("seed", params["seed"])) + 1
        if count is not None and "count" in params:
            overrides["count"] = count
        return build_dataset(run, **overrides)

    @property
    def condition(self) -> str:
        """What the model is conditioned on, in words: ``unconditional``, ``class-conditional``, ..."""
        kind = self.model.source.kind
        return "unconditional" if kind == "none" else f"{kind}-conditional"

    def conditions(self, n: int, prompts: Sequence[str] = (), classes: Sequence[str | int] = ()) -> Any:
        """The raw condition of ``n`` samples: captions or labels (cycled), None when unconditional."""
        n = count_argument(n, "n")
        prompts, classes = texts_argument(prompts, "prompts"), classes_argument(classes)
        source = self.model.source
        if not isinstance(self.task, GenerativeTask):
            raise GanzooError("this model translates images; use `ganzoo translate` instead of sampling")
        if source.kind == "text":
            if classes:
                raise GanzooError("this model is text-conditional: it takes --prompt, not --class")
            if not prompts:
                raise GanzooError("this model is text-conditional: give at least one --prompt")
            return [prompts[i % len(prompts)] for i in range(n)]
        if source.kind == "class":
            if prompts:
                raise GanzooError("this model is class-conditional: it takes --class, not --prompt")
            labels = [self.label_of(c) for c in classes] or list(range(source.dim))
            return torch.tensor([labels[i % len(labels)] for i in range(n)], device=self.device)
        if prompts or classes:
            raise GanzooError("this model is unconditional: it takes neither --prompt nor --class")
        return None

    def _inputs(self, n: int, raw: Any, seed: int, truncation: float | None) -> dict[str, Any]:
        """The task's sampling inputs for ``n`` samples from noise seeded with ``seed``."""
        latent = max((getattr(net, "latent_dim", 0) for net in self.nets.values()), default=0)
        generator = torch.Generator().manual_seed(seed)
        assert isinstance(self.task, GenerativeTask)  # conditions() said so
        inputs = self.task.sample_inputs(n, raw, latent, generator, self.device)
        if truncation is not None:
            inputs["z"] = truncate(self._noise(inputs, "--truncation"), truncation, generator)
        return inputs

    def _noise(self, inputs: dict[str, Any], flag: str) -> Tensor:
        if not isinstance(inputs.get("z"), Tensor):
            raise GanzooError(f"{flag}: this model's sampler takes no noise vector z, so there is nothing to {flag.strip('-')}")
        return inputs["z"]

    def _render(self, inputs: dict[str, Any], seed: int) -> dict[str, Tensor]:
        # networks drawing their own noise (conditioning augmentation) repeat for a seed too; the
        # caller's random state is left as it was
        with torch.no_grad(), torch.random.fork_rng(devices=[self.device] if self.device.type == "cuda" else []), \
                evaluating(self.nets.values()):
            torch.manual_seed(seed)
            return self.task.render(self.nets, inputs)

    def sample(self, n: int, *, prompts: Sequence[str] = (), classes: Sequence[str | int] = (), seed: int = 0,
               truncation: float | None = None) -> dict[str, Tensor]:
        """``n`` images (by output name, e.g. ``samples``), from noise seeded with ``seed``;
        ``truncation``: redraw noise entries beyond that magnitude (see :func:`ganzoo.latent.truncate`)."""
        seed, truncation = seed_argument(seed), truncation_argument(truncation)
        return self._render(self._inputs(n, self.conditions(n, prompts, classes), seed, truncation), seed)

    def interpolate(self, paths: int, frames: int, *, prompts: Sequence[str] = (), classes: Sequence[str | int] = (),
                    seed: int = 0, truncation: float | None = None) -> dict[str, Tensor]:
        """``paths`` rows of ``frames`` images walking the noise of seed ``seed + r`` to ``seed + r + 1``
        by :func:`ganzoo.latent.slerp`; row ``r`` keeps the ``r``-th condition. Each row ends where
        the next begins, and a row starts from the first noise vector of ``sample(seed=seed + r)``."""
        paths, frames = count_argument(paths, "paths"), count_argument(frames, "frames")
        count_argument(paths * frames, "paths x frames")
        seed, truncation = seed_argument(seed, paths + 1), truncation_argument(truncation)
        raw = self.conditions(paths, prompts, classes)
        keys = [self._noise(self._inputs(1, None if raw is None else raw[:1], seed + k, truncation), "--interpolate")
                for k in range(paths + 1)]
        t = torch.linspace(0, 1, frames)
        noise = torch.cat([slerp(keys[r], keys[r + 1], t) for r in range(paths)])
        if isinstance(raw, list):
            raw = [text for text in raw for _ in range(frames)]
        elif raw is not None:
            raw = raw.repeat_interleave(frames)
        inputs = self._inputs(paths * frames, raw, seed, None)
        inputs["z"] = noise.to(inputs["z"])
        return self._render(inputs, seed)

    @torch.no_grad()
    def translate(self, images: Tensor, direction: str | None = None) -> Translation:
        """Translate a batch of images in [-1, 1]: the output and every extra output the task
        declares (:attr:`TranslationTask.extras`). ``direction`` picks the way of a two-way model."""
        task = self.task
        if not isinstance(task, TranslationTask):
            raise GanzooError(f"this model is {self.condition}: it generates from noise and translates nothing; use `ganzoo sample`")
        images_argument(images, self.model.config.channels)
        with evaluating(self.nets.values()):
            result = task.translate(self.nets, images.to(self.device), direction)
        declared = {extra.name for extra in task.extras}
        if set(result.extras) != declared:
            raise GanzooError(f"task {type(task).__name__} returned extra outputs {sorted(result.extras)} but declares {sorted(declared)}")
        return result


#: the most images one call makes (``n``, or ``paths x frames``): one batch in memory.
MAX_IMAGES = 4096
#: seeds are 64-bit signed integers (torch's generators take no more).
SEEDS = range(-(2**63), 2**63)


def count_argument(value: Any, name: str) -> int:
    """``value`` if it is a whole number of images from 1 to :data:`MAX_IMAGES`."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int (a number of images), got {value!r}")
    if not 1 <= value <= MAX_IMAGES:
        raise GanzooError(f"{name} = {value}: give 1 to {MAX_IMAGES} images per call (call again for more)")
    return value


def sequence_argument(value: Any, name: str, what: str, fits: Callable[[Any], bool], each: str) -> tuple[Any, ...]:
    """``value`` as a tuple of items that each ``fits``; one string is refused (it would be read
    letter by letter), as is anything that is not a sequence."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a list of {what}, not one string: write {name}=[{value!r}]")
    try:
        items = tuple(value)
    except TypeError:
        raise TypeError(f"{name} must be a list of {what}, got {value!r}") from None
    wrong = [item for item in items if not fits(item)]
    if wrong:
        raise TypeError(f"{name}: {each}, got {wrong[0]!r}")
    return items


def texts_argument(value: Any, name: str) -> tuple[str, ...]:
    """A sequence of captions as a tuple."""
    return sequence_argument(value, name, "captions", lambda text: isinstance(text, str), "every caption must be a str")


def classes_argument(value: Any) -> tuple[str | int, ...]:
    """A sequence of class indices (int) or names (str) as a tuple; floats and bools are refused."""
    return sequence_argument(value, "classes", "class indices or names",
                             lambda c: isinstance(c, (int, str)) and not isinstance(c, bool), "each class is an int index or a str name")


def seed_argument(value: Any, span: int = 1) -> int:
    """``value`` if it is a seed torch takes (also ``value + span - 1``, for the seeds an interpolation uses)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"seed must be an int, got {value!r}")
    if value not in SEEDS or value + span - 1 not in SEEDS:
        raise GanzooError(f"seed = {value}: must be a 64-bit integer, from {SEEDS.start} to {SEEDS.stop - span}")
    return value


def truncation_argument(value: Any) -> float | None:
    """``None``, or a truncation threshold from :data:`ganzoo.latent.MIN_TRUNCATION` on."""
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f"truncation must be a number or None, got {value!r}")
    if not (math.isfinite(value) and value >= MIN_TRUNCATION):
        raise GanzooError(f"truncation = {value!r}: must be at least {MIN_TRUNCATION} (smaller thresholds leave almost "
                          "no noise to draw from; 0.5 to 1 are usual)")
    return float(value)


def images_argument(value: Any, channels: int) -> None:
    """Refuse what is not a batch of images ``[N, channels, H, W]`` of floats."""
    if not isinstance(value, Tensor):
        raise TypeError(f"images must be a torch.Tensor [N, C, H, W] of floats in [-1, 1], got {type(value).__name__}")
    if value.dim() != 4 or not value.is_floating_point() or value.shape[0] == 0 or value.shape[1] != channels:
        raise GanzooError(f"images: expected a float tensor [N, {channels}, H, W] with N >= 1, got {value.dtype} {list(value.shape)}")


def from_state(run: ResolvedRun, meta: dict[str, Any], weights: dict[str, dict[str, Tensor]], source: Path,
               device: str | torch.device = "cpu", roles: Collection[str] | None = None) -> LoadedModel:
    """Rebuild the model of ``run`` (described by ``meta``) and load ``weights`` (role -> state dict).

    ``roles`` rebuilds only those networks (plus the conditioner), e.g. a generator-only export.
    """
    target = resolve_device(str(device))
    model = build_model(run, Condition.parse(meta["source"]), roles=roles, states=weights)
    unknown = sorted(set(weights) - set(model.nets))
    if unknown:
        raise GanzooError(f"saved weights hold network {unknown[0]!r}, which this model does not have (it has {', '.join(model.nets)})")
    for role, net in model.nets.items():
        if role not in weights:
            raise GanzooError(f"saved weights lack network {role!r} (have {', '.join(weights)})")
        checked_weights(role, net, weights[role])
        try:
            net.load_state_dict(weights[role])
        except RuntimeError as error:
            raise GanzooError(f"saved weights for {role!r} do not fit its network ({mismatch(error)})") from None
    return LoadedModel(model.to(target), meta, target, run, source)


def mismatch(error: RuntimeError) -> str:
    """The first specific line of a ``load_state_dict`` error (its first line only names the class)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    detail = lines[1] if len(lines) > 1 and lines[0].startswith("Error(s) in loading state_dict") else lines[0] if lines else ""
    return detail[:200]


def roles_of(config: TrainConfig, registry: Registry, parts: str) -> list[str]:
    """The networks of ``parts`` of the run ``config`` describes; ``generator``: those sampling and
    translation run (the conditioner, if any, and the generator roles)."""
    task = resolve(registry, "task", config.task).component.factory
    return exported_roles(task, config.conditioner is not None, parts)


def load_run(path: Path, device: str | torch.device = "cpu", ema: bool = True, parts: Parts = "all") -> LoadedModel:
    """A run folder or its checkpoint file: EMA generator weights where the run kept them.
    ``parts="generator"``: only the networks sampling and translation run (see :func:`load`)."""
    state = load_checkpoint(Path(path))
    meta = read_meta(state)
    registry = plugins.registry()
    check_components(meta, registry, path, GENERATOR_KINDS if parts == "generator" else None)
    weights = dict(state["nets"])
    if ema:
        weights.update(state.get("ema", {}))
    meta = {**meta, "checkpoint": {"step": int(state.get("step", 0))}}
    try:
        if parts == "all":
            return from_state(resolved_meta(meta, registry), meta, weights, Path(path), device)
        config = config_from_meta(meta)
        roles = roles_of(config, registry, parts)
        return from_state(checked(config, registry, roles), meta, {role: weights[role] for role in roles if role in weights}, Path(path), device,
                          roles=roles)
    except CheckpointError as error:
        raise CheckpointError(f"{path}: {error}") from None


def load(path: str | Path, device: str | torch.device = "cpu", ema: bool = True, parts: Parts = "all") -> LoadedModel:
    """Load a run folder, a checkpoint (.pt), an export (.safetensors) or an export on the Hugging
    Face Hub (``hf://owner/name[@revision]``, through its cache).

    ``parts="generator"`` rebuilds only what sampling and translation run (the generators and the
    conditioner), so the plugins of the discriminators, loss and dataset need not be installed;
    ``all``: every network the run or file holds.
    """
    if hub.is_reference(path):
        local = hub.download(str(path))
        try:
            return load_export(local, device=device, ema=ema, parts=parts)
        except ExportError as error:  # named as the user named it, not by its place in the cache
            raise ExportError(str(error).replace(str(local), str(path))) from None
    path = Path(path)
    if path.suffix == ".safetensors":
        return load_export(path, device=device, ema=ema, parts=parts)
    if not path.exists():
        raise GanzooError(f"{path}: no such run folder, checkpoint or export")
    return load_run(path, device, ema, parts)


def load_export(path: str | Path, device: str | torch.device = "cpu", ema: bool = True, parts: Parts = "all") -> LoadedModel:
    """Rebuild the model of an export on ``device`` (``parts``: see :func:`load`).

    The file holds one set of generator weights, chosen at export time: ``ema=True`` uses whatever
    it holds; ``ema=False`` refuses a file holding EMA weights rather than silently using them.
    """
    export = read_export(path)
    if not ema and export.ema:
        raise ExportError(f"{export.path} holds the generator's EMA weights only; export the run with --no-ema for the raw weights")
    registry = plugins.registry()
    check_installed(export, registry, GENERATOR_KINDS if parts == "generator" else None)
    meta = {**export.meta, "export": {"parts": export.parts, "ema": export.ema, "step": export.step}}
    try:
        config = config_from_meta(meta)
        weights = weights_by_role(export, roles_of(config, registry, export.parts))
        roles = roles_of(config, registry, "generator" if parts == "generator" else export.parts)
        return from_state(checked(config, registry, roles), meta, {role: weights[role] for role in roles}, Path(path), device, roles=roles)
    except GanzooError as error:
        raise ExportError(f"{export.path}: {error}{version_changes(export, registry)}") from None
    except (TypeError, ValueError, KeyError, RuntimeError) as error:  # tampered arguments reaching a factory
        raise ExportError(f"{export.path}: cannot rebuild the networks ({type(error).__name__}: {first_line(error)})"
                          f"{version_changes(export, registry)}") from None
