"""CIFAR-10 from its binary version (``cifar-10-batches-bin``): fixed-size records, no pickles.

Each ``*.bin`` holds records of one label byte then 3x32x32 pixel bytes (red, green, blue planes);
``batches.meta.txt`` names the ten classes, one per line. Labels are the class condition.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ganzoo.data.base import DataError, InMemoryDataset, offered_condition
from ganzoo.data.catalog import CIFAR10
from ganzoo.data.home import reads
from ganzoo.data.mnist import resize
from ganzoo.interfaces import NO_CONDITION, Condition, Ports
from ganzoo.registry import component

SPLITS = {"train": tuple(f"data_batch_{i}.bin" for i in range(1, 6)), "test": ("test_batch.bin",)}
RECORD = 1 + 3 * 32 * 32
CLASSES = 10


def read_batch(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """(uint8 images [N, 3, 32, 32], labels [N]) of one binary batch file."""
    if not path.is_file():
        raise DataError(f"cifar10: no {path}; expected the binary version's data_batch_1..5.bin and test_batch.bin")
    data = path.read_bytes()
    if not data or len(data) % RECORD:
        raise DataError(f"cifar10: {path} has {len(data)} bytes, not a whole number of {RECORD}-byte records (truncated?)")
    records = torch.frombuffer(bytearray(data), dtype=torch.uint8).view(-1, RECORD)
    labels = records[:, 0].long()
    if int(labels.max()) >= CLASSES:
        raise DataError(f"cifar10: {path} holds label {int(labels.max())}; CIFAR-10 has {CLASSES} classes")
    return records[:, 1:].reshape(-1, 3, 32, 32).clone(), labels


@component("dataset", "cifar10", ports=Ports(channels=(3,), conditions=("none", "class"), features=frozenset({"images"})))
@reads(CIFAR10)
def cifar10(
    root: str | None = None,
    split: str = "train",
    resolution: int = 32,
    load_size: int | None = None,
    channels: int = 3,
    condition: str = "none",
    limit: int | None = None,
) -> InMemoryDataset:
    """CIFAR-10 (binary version) from the data home or ``root``, 10 classes; ``limit`` keeps the first N."""
    if split not in SPLITS:
        raise DataError(f"cifar10: split must be one of {', '.join(SPLITS)}, not {split!r}")
    provided = offered_condition(condition, {"none": NO_CONDITION, "class": Condition("class", CLASSES)}, "cifar10")
    if channels != 3:
        raise DataError(f"cifar10: images are colour; channels must be 3, not {channels}")
    folder = Path(str(root)).expanduser()
    batches = [read_batch(folder / name) for name in SPLITS[split]]
    images, labels = torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches])
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    meta = folder / "batches.meta.txt"
    names = [line.strip() for line in meta.read_text(encoding="utf-8").splitlines() if line.strip()] if meta.is_file() else []
    return InMemoryDataset(
        {"image": resize(images, load_size or resolution)},
        resolution=resolution,
        labels=labels,
        num_classes=CLASSES,
        condition=provided,
        class_names=names[:CLASSES] if len(names) >= CLASSES else [str(i) for i in range(CLASSES)],
        name=f"cifar10/{split}",
    )
