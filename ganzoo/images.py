"""Image grids and files: what every command that writes pictures shares."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw, ImageFont
from torch import Tensor

from ganzoo.io import atomic_write

#: pixels between grid cells (and around the grid), as ``make_grid`` draws them.
PADDING = 2
#: longest row label or legend line, in characters, before it is shortened.
LABEL_CHARS = 48
#: the longest side, in pixels, of the grids a run writes as it trains: larger ones are unreadable
#: and slow to write (64 pix2pix triples at 256 px made 2105 x 6194 pixels, 20 MB).
READABLE_SIDE = 2048


def to_uint8(images: Tensor) -> Tensor:
    """[-1, 1] float -> uint8 [0, 255] (CPU)."""
    return images.detach().float().clamp(-1, 1).add(1).mul(127.5).round().to(torch.uint8).cpu()


def to_pil(image: Tensor) -> Image.Image:
    """One ``[C, H, W]`` image in [-1, 1] -> PIL."""
    array = to_uint8(image).permute(1, 2, 0).numpy()
    return Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array)


def save_picture(picture: Image.Image, path: Path) -> None:
    path = Path(path)
    fmt = (path.suffix.lstrip(".") or "png").upper().replace("JPG", "JPEG")
    atomic_write(path, lambda f: picture.save(f, format=fmt))


def save_image(image: Tensor, path: Path) -> None:
    save_picture(to_pil(image), path)


@dataclass(frozen=True)
class GridRow:
    """One row of a grid: which output it shows (``samples``, ``input``...) and which samples."""

    kind: str
    samples: range


def layout(images: dict[str, Tensor], columns: int | None = None, max_rows_per_kind: int = 8,
           max_side: int | None = None) -> tuple[Tensor, int, list[GridRow]]:
    """The tiles of a grid in row-major order, the row length and what each row shows.

    A single batch becomes a square grid. Several (e.g. input/output/target) become one row each
    per group of ``columns`` samples, so a sample's versions line up vertically. ``max_side``
    leaves out the samples that would make the grid longer than that many pixels.
    """
    batches = {k: b.detach().float().cpu() for k, b in images.items()}
    size = max(b.shape[-1] for b in batches.values())
    batches = {k: b if b.shape[-1] == size else F.interpolate(b, size=(size, size), mode="nearest") for k, b in batches.items()}
    colour = any(b.shape[1] == 3 for b in batches.values())
    batches = {k: b.expand(-1, 3, -1, -1) if b.shape[1] == 1 and colour else b for k, b in batches.items()}
    fit = max(1, (max_side - PADDING) // (size + PADDING)) if max_side else None  # cells along a side
    if len(batches) == 1:
        (kind, batch), = batches.items()
        columns = columns or max(1, round(len(batch)**0.5))
        if fit:
            columns = min(columns, fit)
            batch = batch[:columns * fit]
        n = len(batch)
        return batch, columns, [GridRow(kind, range(s, min(s + columns, n))) for s in range(0, n, columns)]
    n = min(len(b) for b in batches.values())
    columns = columns or min(n, 8)
    if fit:
        columns = min(columns, fit)
        max_rows_per_kind = min(max_rows_per_kind, max(1, fit // len(batches)))
    tiles, rows = [], []
    for start in range(0, min(n, columns * max_rows_per_kind), columns):
        for kind, batch in batches.items():
            tiles.append(batch[start:start + columns])
            rows.append(GridRow(kind, range(start, min(start + columns, n))))
    return torch.cat(tiles), columns, rows


def _tiled(tiles: Tensor, columns: int) -> Tensor:
    # torchvision is imported here, not at the top: importing it costs every command ~1.5 s
    from torchvision.utils import make_grid

    return make_grid(tiles, nrow=columns, padding=PADDING, pad_value=1.0)


def grid(images: dict[str, Tensor], columns: int | None = None, max_rows_per_kind: int = 8) -> Tensor:
    """One picture ``[C, H, W]`` in [-1, 1] of named image batches (see :func:`layout`)."""
    tiles, columns, _ = layout(images, columns, max_rows_per_kind)
    return _tiled(tiles, columns)


def sample_labels(raw: Any, class_names: Sequence[str] | None = None) -> list[str] | None:
    """What conditioned each sample, as text: class names for labels, the captions for text.

    ``None`` for unconditional inputs and conditions that are not labels or captions.
    """
    if isinstance(raw, (list, tuple)) and raw and all(isinstance(c, str) for c in raw):
        return list(raw)
    if isinstance(raw, Tensor) and raw.dim() == 1 and not raw.is_floating_point():
        names = list(class_names or [])
        return [names[i] if 0 <= i < len(names) else f"class {i}" for i in raw.tolist()]
    return None


def labelled_grid(images: dict[str, Tensor], columns: int | None = None, labels: Sequence[str] | None = None,
                  max_rows_per_kind: int = 8, max_side: int | None = None) -> Image.Image:
    """The grid as a picture, each row labelled with what it shows.

    Rows are named by their output when there are several (``input``/``output``/``target``) and by
    the sample labels (class names) when a row shares one. Labels that differ within a row
    (captions) number the cells and are listed under the grid, number by number.
    """
    tiles, columns, rows = layout(images, columns, max_rows_per_kind, max_side)
    picture = to_pil(_tiled(tiles, columns)).convert("RGB")
    several = len(images) > 1
    labels = list(labels) if labels is not None else None
    shared = labels is not None and all(len({labels[i] for i in row.samples if i < len(labels)}) <= 1 for row in rows)
    row_text = []
    for row in rows:
        parts = [row.kind] if several else []
        if shared and row.samples and row.samples[0] < len(labels):
            parts.append(labels[row.samples[0]])
        row_text.append(_shorten(": ".join(parts)))
    shown = max((row.samples.stop for row in rows), default=0)
    legend = [] if labels is None or shared else [_shorten(f"{i + 1}  {text}") for i, text in enumerate(labels[:shown])]
    if not any(row_text) and not legend:
        return picture

    font = ImageFont.load_default()
    line = font.getbbox("Hg")[3] + 4
    margin = max((int(math.ceil(font.getlength(t))) for t in row_text if t), default=0)
    margin = margin + 8 if margin else 0
    legend_height = line * len(legend) + (6 if legend else 0)
    width = max(picture.width + margin, max((int(font.getlength(t)) + 8 for t in legend), default=0))
    canvas = Image.new("RGB", (width, picture.height + legend_height), "white")
    canvas.paste(picture, (margin, 0))
    draw = ImageDraw.Draw(canvas)
    across = min(columns, len(tiles))
    cell_width, cell_height = (picture.width - PADDING) // across, (picture.height - PADDING) // math.ceil(len(tiles) / across)
    for index, (row, text) in enumerate(zip(rows, row_text)):
        top = PADDING + index * cell_height
        if text:
            draw.text((4, top + max(0, (cell_height - PADDING - line) // 2) + 2), text, fill="black", font=font)
        if legend and (not several or row.kind == rows[0].kind):
            for position, sample in enumerate(row.samples):
                x, y = margin + PADDING + position * cell_width, top
                number = str(sample + 1)
                draw.rectangle((x, y, x + font.getlength(number) + 3, y + line - 2), fill="black")
                draw.text((x + 2, y + 1), number, fill="white", font=font)
    for index, text in enumerate(legend):
        draw.text((4, picture.height + 3 + index * line), text, fill="black", font=font)
    return canvas


def _shorten(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 3] + "..."


def save_grid(images: dict[str, Tensor], path: Path, columns: int | None = None, labels: Sequence[str] | None = None) -> Path:
    """Write the labelled grid of ``images`` to ``path`` (atomically)."""
    save_picture(labelled_grid(images, columns, labels), path)
    return Path(path)
