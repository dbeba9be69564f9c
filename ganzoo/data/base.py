"""In-memory datasets and the image reading every loader shares.

All ganzoo datasets are small enough to decode once and keep as uint8 tensors; the training loop
can then move them to the device and gather batches there, with no per-step host work. That
capability is declared by :class:`DeviceBatching`; any other ``torch`` map-style dataset of dict
items still trains, its batches assembled item by item on the host.
"""

from __future__ import annotations

import abc
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch import Tensor
from torch.utils.data import Dataset

from ganzoo.errors import GanzooError
from ganzoo.interfaces import NO_CONDITION, Condition

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif", ".tif", ".tiff")
#: the largest image read (width x height): PIL's decompression-bomb limit. A larger one is a bad
#: image (skipped with --skip-bad), found from its header before anything is decoded.
MAX_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485
#: one-channel modes wider than 8 bits, which PIL's convert would clip at 255 instead of scaling.
WIDE_MODES = {"I;16": "16-bit", "I;16B": "16-bit", "I;16L": "16-bit", "I;16N": "16-bit", "I": "32-bit integer, read as 16-bit",
              "F": "32-bit float"}
LAYOUTS = ("images", "paired", "unpaired")


class DataError(GanzooError):
    """A dataset problem: the message names the path(s), how many, and the way out."""


def existing_folder(folder: Path, what: str, expected: str = "") -> Path:
    """``folder`` if it exists; else a :class:`DataError` naming it, what was ``expected`` there and
    the folders that do exist beside it (usually a misspelt split or root)."""
    if folder.is_dir():
        return folder
    beside = sorted(p.name for p in folder.parent.iterdir() if p.is_dir()) if folder.parent.is_dir() else []
    detail = f" ({expected})" if expected else ""
    found = f"; folders there: {', '.join(beside)}" if beside else ""
    raise DataError(f"{what}: no folder {folder}{detail}{found}")


def offered_condition(condition: str, offered: dict[str, Condition], what: str) -> Condition:
    """The condition a loader was asked for, among those it ``offered``; else a one-line error naming them."""
    if condition not in offered:
        names = list(offered)
        choices = " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        raise DataError(f"{what} provides the conditions {choices}, not {condition!r}")
    return offered[condition]


class DeviceBatching(Dataset, abc.ABC):
    """A dataset that gathers whole batches itself, on the device it was moved to.

    The training loop calls :meth:`to` once with the training device, then :meth:`batch` every
    step with that step's indices; the fast step calls :meth:`batch` inside a CUDA graph, with the
    indices already on the device, when :attr:`host_fields` is empty.
    """

    #: batch keys whose values are host objects (captions are Python strings), not device tensors.
    host_fields: tuple[str, ...] = ()

    @abc.abstractmethod
    def to(self, device: torch.device | str) -> "DeviceBatching":
        """Move what batches are gathered from to ``device``; returns the dataset."""

    @abc.abstractmethod
    def batch(self, indices: Tensor, epochs: Tensor | None = None) -> dict[str, Any]:
        """The batch of dataset ``indices``; ``epochs`` (one per index) may choose among variants."""

    def prepare_captions(self, prepare: Callable[[list[str]], dict[str, Tensor] | None]) -> None:
        """Run a conditioner's host part (``prepare``: captions -> one row each of fixed-shape
        tensors, or ``None`` when it has none) once, so that batches carry those rows, gathered on
        the device, instead of strings. A dataset without captions has nothing to prepare."""


