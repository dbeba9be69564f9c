"""The small core every component implements, and what each one declares about itself.

A component declares its *ports* (what it consumes and produces) at registration time, so a mix of
components can be checked from names and keyword arguments alone, before any network is built.

Conditions flow like this::

    dataset condition --(optional Conditioner)--> tensor fed to the generator and discriminator

* ``none``: nothing.
* ``class``: an integer label per sample (``LongTensor[B]``), ``dim`` = number of classes.
* ``text``: a caption per sample (``list[str]``); only a Conditioner consumes it.
* ``embedding``: a float vector per sample (``Tensor[B, dim]``), what a Conditioner produces.
* ``image``: a source image per sample (``Tensor[B, dim, H, W]``), ``dim`` = channels (pix2pix).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import Tensor, nn

ConditionKind = Literal["none", "class", "text", "embedding", "image"]
CONDITION_KINDS: tuple[str, ...] = ("none", "class", "text", "embedding", "image")


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
    """Turns a raw dataset condition (labels, captions) into the tensor the networks take."""

    #: what it produces for the networks.
    output: Condition
    #: frozen conditioners are excluded from every optimiser and from EMA.
    trainable: bool = True

    @abc.abstractmethod
    def forward(self, raw: Any) -> Tensor: ...


class Loss(nn.Module, abc.ABC):
    """An adversarial objective: per-logit terms for the real and fake sides and for the generator.

    Tasks combine these terms (e.g. the matching-aware text loss averages two fake-side terms);
    keeping them separate lets any objective mix with any family.
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


def as_float_image(batch: Tensor) -> Tensor:
    """uint8 ``[B, C, H, W]`` in [0, 255] -> float in [-1, 1] (the range every generator produces)."""
    return batch.to(torch.float32).div_(127.5).sub_(1.0)


__all__ = [
    "CONDITION_KINDS",
    "Condition",
    "Conditioner",
    "Discriminator",
    "Generator",
    "Loss",
    "NO_CONDITION",
    "Ports",
    "as_float_image",
]
