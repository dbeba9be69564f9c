"""The built-in procedural dataset: coloured shapes, generated on the fly, shipping with ganzoo.

One generator serves every task, so every preset trains without ``--data``:

* ``shapes``: a shape of one colour on a background of another, with a class label (the shape)
  and captions ("a red circle on a blue background").
* ``shapes-paired``: label map (white silhouette on black) -> rendered image whose colours and
  shading follow from the shape, like facades' labels -> photo.
* ``shapes-unpaired``: domain A has red shapes, domain B blue shapes, on light backgrounds; the two
  domains are drawn independently (unpaired translation should recolour and keep the layout).

Images are drawn at 4x and downsampled (antialiased), deterministically from ``seed``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageDraw

from ganzoo.data.base import InMemoryDataset, offered_condition, to_uint8_tensor
from ganzoo.interfaces import Condition, Ports
from ganzoo.registry import component

SHAPES = ("circle", "square", "triangle", "cross")
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "green": (40, 180, 60),
    "blue": (40, 80, 220),
    "yellow": (235, 210, 40),
    "white": (245, 245, 245),
    "black": (20, 20, 20),
}
#: shape -> (foreground, background) colour of the paired dataset's target images.
PAIRED_STYLE = {
    "circle": ("red", "blue"),
    "square": ("green", "black"),
    "triangle": ("yellow", "blue"),
    "cross": ("white", "red"),
}
UNPAIRED_DOMAINS = {"a": "red", "b": "blue"}
SUPERSAMPLE = 4


@dataclass(frozen=True)
class ShapeSpec:
    """Where and what one drawn shape is, in unit coordinates."""

    shape: str
    cx: float
    cy: float
    radius: float

    @property
    def size_word(self) -> str:
        return "small" if self.radius < 0.3 else "large"


def random_spec(rng: np.random.Generator) -> ShapeSpec:
    radius = float(rng.uniform(0.2, 0.36))
    margin = radius + 0.04
    return ShapeSpec(
        shape=SHAPES[int(rng.integers(len(SHAPES)))],
        cx=float(rng.uniform(margin, 1 - margin)),
        cy=float(rng.uniform(margin, 1 - margin)),
        radius=radius,
    )


def draw_shape(spec: ShapeSpec, size: int, fill: tuple[int, ...], background: tuple[int, ...] | Image.Image) -> Image.Image:
    """Draw one shape, supersampled and downsampled for smooth edges."""
    big = size * SUPERSAMPLE
    if isinstance(background, Image.Image):
        canvas = background.resize((big, big), Image.BILINEAR)
    else:
        canvas = Image.new("RGB", (big, big), background)
    pen = ImageDraw.Draw(canvas)
    cx, cy, r = spec.cx * big, spec.cy * big, spec.radius * big
    if spec.shape == "circle":
        pen.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
    elif spec.shape == "square":
        s = r * 0.85
        pen.rectangle((cx - s, cy - s, cx + s, cy + s), fill=fill)
    elif spec.shape == "triangle":
        pen.polygon([(cx, cy - r), (cx - r * 0.95, cy + r * 0.75), (cx + r * 0.95, cy + r * 0.75)], fill=fill)
    else:  # cross
        w = r * 0.38
        pen.rectangle((cx - r, cy - w, cx + r, cy + w), fill=fill)
        pen.rectangle((cx - w, cy - r, cx + w, cy + r), fill=fill)
    return canvas.resize((size, size), Image.LANCZOS)


def gradient(top: tuple[int, int, int], size: int) -> Image.Image:
    """A vertical shading from ``top`` to a darker shade: texture the paired targets must learn."""
    t = np.linspace(1.0, 0.55, size)[:, None, None]
    array = (np.asarray(top, dtype=np.float64)[None, None, :] * t).repeat(size, axis=1)
    return Image.fromarray(array.clip(0, 255).astype(np.uint8), "RGB")


def captions_for(spec: ShapeSpec, colour: str, background: str) -> list[str]:
    return [
        f"a {colour} {spec.shape} on a {background} background",
        f"a {spec.size_word} {colour} {spec.shape} with a {background} background",
        f"{background} background, {colour} {spec.shape}",
    ]


def _check(resolution: int, channels: int) -> None:
    if resolution < 8:
        raise ValueError(f"shapes resolution must be at least 8 px, got {resolution}")
    if channels not in (1, 3):
        raise ValueError(f"shapes channels must be 1 or 3, got {channels}")


def _to_channels(img: Image.Image, channels: int) -> torch.Tensor:
    return to_uint8_tensor(img if channels == 3 else img.convert("L"))


@component(
    "dataset",
    "shapes",
    ports=Ports(channels=(1, 3), conditions=("none", "class", "text"), features=frozenset({"images"})),
)
def shapes(resolution: int = 32, load_size: int | None = None, channels: int = 3, condition: str = "none",
           count: int = 2048, seed: int = 0) -> InMemoryDataset:
    """Built-in coloured shapes with labels (the shape) and captions; no download."""
    _check(resolution, channels)
    size = load_size or resolution
    rng = np.random.default_rng(seed)
    colour_names = list(COLOURS)
    images, labels, captions = [], [], []
    for _ in range(count):
        spec = random_spec(rng)
        fg, bg = rng.choice(len(colour_names), size=2, replace=False)
        fg_name, bg_name = colour_names[int(fg)], colour_names[int(bg)]
        images.append(_to_channels(draw_shape(spec, size, COLOURS[fg_name], COLOURS[bg_name]), channels))
        labels.append(SHAPES.index(spec.shape))
        captions.append(captions_for(spec, fg_name, bg_name))
    provided = offered_condition(condition, {"none": Condition(), "class": Condition("class", len(SHAPES)), "text": Condition("text")}, "shapes")
    return InMemoryDataset(
        {"image": torch.stack(images)},
        resolution=resolution,
        labels=torch.tensor(labels),
        num_classes=len(SHAPES),
        captions=captions,
        condition=provided,
        class_names=SHAPES,
        name="shapes",
    )


@component(
    "dataset",
    "shapes-paired",
    ports=Ports(channels=(1, 3), conditions=("image",), features=frozenset({"paired"})),
)
def shapes_paired(resolution: int = 32, load_size: int | None = None, channels: int = 3,
                  count: int = 1024, seed: int = 0) -> InMemoryDataset:
    """Built-in label map -> rendered shape pairs (shape sets colours and shading)."""
    _check(resolution, channels)
    size = load_size or resolution
    rng = np.random.default_rng(seed + 1)
    sources, targets = [], []
    for _ in range(count):
        spec = random_spec(rng)
        fg, bg = PAIRED_STYLE[spec.shape]
        sources.append(_to_channels(draw_shape(spec, size, (255, 255, 255), (0, 0, 0)), channels))
        targets.append(_to_channels(draw_shape(spec, size, COLOURS[fg], gradient(COLOURS[bg], size)), channels))
    return InMemoryDataset(
        {"source": torch.stack(sources), "image": torch.stack(targets)},
        resolution=resolution,
        layout="paired",
        condition=Condition("image", channels),
        name="shapes-paired",
    )


@component(
    "dataset",
    "shapes-unpaired",
    ports=Ports(channels=(1, 3), conditions=("none",), features=frozenset({"unpaired"})),
)
def shapes_unpaired(resolution: int = 32, load_size: int | None = None, channels: int = 3,
                    count: int = 1024, seed: int = 0) -> InMemoryDataset:
    """Built-in unpaired domains: red shapes (A) and blue shapes (B), drawn independently."""
    _check(resolution, channels)
    size = load_size or resolution
    domains = {}
    for offset, (key, colour) in enumerate(UNPAIRED_DOMAINS.items()):
        rng = np.random.default_rng(seed + 2 + offset)
        domains[key] = torch.stack([
            _to_channels(draw_shape(random_spec(rng), size, COLOURS[colour], (235, 235, 225)), channels)
            for _ in range(count)
        ])
    return InMemoryDataset(domains, resolution=resolution, layout="unpaired", name="shapes-unpaired")
