"""Per-pixel comparisons of outputs with their targets (L1, PSNR, SSIM), from torchmetrics.

All are computed on images mapped to [0, 1] and averaged over images, so they read the same at
any resolution and match how pix2pix results are usually reported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import torch
from torch import Tensor

from ganzoo.metrics.base import ImageMetric, to_unit_range
from ganzoo.registry import component

if TYPE_CHECKING:  # torchmetrics is imported when a metric is built: at import it costs every command ~1 s
    import torchmetrics


class TorchMetric(ImageMetric):
    """An :class:`ImageMetric` backed by a torchmetrics metric fed images in [0, 1]."""

    higher_is_better: ClassVar[bool] = True

    def __init__(self, metric: torchmetrics.Metric) -> None:
        self.metric = metric

    def update(self, output: Tensor, target: Tensor) -> None:
        self.metric.update(to_unit_range(output), to_unit_range(target))

    def compute(self) -> float:
        return float(self.metric.compute())

    def to(self, device: torch.device | str) -> "TorchMetric":
        self.metric = self.metric.to(device)
        return self


class LowerIsBetter(TorchMetric):
    higher_is_better = False


@component("metric", "l1")
def l1() -> ImageMetric:
    """Mean absolute pixel error on [0, 1] images (lower is better)."""
    import torchmetrics

    return LowerIsBetter(torchmetrics.MeanAbsoluteError())


@component("metric", "psnr")
def psnr() -> ImageMetric:
    """Peak signal-to-noise ratio in dB, per image then averaged (higher is better)."""
    import torchmetrics.image

    return TorchMetric(torchmetrics.image.PeakSignalNoiseRatio(data_range=1.0, reduction="elementwise_mean", dim=(1, 2, 3)))


@component("metric", "ssim")
def ssim() -> ImageMetric:
    """Structural similarity (Gaussian 11x11 window), averaged over images (higher is better)."""
    import torchmetrics.image

    return TorchMetric(torchmetrics.image.StructuralSimilarityIndexMeasure(data_range=1.0))
