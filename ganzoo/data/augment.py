"""Batch preparation on the training device: uint8 -> float in [-1, 1], random crop and flips.

Every image key of one sample (a paired source and its target) gets the same crop and flip, so
pairs stay aligned. Randomness comes from a dedicated generator whose state is checkpointed.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ganzoo.config import AugmentConfig
from ganzoo.interfaces import as_float_image

IMAGE_KEYS = ("image", "source", "a", "b")


def to_float(batch: dict[str, Any], device: torch.device) -> dict[str, Any]:
    out = dict(batch)
    for key in IMAGE_KEYS:
        if key in out:
            out[key] = as_float_image(out[key].to(device, non_blocking=True))
    if "label" in out:
        out["label"] = out["label"].to(device, non_blocking=True)
    return out


def crop_and_flip(batch: dict[str, Any], config: AugmentConfig, resolution: int, generator: torch.Generator) -> dict[str, Any]:
    """Random ``resolution`` crops (when images are larger) and horizontal flips, per sample."""
    keys = [k for k in IMAGE_KEYS if k in batch]
    if not keys:
        return batch
    first: Tensor = batch[keys[0]]
    n, size, device = first.shape[0], first.shape[-1], first.device
    out = dict(batch)
    if size > resolution:
        span = size - resolution + 1
        top = torch.randint(span, (n,), generator=generator, device=device)
        left = torch.randint(span, (n,), generator=generator, device=device)
        ramp = torch.arange(resolution, device=device)
        rows = (top[:, None] + ramp)[:, None, :, None]
        cols = (left[:, None] + ramp)[:, None, None, :]
        for key in keys:
            x = out[key]
            batch_index = torch.arange(n, device=device)[:, None, None, None]
            channel_index = torch.arange(x.shape[1], device=device)[None, :, None, None]
            out[key] = x[batch_index, channel_index, rows, cols]
    if config.flip:
        flip = (torch.rand(n, generator=generator, device=device) < 0.5)[:, None, None, None]
        for key in keys:
            out[key] = torch.where(flip, out[key].flip(-1), out[key])
    return out


def centre_crop(batch: dict[str, Any], resolution: int) -> dict[str, Any]:
    """The centre ``resolution`` square of every image key (for fixed, non-random inputs)."""
    out = dict(batch)
    for key in IMAGE_KEYS:
        if key in out and out[key].shape[-1] > resolution:
            offset = (out[key].shape[-1] - resolution) // 2
            out[key] = out[key][..., offset:offset + resolution, offset:offset + resolution]
    return out
