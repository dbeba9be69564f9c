"""Conformance checks every generator and discriminator should pass, for plugin test suites.

In the manner of timm's ``tests/test_models.py``: a plugin parametrises its tests over the
components it registers (:func:`components_of`) and every declared geometry and condition
(:func:`declared_cases`), then calls :func:`check_generator` / :func:`check_discriminator`, which
build the network, run forward and backward, and assert shapes, ranges and finite gradients.
Image conditions are among the cases: a translating generator gets its source image, a
discriminator of paired data the source beside the image it judges (pix2pix's PatchGAN).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ganzoo.build import create
from ganzoo.interfaces import Condition
from ganzoo.mix import Resolved
from ganzoo.plugins import registry
from ganzoo.registry import Component

#: sizes of the conditions used in the checks (small, so the networks stay tiny); an image
#: condition has the channels of the case (a source image like the one translated or judged).
EXAMPLE_CONDITIONS = {"none": Condition(), "class": Condition("class", 3), "embedding": Condition("embedding", 12)}
BATCH = 2


def components_of(distribution: str, kind: str) -> list[Component]:
    """The components of ``kind`` registered by the installed ``distribution`` (e.g. ``ganzoo-dcgan``)."""
    return [item for item in registry().list(kind) if item.provider and item.provider.distribution == distribution]


def declared_cases(item: Component, default_resolution: int = 32) -> list[tuple[int, int, Condition]]:
    """(resolution, channels, condition) for every declared resolution, channel count and condition
    ``item`` takes (text reaches networks only as an embedding, so it has no case); components
    taking any size are checked at ``default_resolution``."""
    resolutions = item.ports.resolutions or (default_resolution,)
    channels = item.ports.channels or (1, 3)
    return [(r, c, Condition("image", c) if kind == "image" else EXAMPLE_CONDITIONS[kind])
            for r in resolutions for c in channels for kind in item.ports.conditions if kind == "image" or kind in EXAMPLE_CONDITIONS]


def example_condition(condition: Condition, batch: int = BATCH, resolution: int | None = None) -> Tensor | None:
    """A batch of condition values of the right kind and size (images in [-1, 1] at ``resolution``)."""
    if condition.kind == "class":
        return torch.arange(batch) % condition.dim
    if condition.kind == "embedding":
        return torch.randn(batch, condition.dim)
    if condition.kind == "image":
        if resolution is None:
            raise ValueError("an image condition needs the resolution of its images")
        return torch.rand(batch, condition.dim, resolution, resolution) * 2 - 1
    return None


def build(item: Component, resolution: int, channels: int, condition: Condition, **kwargs: Any) -> nn.Module:
    """``item`` built as training builds it: ``kwargs``, then the context arguments its signature names."""
    return create(Resolved(item, kwargs), {"resolution": resolution, "channels": channels, "condition": condition})


def assert_finite_gradients(module: nn.Module, name: str) -> None:
    """Every parameter that takes part got a finite gradient, and at least one is non-zero."""
    grads = [p.grad for p in module.parameters() if p.requires_grad and p.grad is not None]
    assert grads, f"{name}: no parameter received a gradient"
    assert all(torch.isfinite(g).all() for g in grads), f"{name}: non-finite gradients"
    assert any(g.abs().sum() > 0 for g in grads), f"{name}: all gradients are zero"


def check_generator(item: Component, resolution: int, channels: int, condition: Condition, **kwargs: Any) -> nn.Module:
    """Build, sample a batch (from noise, or translating a source image), back-propagate; images
    must be ``[B, C, R, R]`` within [-1, 1]."""
    generator = build(item, resolution, channels, condition, **kwargs)
    z = torch.randn(BATCH, generator.latent_dim) if item.ports.input == "noise" else None
    images = generator(z, example_condition(condition, BATCH, resolution))
    assert images.shape == (BATCH, channels, resolution, resolution), f"{item.qualified}: images {tuple(images.shape)}"
    assert images.min() >= -1 and images.max() <= 1, f"{item.qualified}: images outside [-1, 1]"
    images.square().mean().backward()
    assert_finite_gradients(generator, item.qualified)
    return generator


def check_discriminator(item: Component, resolution: int, channels: int, condition: Condition, **kwargs: Any) -> nn.Module:
    """Build, score a batch (with its source image, for an image condition), back-propagate; logits
    must be ``[B]`` or ``[B, 1, h, w]``, gradients must reach the parameters and the input image
    (the generator learns through it)."""
    discriminator = build(item, resolution, channels, condition, **kwargs)
    images = torch.rand(BATCH, channels, resolution, resolution, requires_grad=True)
    logits = discriminator(images * 2 - 1, example_condition(condition, BATCH, resolution))
    assert logits.shape[0] == BATCH and (logits.ndim == 1 or logits.shape[1] == 1), f"{item.qualified}: logits {tuple(logits.shape)}"
    assert torch.isfinite(logits).all(), f"{item.qualified}: non-finite logits"
    logits.mean().backward()
    assert_finite_gradients(discriminator, item.qualified)
    assert images.grad is not None and images.grad.abs().sum() > 0, f"{item.qualified}: no gradient reaches the image"
    return discriminator
