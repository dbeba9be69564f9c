"""Pieces shared by the pix2pix networks: normalisation choice, dropout-as-noise, conditioning
input and the paper's N(0, 0.02) initialisation."""

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
    """Joins a discriminator's image with its condition along the channels.

    ``image``: the source image is concatenated as is (pix2pix); ``embedding``: the vector is
    replicated over every pixel and concatenated (so a StackGAN generator can be judged by a
    PatchGAN); ``none``: the image alone.
    """

    def __init__(self, channels: int, condition: Condition) -> None:
        super().__init__()
        self.kind = condition.kind
        if self.kind not in ("none", "image", "embedding"):
            raise ValueError(f"a pix2pix discriminator takes an image, embedding or no condition, not {condition}")
        if self.kind != "none" and condition.dim <= 0:
            raise ValueError(f"condition {condition.kind} needs a positive size (dim), got {condition.dim}")
        self.out_channels = channels + (condition.dim if self.kind != "none" else 0)

    def forward(self, image: Tensor, condition: Tensor | None) -> Tensor:
        if self.kind == "none":
            return image
        if condition is None:
            raise ValueError(f"this discriminator was built for a {self.kind} condition but got none")
        if self.kind == "embedding":
            condition = condition[:, :, None, None].expand(-1, -1, *image.shape[-2:])
        return torch.cat([image, condition.to(image.dtype)], dim=1)


def init_weights(module: nn.Module, std: float = 0.02) -> None:
    """Convolutions ~ N(0, std), normalisation scales ~ N(1, std), biases 0 (the paper's init)."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(layer.weight, 0.0, std)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, nn.BatchNorm2d):
            nn.init.normal_(layer.weight, 1.0, std)
            nn.init.zeros_(layer.bias)
