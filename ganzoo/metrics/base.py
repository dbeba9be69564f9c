"""The metric interface: accumulate image batches, then compute one number."""

from __future__ import annotations

import abc
from typing import ClassVar

import torch
from torch import Tensor

from ganzoo.errors import GanzooError


class MetricError(GanzooError):
    """A metric cannot run as asked; the message is one line and names the way out."""


class ImageMetric(abc.ABC):
    """Accumulates ``(output, target)`` batches of images in [-1, 1]; ``compute`` gives the score."""

    #: whether a larger value is better (shown beside the value in tables).
    higher_is_better: ClassVar[bool]

    @abc.abstractmethod
    def update(self, output: Tensor, target: Tensor) -> None: ...

    @abc.abstractmethod
    def compute(self) -> float: ...

    def to(self, device: torch.device | str) -> "ImageMetric":
        """Move any state or feature network to ``device``; pixel metrics keep no such state."""
        return self


def to_unit_range(images: Tensor) -> Tensor:
    """[-1, 1] -> [0, 1], the range the pixel metrics are reported in (L1 0.1 = 10% of full scale)."""
    return images.detach().float().add(1).div(2).clamp(0, 1)
