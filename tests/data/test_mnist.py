"""The MNIST IDX loader: gz and raw files, resizing, conditions, and refused broken files."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import torch

from ganzoo.data.base import DataError
from ganzoo.data.mnist import mnist
from tests.shared_data import SHARED_DATA

MNIST = SHARED_DATA / "mnist"


def idx_bytes(array: torch.Tensor) -> bytes:
    """An IDX file of unsigned bytes: magic 0x08 0x<ndim>, sizes, data."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + array.to(torch.uint8).numpy().tobytes()


def write_mnist(folder: Path, count: int = 6, compress: bool = True, split: str = "train") -> torch.Tensor:
    """``count`` 28x28 digits whose pixels all equal 40 * label, labels 0..count-1 (mod 10)."""
    folder.mkdir(parents=True, exist_ok=True)
    labels = torch.arange(count) % 10
    images = (labels * 25).view(-1, 1, 1).expand(-1, 28, 28)
    prefix = "train" if split == "train" else "t10k"
    for stem, array in ((f"{prefix}-images-idx3-ubyte", images), (f"{prefix}-labels-idx1-ubyte", labels)):
        data = idx_bytes(array)
        if compress:
            (folder / f"{stem}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / stem).write_bytes(data)
    return labels


@pytest.mark.parametrize("compress", [True, False])
def test_reads_gz_or_raw_idx(tmp_path: Path, compress: bool) -> None:
    labels = write_mnist(tmp_path, compress=compress)
    data = mnist.create(root=str(tmp_path), resolution=32, condition="class")
    assert len(data) == 6 and data.channels == 1 and data.resolution == 32
    assert str(data.condition) == "class(10)" and data.layout == "images"
    item = data[3]
    assert item["image"].dtype == torch.uint8 and item["image"].shape == (1, 32, 32)
    assert int(item["label"]) == int(labels[3]) and int(item["image"][0, 16, 16]) == 75


def test_stores_at_load_size_and_repeats_grey_for_three_channels(tmp_path: Path) -> None:
    write_mnist(tmp_path)
    data = mnist.create(root=str(tmp_path), resolution=32, load_size=36, channels=3, limit=4)
    assert len(data) == 4 and data[0]["image"].shape == (3, 36, 36)
    assert str(data.condition) == "none"


def test_test_split(tmp_path: Path) -> None:
    write_mnist(tmp_path, count=3, split="test")
    assert len(mnist.create(root=str(tmp_path), split="test")) == 3


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("missing", "no train-labels-idx1-ubyte\\[.gz\\]"),
        ("truncated", "has .* bytes but its header"),
        ("magic", "is not an IDX file"),
        ("count", "6 images but 5 labels"),
    ],
)
def test_refuses_broken_files(tmp_path: Path, damage: str, message: str) -> None:
    write_mnist(tmp_path, compress=False)
    labels = tmp_path / "train-labels-idx1-ubyte"
    images = tmp_path / "train-images-idx3-ubyte"
    if damage == "missing":
        labels.unlink()
    elif damage == "truncated":
        images.write_bytes(images.read_bytes()[:-10])
    elif damage == "magic":
        images.write_bytes(b"\x00\x00\x09\x03" + images.read_bytes()[4:])
    else:
        labels.write_bytes(idx_bytes(torch.arange(5)))
    with pytest.raises(DataError, match=message):
        mnist.create(root=str(tmp_path))


def test_refuses_bad_options(tmp_path: Path) -> None:
    write_mnist(tmp_path)
    with pytest.raises(DataError, match="provides the conditions none or class"):
        mnist.create(root=str(tmp_path), condition="text")
    with pytest.raises(DataError, match="split must be one of train, test"):
        mnist.create(root=str(tmp_path), split="valid")
    with pytest.raises(DataError, match="mnist: no folder"):
        mnist.create(root=str(tmp_path / "nowhere"))


@pytest.mark.realdata
@pytest.mark.skipif(not MNIST.is_dir(), reason=f"real MNIST not found at {MNIST}")
def test_real_mnist_test_split() -> None:
    data = mnist.create(root=str(MNIST), split="test", resolution=32, condition="class")
    assert len(data) == 10_000 and data[0]["image"].shape == (1, 32, 32)
    assert torch.bincount(data.labels, minlength=10).min() > 800
