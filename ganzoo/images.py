"""Image grids and files: what every command that writes pictures shares."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor
from torchvision.utils import make_grid

from ganzoo.io import atomic_write


def to_uint8(images: Tensor) -> Tensor:
    """[-1, 1] float -> uint8 [0, 255] (CPU)."""
    return images.detach().float().clamp(-1, 1).add(1).mul(127.5).round().to(torch.uint8).cpu()


def to_pil(image: Tensor) -> Image.Image:
    """One ``[C, H, W]`` image in [-1, 1] -> PIL."""
    array = to_uint8(image).permute(1, 2, 0).numpy()
    return Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array)


def save_image(image: Tensor, path: Path) -> None:
    path = Path(path)
    fmt = (path.suffix.lstrip(".") or "png").upper().replace("JPG", "JPEG")
    atomic_write(path, lambda f: to_pil(image).save(f, format=fmt))


def grid(images: dict[str, Tensor], columns: int | None = None, max_rows_per_kind: int = 8) -> Tensor:
    """One picture of named image batches in [-1, 1].

    A single batch becomes a square grid. Several (e.g. input/output/target) become one row each
    per group of ``columns`` samples, so a sample's versions line up vertically.
    """
    batches = [b.detach().float().cpu() for b in images.values()]
    size = max(b.shape[-1] for b in batches)
    batches = [b if b.shape[-1] == size else F.interpolate(b, size=(size, size), mode="nearest") for b in batches]
    batches = [b.expand(-1, 3, -1, -1) if b.shape[1] == 1 and any(o.shape[1] == 3 for o in batches) else b for b in batches]
    if len(batches) == 1:
        n = len(batches[0])
        return make_grid(batches[0], nrow=columns or max(1, round(n**0.5)), padding=2, pad_value=1.0)
    n = min(len(b) for b in batches)
    columns = columns or min(n, 8)
    rows = []
    for start in range(0, min(n, columns * max_rows_per_kind), columns):
        rows.extend(b[start:start + columns] for b in batches)
    return make_grid(torch.cat(rows), nrow=columns, padding=2, pad_value=1.0)


def save_grid(images: dict[str, Tensor], path: Path, columns: int | None = None) -> Path:
    save_image(grid(images, columns), path)
    return Path(path)
