"""The image-folder loader: class sub-folders as labels, flat folders, and refused bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from ganzoo.data.base import DataError
from ganzoo.data.folder import image_folder
from tests.shared_data import SHARED_DATA

FLOWERS = SHARED_DATA / "flowers102"


def write_images(folder: Path, count: int, value: int, size: int = 20, mode: str = "RGB") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        Image.new(mode, (size, size), (value,) * len(mode)).save(folder / f"{i}.png")


def test_class_sub_folders_give_labels_in_natural_order(tmp_path: Path) -> None:
    for name, value in (("2", 20), ("10", 100), ("1", 10)):
        write_images(tmp_path / "train" / name, 2, value)
    data = image_folder.create(root=str(tmp_path), split="train", resolution=16, condition="class")
    assert data.class_names == ["1", "2", "10"] and str(data.condition) == "class(3)"
    assert len(data) == 6 and data[0]["image"].shape == (3, 16, 16) and data[0]["image"].dtype == torch.uint8
    for i in range(len(data)):
        item = data[i]
        assert int(item["image"][0, 8, 8]) == (10, 20, 100)[int(item["label"])]


def test_flat_folder_is_unlabelled(tmp_path: Path) -> None:
    write_images(tmp_path, 3, 50, mode="L")
    data = image_folder.create(root=str(tmp_path), resolution=16, channels=1)
    assert len(data) == 3 and data[0]["image"].shape == (1, 16, 16) and "label" not in data[0]
    with pytest.raises(DataError, match="class labels need one sub-folder per class"):
        image_folder.create(root=str(tmp_path), resolution=16, condition="class")


def test_refuses_empty_class_folders_and_loose_images(tmp_path: Path) -> None:
    write_images(tmp_path / "a", 2, 10)
    (tmp_path / "b").mkdir()
    with pytest.raises(DataError, match="1 class folders hold no images \\(e.g. b\\)"):
        image_folder.create(root=str(tmp_path), resolution=16)
    write_images(tmp_path / "b", 1, 10)
    write_images(tmp_path, 1, 10)
    with pytest.raises(DataError, match="beside the class sub-folders"):
        image_folder.create(root=str(tmp_path), resolution=16)


def test_broken_and_small_images_fail_or_are_skipped(tmp_path: Path) -> None:
    write_images(tmp_path / "cat", 3, 10)
    (tmp_path / "cat" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    write_images(tmp_path / "dog", 1, 10, size=8)
    with pytest.raises(DataError, match="broken.png") as error:
        image_folder.create(root=str(tmp_path), resolution=16)
    assert "smaller than 16 px" in str(error.value)
    with pytest.warns(UserWarning, match="skipped 2 bad images"):
        data = image_folder.create(root=str(tmp_path), resolution=16, condition="class", skip_bad=True)
    assert len(data) == 3 and data.labels.tolist() == [0, 0, 0]


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="image-folder: no folder"):
        image_folder.create(root=str(tmp_path), split="train")


@pytest.mark.realdata
@pytest.mark.skipif(not FLOWERS.is_dir(), reason=f"Oxford-102 flowers not found at {FLOWERS}")
def test_real_flowers_validation_split() -> None:
    data = image_folder.create(root=str(FLOWERS), split="valid", resolution=64, condition="class")
    assert str(data.condition) == "class(102)" and data[0]["image"].shape == (3, 64, 64)
    assert data.labels.unique().numel() == 102
