"""Evaluation metrics (registry kind ``metric``), the feature extractors they see images through
(kind ``extractor``) and the evaluation of generative models and translators.

``l1``, ``psnr`` and ``ssim`` compare each output with its target pixel by pixel; ``fid``, ``kid``,
``is``, ``clip-score`` and ``r-precision`` score sets of images through an extractor's features.
See docs/evaluation.md for every protocol.
"""

from ganzoo.metrics.base import ImageMetric, MetricError
from ganzoo.registry import Registry

__all__ = ["ImageMetric", "MetricError", "higher_is_better"]


def higher_is_better(name: str, registry: Registry) -> bool:
    """Whether a larger value of metric ``name`` (registered in ``registry``) is better (``fid`` ->
    False); a per-class or logged name such as ``fid/cat`` or ``eval/fid`` is judged by its metric part."""
    parts = [part for part in name.split("/") if part != "eval"]
    return bool(registry.create("metric", parts[0]).higher_is_better)  # metrics are cheap: no network inside