@dataclass
class PreparedCaptions:
    """A conditioner's host part, run once over a dataset's distinct captions, and where each
    image's captions are among them: what lets the device gather captions like images."""

    #: one row per distinct caption (token ids and lengths, table rows: whatever ``prepare`` made).
    table: dict[str, Tensor]
    #: every image's captions in order, as rows of ``table``; image ``i``'s start at ``starts[i]``.
    rows: Tensor
    starts: Tensor
    counts: Tensor

    @classmethod
    def build(cls, captions: list[list[str]], prepare: Callable[[list[str]], dict[str, Tensor] | None]) -> "PreparedCaptions | None":
        distinct = list(dict.fromkeys(c for options in captions for c in options))
        table = prepare(distinct)
        if table is None:
            return None
        where = {caption: i for i, caption in enumerate(distinct)}
        counts = torch.tensor([len(options) for options in captions])
        return cls(table, torch.tensor([where[c] for options in captions for c in options]), counts.cumsum(0) - counts, counts)

    def to(self, device: torch.device | str) -> "PreparedCaptions":
        return PreparedCaptions({k: v.to(device) for k, v in self.table.items()}, self.rows.to(device), self.starts.to(device),
                                self.counts.to(device))

    def gather(self, indices: Tensor, draws: Tensor) -> dict[str, Tensor]:
        """The rows of the captions :meth:`InMemoryDataset.caption` picks for ``indices`` and ``draws``."""
        image = indices % len(self.counts)
        rows = self.rows[self.starts[image] + (indices + draws) % self.counts[image]]
        return {key: value[rows] for key, value in self.table.items()}


class InMemoryDataset(DeviceBatching):
    """Images (uint8 ``[N, C, H, W]`` per key), optional labels and captions, all in memory.

    ``images`` maps batch keys (``image``, ``source``, ``a``, ``b``) to stacked tensors; for the
    unpaired layout ``a`` and ``b`` may have different lengths (the longer one sets ``len``, the
    shorter is indexed modulo its size).
    """

    def __init__(
        self,
        images: dict[str, Tensor],
        *,
        resolution: int,
        layout: str = "images",
        labels: Tensor | None = None,
        num_classes: int = 0,
        captions: Sequence[Sequence[str]] | None = None,
        condition: Condition = NO_CONDITION,
        class_names: Sequence[str] | None = None,
        name: str = "dataset",
    ) -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"layout {layout!r} is not one of {', '.join(LAYOUTS)}")
        if not images or any(len(t) == 0 for t in images.values()):
            raise DataError(f"{name}: no images")
        for key, tensor in images.items():
            if tensor.dtype != torch.uint8 or tensor.ndim != 4:
                raise ValueError(f"{name}: images[{key!r}] must be uint8 [N, C, H, W], got {tensor.dtype} {tuple(tensor.shape)}")
        self.images = images
        self.labels = labels
        self.num_classes = num_classes
        self.captions = [list(c) for c in captions] if captions is not None else None
        self.host_fields = ("caption",) if captions is not None else ()
        #: the captions as a conditioner's prepared rows (:meth:`prepare_captions`), gathered on the device.
        self.prepared: PreparedCaptions | None = None
        self.class_names = list(class_names) if class_names else None
        self.layout = layout
        self.condition = condition
        self.resolution = resolution
        self.channels = next(iter(images.values())).shape[1]
        self.name = name
        self._length = max(len(t) for t in images.values())
        if self.captions is not None and any(not c for c in self.captions):
            missing = sum(1 for c in self.captions if not c)
            raise DataError(f"{name}: {missing} images have no caption")

    def __len__(self) -> int:
        return self._length

    def to(self, device: torch.device | str) -> "InMemoryDataset":
        """Move the image tensors (and labels) to ``device``, e.g. to gather batches on the GPU."""
        self.images = {k: v.to(device) for k, v in self.images.items()}
        if self.labels is not None:
            self.labels = self.labels.to(device)
        if self.prepared is not None:
            self.prepared = self.prepared.to(device)
        return self

    def prepare_captions(self, prepare: Callable[[list[str]], dict[str, Tensor] | None]) -> None:
        if self.captions is None:
            return
        prepared = PreparedCaptions.build(self.captions, prepare)
        self.prepared = prepared.to(next(iter(self.images.values())).device) if prepared is not None else None
        self.host_fields = ("caption",) if prepared is None else ()

    def _rows(self, key: str, indices: Tensor) -> Tensor:
        tensor = self.images[key]
        return tensor[indices.to(tensor.device) % len(tensor)]

    def batch(self, indices: Tensor, epochs: Tensor | None = None) -> dict[str, Any]:
        """A batch for dataset ``indices``; ``epochs`` picks among several captions (prepared rows
        once :meth:`prepare_captions` ran, else strings)."""
        out: dict[str, Any] = {key: self._rows(key, indices) for key in self.images}
        if self.labels is not None:
            out["label"] = self.labels[indices.to(self.labels.device) % len(self.labels)]
        if self.captions is not None:
            epochs = epochs if epochs is not None else torch.zeros_like(indices)
            if self.prepared is not None:
                device = self.prepared.rows.device
                out["caption"] = self.prepared.gather(indices.to(device), epochs.to(device))
            else:
                out["caption"] = [self.caption(int(i), int(e)) for i, e in zip(indices.tolist(), epochs.tolist())]
        return out

    def caption(self, index: int, draw: int = 0) -> str:
        """One of the captions of image ``index``; ``draw`` (e.g. the epoch) rotates through them."""
        assert self.captions is not None
        options = self.captions[index % len(self.captions)]
        return options[(index + draw) % len(options)]

    def __getitem__(self, index: int) -> dict[str, Any]:
        item = self.batch(torch.tensor([index]))
        if self.captions is not None:
            item["caption"] = [self.caption(index)]  # an item's caption is text, prepared or not
        return {k: (v[0] if isinstance(v, (Tensor, list)) else v) for k, v in item.items()}


