"""Evaluation metrics (registry kind ``metric``) and the evaluation of a translator on paired data.

A metric accumulates batches of ``(output, target)`` images in [-1, 1] and reports one number:
``l1``, ``psnr`` and ``ssim`` compare each output with its target pixel by pixel; ``fid``
compares the two sets as distributions (it needs the Inception weights supplied locally).
"""

from ganzoo.metrics.base import ImageMetric, MetricError

__all__ = ["ImageMetric", "MetricError", "higher_is_better"]


def higher_is_better(name: str) -> bool:
    """Whether a larger value of metric ``name`` is better (PSNR, SSIM) or a smaller one (FID, L1)."""
    from ganzoo import plugins

    factory = plugins.registry().get("metric", name).factory
    direction = getattr(factory, "higher_is_better", None)  # metric classes say so themselves
    return bool(factory().higher_is_better if direction is None else direction)
