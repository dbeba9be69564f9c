"""Pieces shared by the pix2pix networks: normalisation choice, dropout-as-noise and conditioning
input (the paper's N(0, 0.02) initialisation is the core's ``ganzoo.layers.dcgan_init``)."""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganzoo.interfaces import Condition

Norm = Literal["batch", "instance", "none"]
NORMS: tuple[str, ...] = ("batch", "instance", "none")


def check_norm(norm: str) -> None:
    if norm not in NORMS:
        raise ValueError(f"unknown norm {norm!r}; valid: {', '.join(NORMS)}")


class PerImageEvalBatchNorm(nn.BatchNorm2d):
    """BatchNorm that, in eval mode, normalises each image by its own statistics.

    pix2pix runs its generator at test time "in exactly the same manner as during training", with
    the statistics of a test batch of one (Isola et al., sec. 3.3): instance normalisation with
    BatchNorm's learned scale and shift. Doing that per image makes translations independent of
    how many images are rendered together. In training it is ordinary BatchNorm on batch statistics.
    """

    def __init__(self, channels: int) -> None:
        super().__init__(channels, track_running_stats=False)

    def forward(self, x: Tensor) -> Tensor:
        if self.training:
            return super().forward(x)
        return F.instance_norm(x, weight=self.weight, bias=self.bias, eps=self.eps)


def norm_layer(norm: str, channels: int, *, per_image_at_test: bool = False) -> nn.Module:
    """A normalisation layer by name; generators ask for pix2pix's per-image BatchNorm at test time."""
    check_norm(norm)
    if norm == "batch":
        return PerImageEvalBatchNorm(channels) if per_image_at_test else nn.BatchNorm2d(channels)
    if norm == "instance":
        return nn.InstanceNorm2d(channels)
    return nn.Identity()


class NoiseDropout(nn.Module):
    """Dropout that stays on at test time: pix2pix's only source of noise (Isola et al., sec. 3.2)."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, training=True)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class ConditionedInput(nn.Module):
    """Joins a discriminator with its condition along the channels.

    ``image``: the source image is concatenated to the input as is (pix2pix); ``embedding``: the
    vector is projected to ``embedding_channels`` and replicated over the features after the first
    layer (:meth:`join`), where there are a quarter of the pixels and a few channels instead of the
    whole embedding at full resolution (so a StackGAN generator can be judged by a PatchGAN at the
    cost of an unconditional one); ``none``: the image alone.
    """

    def __init__(self, channels: int, condition: Condition, embedding_channels: int = 32) -> None:
        super().__init__()
        self.kind = condition.kind
        if self.kind not in ("none", "image", "embedding"):
            raise ValueError(f"a pix2pix discriminator takes an image, embedding or no condition, not {condition}")
        if self.kind != "none" and condition.dim <= 0:
            raise ValueError(f"condition {condition.kind} needs a positive size (dim), got {condition.dim}")
        if self.kind == "embedding" and embedding_channels <= 0:
            raise ValueError(f"embedding_channels must be > 0, got {embedding_channels}")
        self.out_channels = channels + (condition.dim if self.kind == "image" else 0)
        self.joined_channels = embedding_channels if self.kind == "embedding" else 0
        self.project = nn.Sequential(nn.Linear(condition.dim, embedding_channels), nn.LeakyReLU(0.2)) if self.kind == "embedding" else None

    def _check(self, condition: Tensor | None) -> None:
        if self.kind != "none" and condition is None:
            raise ValueError(f"this discriminator was built for a {self.kind} condition but got none")

    def forward(self, image: Tensor, condition: Tensor | None) -> Tensor:
        """The first layer's input: the image, with the source image for an image condition."""
        self._check(condition)
        if self.kind != "image":
            return image
        return torch.cat([image, condition.to(image.dtype)], dim=1)

    def join(self, features: Tensor, condition: Tensor | None) -> Tensor:
        """``features`` with the projected embedding replicated over them (an embedding condition)."""
        if self.project is None:
            return features
        self._check(condition)
        projected = self.project(condition.to(features.dtype))
        return torch.cat([features, projected[:, :, None, None].expand(-1, -1, *features.shape[-2:])], dim=1)