# ----------------------------------------------------------------------------------------------
# Reading images with clear errors
# ----------------------------------------------------------------------------------------------

@dataclass
class ImageProblems:
    """Images that could not be used, grouped by reason, for one clear message."""

    what: str
    problems: dict[str, list[str]] = field(default_factory=dict)
    converted: dict[str, list[str]] = field(default_factory=dict)

    def add(self, reason: str, path: Path | str) -> None:
        self.problems.setdefault(reason, []).append(str(path))

    def note_conversion(self, mode: str, path: Path | str) -> None:
        self.converted.setdefault(mode, []).append(str(path))

    def count(self) -> int:
        return sum(len(v) for v in self.problems.values())

    def summary(self) -> str:
        return "; ".join(f"{len(paths)} {reason} (e.g. {paths[0]})" for reason, paths in self.problems.items())

    def settle(self, skip_bad: bool) -> None:
        """Warn about converted modes; fail on problems unless ``skip_bad``, then warn."""
        for mode, paths in self.converted.items():
            warnings.warn(f"{self.what}: {len(paths)} {mode} images converted (e.g. {paths[0]})", stacklevel=3)
        if not self.problems:
            return
        if not skip_bad:
            raise DataError(f"{self.what}: {self.summary()}. Fix or remove them, or pass --skip-bad to skip them")
        warnings.warn(f"{self.what}: skipped {self.count()} bad images: {self.summary()}", stacklevel=3)


def read_text(path: Path, what: str) -> str:
    """A text file of a dataset (captions, manifests), which must be UTF-8: bytes that are not
    would silently become other characters and train on them."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise DataError(f"{what}: {path} is not UTF-8 text (byte 0x{data[error.start]:02x} on line {line}); "
                        "save it as UTF-8, or remove it") from None


def list_images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def image_size(path: Path) -> tuple[int, int] | None:
    """``(width, height)`` from an image file's header (nothing is decoded); ``None`` if unreadable
    or beyond PIL's bomb limit (:func:`open_image` then says which)."""
    try:
        with Image.open(path) as img:
            return img.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None


