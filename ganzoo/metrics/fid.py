"""Fréchet Inception Distance between the outputs and the targets, via torchmetrics.

The standard FID network (the 2015 TensorFlow Inception, as packaged by torch-fidelity) is never
downloaded here: its weights must be supplied as a file (``weights``) or already sit in torch's
hub cache. Any other ``nn.Module`` mapping uint8 images to feature vectors can stand in (tests use
a tiny one; such numbers are not comparable with published FIDs).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import torch
from torch import Tensor, nn
from torchmetrics.image.fid import FrechetInceptionDistance

from ganzoo.metrics.base import ImageMetric, MetricError, to_unit_range
from ganzoo.registry import component

#: the file torch-fidelity downloads its FID Inception weights to (``pt_inception-2015-12-05``).
INCEPTION_WEIGHTS_FILE = "weights-inception-2015-12-05-6726825d.pth"
INCEPTION_FEATURES = 2048


def cached_inception_weights() -> Path:
    """Where torch-fidelity (through torch.hub) keeps the FID Inception weights."""
    return Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_WEIGHTS_FILE


def inception_weights(weights: str | None) -> Path:
    """The weights file to use, or a one-line error saying how to supply it."""
    if weights is not None:
        path = Path(weights).expanduser()
        if not path.is_file():
            raise MetricError(f"FID weights file {path} does not exist (--fid-weights)")
        return path
    cached = cached_inception_weights()
    if cached.is_file():
        return cached
    raise MetricError(
        f"FID needs the FID Inception weights ({INCEPTION_WEIGHTS_FILE}, from torch-fidelity's releases): "
        f"pass --fid-weights PATH or put the file at {cached}"
    )


class FID(ImageMetric):
    """FID of the outputs against the targets (lower is better); needs >= 2 images of each."""

    higher_is_better: ClassVar[bool] = False

    def __init__(self, features: int | nn.Module, weights: Path | None = None) -> None:
        try:
            self.metric = FrechetInceptionDistance(feature=features, feature_extractor_weights_path=str(weights) if weights else None)
        except ModuleNotFoundError as error:
            raise MetricError(f"FID needs torch-fidelity: pip install 'ganzoo[fid]' ({error})") from None

    def update(self, output: Tensor, target: Tensor) -> None:
        self.metric.update(_inception_input(target), real=True)
        self.metric.update(_inception_input(output), real=False)

    def compute(self) -> float:
        return float(self.metric.compute())

    def to(self, device: torch.device | str) -> "FID":
        self.metric = self.metric.to(device)
        return self


def _inception_input(images: Tensor) -> Tensor:
    """[-1, 1] float -> uint8 RGB in [0, 255], what the Inception feature extractor takes."""
    images = to_unit_range(images).mul(255).round().to(torch.uint8)
    return images.expand(-1, 3, -1, -1) if images.shape[1] == 1 else images


@component("metric", "fid")
def fid(weights: str | None = None, feature_extractor: nn.Module | None = None) -> ImageMetric:
    """Fréchet Inception Distance, outputs vs targets (lower is better); weights supplied locally."""
    if feature_extractor is not None:
        return FID(feature_extractor)
    return FID(INCEPTION_FEATURES, inception_weights(weights))
