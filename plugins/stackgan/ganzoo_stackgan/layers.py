"""Building blocks shared by the StackGAN stages (Zhang et al. 2017, supplementary material)."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ganzoo.interfaces import Condition


def levels(resolution: int, smallest: int, what: str) -> int:
    """How many x2 steps separate ``smallest`` from ``resolution`` (which must be smallest * 2^k)."""
    steps = math.log2(resolution / smallest) if resolution >= smallest else -1
    if steps < 1 or not steps.is_integer():
        raise ValueError(f"{what} needs a resolution of {smallest * 2} x a power of two (e.g. 64), got {resolution}")
    return int(steps)


def require_embedding(condition: Condition, what: str) -> int:
    if condition.kind != "embedding" or condition.dim < 1:
        raise ValueError(f"{what} takes an embedding condition (use a conditioner such as --cond learned), got {condition}")
    return condition.dim


def up_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """Nearest-neighbour x2 upsampling then a 3x3 convolution: fewer checkerboard artefacts than
    transposed convolutions, as in the paper's generators."""
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="nearest"),
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


def down_block(in_channels: int, out_channels: int, normalise: bool = True) -> nn.Sequential:
    """4x4 stride-2 convolution, batch norm (not on the first block), leaky ReLU 0.2."""
    layers: list[nn.Module] = [nn.Conv2d(in_channels, out_channels, 4, stride=2, padding=1, bias=not normalise)]
    if normalise:
        layers.append(nn.BatchNorm2d(out_channels))
    layers.append(nn.LeakyReLU(0.2, inplace=True))
    return nn.Sequential(*layers)


class ResidualBlock(nn.Module):
    """Two 3x3 conv + batch norm layers with an identity shortcut (Stage-II's refinement)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        return torch.relu(x + self.body(x))


def replicate(vector: Tensor, size: int) -> Tensor:
    """``[B, D] -> [B, D, size, size]``: a text code joined to every position of a feature map."""
    return vector[:, :, None, None].expand(-1, -1, size, size)
