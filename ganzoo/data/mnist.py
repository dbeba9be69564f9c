"""MNIST from its four original IDX files, gzip-compressed or raw (``*-idx?-ubyte[.gz]``).

The 28x28 grey digits are decoded once, checked against their headers (magic number, sizes,
byte count) and resized to the stored size on load; labels 0-9 are the class condition.
"""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from ganzoo.data.base import DataError, InMemoryDataset, existing_folder, offered_condition
from ganzoo.data.catalog import MNIST
from ganzoo.data.home import reads
from ganzoo.interfaces import NO_CONDITION, Condition, Ports
from ganzoo.registry import component

SPLITS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
#: IDX magic numbers: 0x08 = unsigned bytes, then the number of dimensions.
IMAGES_MAGIC, LABELS_MAGIC = 0x0803, 0x0801
CLASSES = 10
RESIZE_CHUNK = 8192


def find_idx(root: Path, stem: str) -> Path:
    for name in (f"{stem}.gz", stem):
        if (root / name).is_file():
            return root / name
    raise DataError(f"mnist: no {stem}[.gz] in {root}; expected the original IDX files (train-/t10k-images-idx3-ubyte, -labels-idx1-ubyte)")


def read_idx(path: Path, magic: int) -> Tensor:
    """A uint8 IDX array; its header is the magic number then one big-endian uint32 per dimension."""
    try:
        with (gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")) as file:
            data = file.read()
    except (OSError, EOFError) as error:  # gzip reports truncation as EOFError
        raise DataError(f"mnist: cannot read {path}: {error}") from error
    dims = magic & 0xFF
    header = 4 + 4 * dims
    if len(data) < header or int.from_bytes(data[:4], "big") != magic:
        raise DataError(f"mnist: {path} is not an IDX file of {dims}-d unsigned bytes (magic {magic:#06x})")
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    expected = header + math.prod(shape)
    if len(data) != expected:
        raise DataError(f"mnist: {path} has {len(data)} bytes but its header {shape} needs {expected} (truncated?)")
    return torch.frombuffer(bytearray(data[header:]), dtype=torch.uint8).view(*shape)


def resize(images: Tensor, size: int) -> Tensor:
    """``[N, C, H, W]`` uint8 -> ``[N, C, size, size]`` uint8, bilinear with antialiasing, in chunks."""
    if images.shape[-1] == size:
        return images.clone()
    chunks = [
        F.interpolate(chunk.float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        for chunk in images.split(RESIZE_CHUNK)
    ]
    return torch.cat(chunks).round_().clamp_(0, 255).to(torch.uint8)


@component("dataset", "mnist", ports=Ports(channels=(1, 3), conditions=("none", "class"), features=frozenset({"images"})))
@reads(MNIST)
def mnist(
    root: str | None = None,
    split: str = "train",
    resolution: int = 32,
    load_size: int | None = None,
    channels: int = 1,
    condition: str = "none",
    limit: int | None = None,
) -> InMemoryDataset:
    """MNIST digits (IDX files in ``root``, .gz or raw; default: the data home), 10 classes; ``limit`` keeps the first N."""
    if split not in SPLITS:
        raise DataError(f"mnist: split must be one of {', '.join(SPLITS)}, not {split!r}")
    if channels not in (1, 3):
        raise DataError(f"mnist: channels must be 1 (grey) or 3 (grey repeated), not {channels}")
    provided = offered_condition(condition, {"none": NO_CONDITION, "class": Condition("class", CLASSES)}, "mnist")
    folder = existing_folder(Path(str(root)).expanduser(), "mnist", "pass the folder holding the IDX files")
    image_stem, label_stem = SPLITS[split]
    digits = read_idx(find_idx(folder, image_stem), IMAGES_MAGIC)
    labels = read_idx(find_idx(folder, label_stem), LABELS_MAGIC).long()
    if len(digits) != len(labels):
        raise DataError(f"mnist: {len(digits)} images but {len(labels)} labels in {folder} ({split})")
    if len(labels) and int(labels.max()) >= CLASSES:
        raise DataError(f"mnist: labels in {folder} ({split}) go up to {int(labels.max())}; MNIST has {CLASSES} classes")
    if limit is not None:
        if limit <= 0:
            raise DataError(f"mnist: limit must be positive, not {limit}")
        digits, labels = digits[:limit], labels[:limit]
    images = resize(digits[:, None], load_size or resolution).expand(-1, channels, -1, -1).contiguous()
    return InMemoryDataset(
        {"image": images},
        resolution=resolution,
        labels=labels,
        num_classes=CLASSES,
        condition=provided,
        class_names=[str(digit) for digit in range(CLASSES)],
        name=f"mnist/{split}",
    )
