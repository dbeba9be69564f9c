"""The small core every component implements, and what each one declares about itself.

A component declares its *ports* (what it consumes and produces) at registration time, so a mix of
components can be checked from names and keyword arguments alone, before any network is built.

Conditions flow like this::

    dataset condition --(optional Conditioner)--> tensor fed to the generator and discriminator

* ``none``: nothing.
* ``class``: an integer label per sample (``LongTensor[B]``), ``dim`` = number of classes.
* ``text``: a caption per sample (``list[str]``, or what :meth:`Conditioner.prepare` made of the
  captions: a dict of tensors, one row per sample); only a Conditioner consumes it.
* ``embedding``: a float vector per sample (``Tensor[B, dim]``), what a Conditioner produces.
* ``image``: a source image per sample (``Tensor[B, dim, H, W]``), ``dim`` = channels (pix2pix).

Tasks own the G/D interplay. The training loop knows nothing about generators or
discriminators: it asks the task for its *roles* (named networks and their registry kind), its
*phases* (which roles each phase optimises) and, per phase, a scalar loss to back-propagate.
Multi-network models (UGATIT: two generators, four discriminators) and multi-stage ones
(StackGAN Stage-II on a frozen Stage-I) are tasks and components like any other. A task is one
of two kinds, which is what the tools built on a trained model ask of it: a
:class:`GenerativeTask` draws images from noise (``ganzoo sample``), a :class:`TranslationTask`
translates images and returns a :class:`Translation` with the extra outputs it declares
(``ganzoo translate``).

Batches are dicts on the training device; images are float in [-1, 1]: ``image`` (real images,
the target for paired data), ``label`` (``LongTensor[B]``), ``caption`` (``list[str]``, or prepared rows),
``source`` (the input image of paired translation), ``a``/``b`` (the two unpaired domains).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Literal

import torch
from torch import Tensor, nn

ConditionKind = Literal["none", "class", "text", "embedding", "image"]
CONDITION_KINDS: tuple[str, ...] = ("none", "class", "text", "embedding", "image")
#: how long work reports how far it is: ``(what, done, total)``, e.g. ``("generate", 640, 10000)``;
#: the command line draws it as a progress bar, scripts pass nothing.
ReportProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Condition:
    """A concrete condition: its kind and size (classes, embedding width or image channels)."""

    kind: str = "none"
    dim: int = 0

    def __post_init__(self) -> None:
        if self.kind not in CONDITION_KINDS:
            raise ValueError(f"unknown condition kind {self.kind!r}; valid: {', '.join(CONDITION_KINDS)}")

    def __str__(self) -> str:
        return self.kind if self.kind in ("none", "text") else f"{self.kind}({self.dim})"

    @staticmethod
    def parse(value: "Condition | dict | str | None") -> "Condition":
        """Accept a Condition, ``{"kind":..., "dim":...}``, ``"class:10"`` or ``None`` (no condition)."""
        if value is None:
            return NO_CONDITION
        if isinstance(value, Condition):
            return value
        if isinstance(value, dict):
            return Condition(str(value.get("kind", "none")), int(value.get("dim", 0)))
        kind, _, dim = str(value).partition(":")
        return Condition(kind, int(dim or 0))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "dim": self.dim}


NO_CONDITION = Condition()


@dataclass(frozen=True)
class Ports:
    """What a registered component accepts, declared before anything is built.

    ``resolutions``/``channels``: the image sizes it can work at (``None`` = any).
    ``conditions``: the condition kinds it takes (generator/discriminator) or consumes (conditioner).
    ``produces``: for a conditioner, the condition kind it hands on (``embedding`` or ``class``).
    ``input``: for a generator, ``noise`` (samples from a latent) or ``image`` (translates an image).
    ``features``: free-form capability tags a task may require (e.g. ``cam`` for UGATIT).
    """

    resolutions: tuple[int, ...] | None = None
    channels: tuple[int, ...] | None = None
    conditions: tuple[str, ...] = ("none",)
    produces: str | None = None
    input: Literal["noise", "image"] = "noise"
    features: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for kind in self.conditions:
            if kind not in CONDITION_KINDS:
                raise ValueError(f"unknown condition kind {kind!r}; valid: {', '.join(CONDITION_KINDS)}")

    def describe(self) -> dict[str, Any]:
        return {
            "resolutions": list(self.resolutions) if self.resolutions else "any",
            "channels": list(self.channels) if self.channels else "any",
            "conditions": list(self.conditions),
            "produces": self.produces,
            "input": self.input,
            "features": sorted(self.features),
        }


class Generator(nn.Module, abc.ABC):
    """Maps noise (and a condition) to images in [-1, 1], or an input image to an output image.

    Noise generators receive ``z`` of shape ``[B, latent_dim]``; image-to-image generators receive
    ``z=None`` and the source image as ``condition``.
    """

    latent_dim: int = 0
    resolution: int
    channels: int

    @abc.abstractmethod
    def forward(self, z: Tensor | None, condition: Tensor | None = None) -> Tensor: ...

    def extra_losses(self) -> dict[str, Tensor]:
        """Weighted regularisers from the last forward pass (e.g. conditioning augmentation's KL)."""
        return {}


class Discriminator(nn.Module, abc.ABC):
    """Scores images (and their condition): returns raw logits of shape ``[B]`` or ``[B, 1, h, w]``."""

    resolution: int
    channels: int

    @abc.abstractmethod
    def forward(self, image: Tensor, condition: Tensor | None = None) -> Tensor: ...


class Conditioner(nn.Module, abc.ABC):
    """Turns a raw dataset condition (labels, captions) into the tensor the networks take.

    A conditioner of captions may come in two parts, so that the training step needs nothing from
    the host: :meth:`prepare` (captions -> fixed-shape tensors, run once per caption when the
    dataset is loaded) and ``forward``, which then also accepts rows of what ``prepare`` returned.
    """

    #: what it produces for the networks.
    output: Condition
    #: frozen conditioners are excluded from every optimiser and from EMA.
    trainable: bool = True
    #: names what :meth:`prepare` depends on besides the captions (tokenizer, context length), so
    #: that its results can be cached on disk; ``None``: never cached.
    prepared_identity: str | None = None

    @abc.abstractmethod
    def forward(self, raw: Any) -> Tensor: ...

    def prepare(self, captions: list[str]) -> dict[str, Tensor] | None:
        """The host part: one row per caption of each returned tensor (token ids, table rows), on the
        CPU. ``None`` (the default): not split; ``forward`` takes the captions every step."""
        return None


class Loss(nn.Module, abc.ABC):
    """An adversarial objective: per-logit terms for the real and fake sides and for the generator.

    Tasks combine these terms (e.g. the matching-aware text loss averages two fake-side terms);
    keeping them separate lets any objective mix with any family. An objective that needs more than
    logits (a gradient penalty) overrides :meth:`penalty`.
    """

    @abc.abstractmethod
    def real(self, logits: Tensor) -> Tensor:
        """Discriminator loss on samples it should call real (a scalar)."""

    @abc.abstractmethod
    def fake(self, logits: Tensor) -> Tensor:
        """Discriminator loss on samples it should call fake (a scalar)."""

    @abc.abstractmethod
    def generator(self, logits: Tensor) -> Tensor:
        """Generator loss on the discriminator's logits for its samples (a scalar)."""

    def penalty(self, discriminator: nn.Module, real: Tensor, fake: Tensor, condition: Tensor | None) -> Tensor | None:
        """An extra, already weighted discriminator term (a scalar), or ``None`` for none.

        The core tasks add it to every discriminator step, with the discriminator, the real and
        the (detached) generated batch and the condition both were scored with; it is logged as
        ``D/penalty``. ``real`` does not require gradients: call ``requires_grad_`` on a copy to
        differentiate with respect to the input, as a gradient penalty does.
        """
        return None


def critic_steps(config: Any) -> int:
    """``n_critic`` of the run's config: discriminator steps per generator step (WGAN's critic)."""
    return config.n_critic


@dataclass(frozen=True)
class Phase:
    """One optimiser step per training step: the roles whose parameters it updates.

    ``repeats`` says how often the phase runs per training step: a number, or a function of the
    run's :class:`ganzoo.config.TrainConfig` returning one (:func:`critic_steps` reads ``n_critic``).
    """

    name: str
    roles: tuple[str, ...]
    repeats: int | Callable[[Any], int] = 1

    def __post_init__(self) -> None:
        if not (callable(self.repeats) or (isinstance(self.repeats, int) and not isinstance(self.repeats, bool))):
            raise TypeError(f"Phase {self.name!r}: repeats must be an int or a function of the config "
                            f"(e.g. ganzoo.interfaces.critic_steps), not {self.repeats!r}")

    def times(self, config: Any) -> int:
        """How often the phase runs in one training step of a run with ``config`` (at least once)."""
        count = self.repeats(config) if callable(self.repeats) else self.repeats
        if not isinstance(count, int) or count < 1:
            raise ValueError(f"phase {self.name}: repeats gave {count!r}; a phase runs a whole number of times, at least once")
        return count


class Task(abc.ABC):
    """Owns the interplay of the networks; stateless apart from its options and the loss."""

    #: role name -> registry kind (``generator``, ``discriminator`` or ``conditioner``).
    roles: ClassVar[dict[str, str]] = {"generator": "generator", "discriminator": "discriminator"}
    #: the phases run, in order, at every training step.
    phases: ClassVar[tuple[Phase, ...]] = (Phase("D", ("discriminator",), repeats=critic_steps), Phase("G", ("generator",)))
    #: the dataset layout it reads: ``images`` (with an optional condition), ``paired`` or ``unpaired``.
    layout: ClassVar[str] = "images"
    #: the dataset condition kind it feeds the networks (none, class, text or image).
    condition_kind: ClassVar[str] = "none"
    #: role -> condition kind that role is fed where it differs from ``condition_kind`` (UGATIT
    #: feeds its generators the other domain's image although unpaired data carry no condition).
    role_conditions: ClassVar[dict[str, str]] = {}
    #: capability tags (``Ports.features``) a role's component must declare, e.g. ``{"gen_ab": {"cam"}}``.
    requires: ClassVar[dict[str, frozenset[str]]] = {}
    #: the phase that trains a trainable conditioner.
    conditioner_phase: ClassVar[str] = "D"

    def __init__(self, loss: Loss) -> None:
        self.loss = loss

    @abc.abstractmethod
    def phase_loss(self, phase: str, nets: dict[str, nn.Module], batch: dict[str, Any]) -> tuple[Tensor, dict[str, Tensor]]:
        """The scalar to back-propagate for ``phase`` and detached statistics to log."""

    @abc.abstractmethod
    def fixed_inputs(self, batch: dict[str, Any], latent_dim: int, generator: torch.Generator) -> dict[str, Any]:
        """Inputs kept fixed for every sample grid of a run (noise, prompts, source images)."""

    @abc.abstractmethod
    def render(self, nets: dict[str, nn.Module], fixed: dict[str, Any]) -> dict[str, Tensor]:
        """Images for the sample grid from :meth:`fixed_inputs`, by name (e.g. ``samples``, or
        ``input``/``output``/``target``)."""

    def after_step(self, phase: str, nets: dict[str, nn.Module]) -> None:
        """Called after each optimiser step of ``phase`` (e.g. to clip a learned parameter)."""

    # helpers shared by the tasks -------------------------------------------------------------
    @staticmethod
    def condition(nets: dict[str, nn.Module], raw: Any) -> Tensor | None:
        """The tensor fed to the networks: the conditioner's output when one is used, else ``raw``."""
        if raw is None:
            return None
        conditioner = nets.get("conditioner")
        return conditioner(raw) if conditioner is not None else raw


class GenerativeTask(Task):
    """A task whose generator draws images from noise (and a condition): it can be sampled."""

    @abc.abstractmethod
    def sample_inputs(self, n: int, raw: Any, latent_dim: int, generator: torch.Generator, device: torch.device) -> dict[str, Any]:
        """What :meth:`render` takes to draw ``n`` images: noise from ``generator`` and the raw
        condition ``raw`` (labels, captions or ``None``)."""

    def finished(self, rendered: dict[str, Tensor]) -> Tensor:
        """The finished images among :meth:`render`'s outputs (what is saved and scored)."""
        return rendered["samples"]


@dataclass(frozen=True)
class ExtraOutput:
    """An output a translation task gives beside the translated image, e.g. an attention map."""

    name: str
    description: str


@dataclass
class Translation:
    """Translated images in [-1, 1] and the extra outputs the task declares, by name (images too)."""

    output: Tensor
    extras: dict[str, Tensor] = field(default_factory=dict)


class TranslationTask(Task):
    """A task whose generator translates an image into another: it can translate given images."""

    #: what :meth:`translate` returns in :attr:`Translation.extras` (``ganzoo translate --extra NAME``).
    extras: ClassVar[tuple[ExtraOutput, ...]] = ()

    @abc.abstractmethod
    def translate(self, nets: dict[str, nn.Module], source: Tensor, direction: str | None = None) -> Translation:
        """``source`` images in [-1, 1] translated, with every declared extra output. ``direction``
        (``AtoB``/``BtoA``) picks the generator of a two-way task; a one-way task ignores it."""


def extra_generator_losses(generator: nn.Module) -> tuple[Tensor | None, dict[str, Tensor]]:
    """Sum of a generator's own weighted regularisers (e.g. KL of conditioning augmentation)."""
    terms = getattr(generator, "extra_losses", lambda: {})()
    if not terms:
        return None, {}
    total = sum(terms.values())
    return total, {name: value.detach() for name, value in terms.items()}


def as_float_image(batch: Tensor) -> Tensor:
    """uint8 ``[B, C, H, W]`` in [0, 255] -> float in [-1, 1] (the range every generator produces)."""
    return batch.to(torch.float32).div_(127.5).sub_(1.0)


__all__ = [
    "CONDITION_KINDS",
    "Condition",
    "Conditioner",
    "Discriminator",
    "ExtraOutput",
    "GenerativeTask",
    "Generator",
    "Loss",
    "NO_CONDITION",
    "Phase",
    "critic_steps",
    "Ports",
    "Task",
    "Translation",
    "TranslationTask",
    "as_float_image",
    "extra_generator_losses",
]