def open_image(path: Path, channels: int, problems: ImageProblems) -> Image.Image | None:
    """Decode fully (truncation shows here), convert to ``channels``; ``None`` and a note if unusable.

    The one way datasets, translation inputs and evaluation references read an image: an image
    over :data:`MAX_PIXELS` is a problem found from its header (nothing is decoded), 16-bit and
    float images are scaled to 8 bits (not clipped), transparency is composited on white."""
    too_large = f"larger than {MAX_PIXELS:,} pixels"
    try:
        with Image.open(path) as img:
            if img.width * img.height > MAX_PIXELS:
                problems.add(too_large, f"{path} ({img.width}x{img.height})")
                return None
            img.load()
            mode = img.mode
            if mode in WIDE_MODES:
                problems.note_conversion(f"{mode} ({WIDE_MODES[mode]}, scaled to 8 bits)", path)
                img = _eight_bit(img)
            elif "A" in mode or (mode == "P" and "transparency" in img.info):
                problems.note_conversion(f"{mode} (alpha composited on white)", path)
                background = Image.new("RGBA", img.size, (255, 255, 255, 255))
                img = Image.alpha_composite(background, img.convert("RGBA"))
            elif mode != ("RGB" if channels == 3 else "L"):
                problems.note_conversion(f"{mode} (converted to {'RGB' if channels == 3 else 'grey'})", path)
            img = img.convert("RGB" if channels == 3 else "L")
    except Image.DecompressionBombError:  # PIL's own refusal, beyond twice its limit
        problems.add(too_large, str(path))
        return None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        problems.add("unreadable or truncated", f"{path} ({type(error).__name__})")
        return None
    return img


def _eight_bit(img: Image.Image) -> Image.Image:
    """A one-channel 16-bit, 32-bit integer or float image as 8-bit grey, scaled over its range
    (16 bits: 0..65535; float: 0..1 when it fits there, else 0..255), not clipped at 255."""
    array = np.asarray(img, dtype=np.float64)
    if img.mode == "F":
        scale = 255.0 if np.nanmax(array, initial=0.0) <= 1.0 else 1.0
    else:
        scale = 255.0 / 65535.0
    return Image.fromarray(np.nan_to_num(array * scale).round().clip(0, 255).astype(np.uint8), "L")


def resize_center_crop(img: Image.Image, size: int) -> Image.Image:
    """Scale the shorter side to ``size`` (bicubic, antialiased) and crop the centre square."""
    w, h = img.size
    scale = size / min(w, h)
    if scale != 1:
        img = img.resize((max(size, round(w * scale)), max(size, round(h * scale))), Image.BICUBIC)
    w, h = img.size
    left, top = (w - size) // 2, (h - size) // 2
    return img.crop((left, top, left + size, top + size))


def to_uint8_tensor(img: Image.Image) -> Tensor:
    array = np.asarray(img, dtype=np.uint8)
    if array.ndim == 2:
        array = array[:, :, None]
    return torch.from_numpy(array.copy()).permute(2, 0, 1).contiguous()


def read_images(
    paths: Sequence[Path],
    *,
    channels: int,
    size: int,
    what: str,
    skip_bad: bool = False,
    prepare: Callable[[Image.Image], Image.Image | list[Image.Image]] | None = None,
    min_size: int | None = None,
) -> tuple[list[Tensor | list[Tensor]], list[int]]:
    """Decode ``paths`` in parallel into uint8 tensors resized/cropped to ``size``.

    ``prepare`` may turn one file into several images (e.g. split an aligned A|B pair); images
    smaller than ``min_size`` are problems (default: ``size``). Loaders pass their training
    resolution: an image between it and a larger jitter ``size`` is upscaled, as pix2pix resizes
    its 256 px halves to 286 before cropping 256.
    Returns the tensors and the indices of the paths kept.
    """
    if not paths:
        raise DataError(f"{what}: no images found")
    problems = ImageProblems(what)
    limit = size if min_size is None else min_size

    def one(path: Path) -> Tensor | list[Tensor] | None:
        img = open_image(path, channels, problems)
        if img is None:
            return None
        parts = prepare(img) if prepare else img
        group = parts if isinstance(parts, list) else [parts]
        if any(min(p.size) < limit for p in group):
            problems.add(f"smaller than {limit} px", f"{path} ({group[0].size[0]}x{group[0].size[1]})")
            return None
        tensors = [to_uint8_tensor(resize_center_crop(p, size)) for p in group]
        return tensors if isinstance(parts, list) else tensors[0]

    with ThreadPoolExecutor(max_workers=4) as pool:
        decoded = list(pool.map(one, paths))
    problems.settle(skip_bad)
    kept = [i for i, t in enumerate(decoded) if t is not None]
    if not kept:
        raise DataError(f"{what}: none of the {len(paths)} images could be used")
    return [decoded[i] for i in kept], kept
