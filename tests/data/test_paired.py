"""Paired loaders: aligned A|B files and two same-named folders, with direction and validation."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from ganzoo.data.base import DataError
from ganzoo.data.paired import aligned, paired_folders
from ganzoo.plugins import registry
from tests.shared_data import SHARED_DATA

FACADES = SHARED_DATA / "facades"
RED, BLUE = (255, 0, 0), (0, 0, 255)


def write_aligned(folder: Path, count: int, size: int = 16) -> None:
    """``count`` files with a red A half on the left and a blue B half on the right."""
    folder.mkdir(parents=True)
    for i in range(count):
        img = Image.new("RGB", (2 * size, size), BLUE)
        img.paste(Image.new("RGB", (size, size), RED), (0, 0))
        img.save(folder / f"{i}.png")


def write_folders(split: Path, names_a: list[str], names_b: list[str], size: int = 16) -> None:
    for side, names, colour in (("A", names_a, RED), ("B", names_b, BLUE)):
        (split / side).mkdir(parents=True)
        for name in names:
            Image.new("RGB", (size, size), colour).save(split / side / name)


def colour(batch: torch.Tensor) -> tuple[int, ...]:
    return tuple(int(v) for v in batch[:, 8, 8])


def test_aligned_direction_picks_source_and_target(tmp_path: Path) -> None:
    write_aligned(tmp_path / "train", 3)
    a_to_b = aligned.create(root=str(tmp_path), resolution=16)
    b_to_a = aligned.create(root=str(tmp_path), direction="BtoA", resolution=16)
    assert len(a_to_b) == 3 and a_to_b.layout == "paired"
    assert str(a_to_b.condition) == "image(3)"
    assert colour(a_to_b[0]["source"]) == RED and colour(a_to_b[0]["image"]) == BLUE
    assert colour(b_to_a[0]["source"]) == BLUE and colour(b_to_a[0]["image"]) == RED
    assert a_to_b[0]["source"].dtype == torch.uint8


def test_aligned_stores_at_load_size_for_random_crop_jitter(tmp_path: Path) -> None:
    write_aligned(tmp_path / "test", 2, size=24)
    data = aligned.create(root=str(tmp_path), split="test", resolution=16, load_size=20)
    assert data.resolution == 16 and data[0]["image"].shape == (3, 20, 20)


def test_aligned_refuses_images_that_are_not_side_by_side(tmp_path: Path) -> None:
    write_aligned(tmp_path / "train", 2)
    Image.new("RGB", (16, 16)).save(tmp_path / "train" / "square.png")
    with pytest.raises(DataError, match=r"1 not side-by-side A\|B pairs .*square.png \(16x16\).*--skip-bad"):
        aligned.create(root=str(tmp_path), resolution=16)
    with pytest.warns(UserWarning, match="skipped 1"):
        assert len(aligned.create(root=str(tmp_path), resolution=16, skip_bad=True)) == 2


def test_aligned_names_truncated_files(tmp_path: Path) -> None:
    write_aligned(tmp_path / "train", 2)
    data = (tmp_path / "train" / "0.png").read_bytes()
    (tmp_path / "train" / "0.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"1 unreadable or truncated .*0\.png"):
        aligned.create(root=str(tmp_path), resolution=16)


def test_aligned_missing_split_lists_the_folders_there(tmp_path: Path) -> None:
    write_aligned(tmp_path / "train", 1)
    with pytest.raises(DataError, match=r"no folder .*val .*folders there: train"):
        aligned.create(root=str(tmp_path), split="val")


def test_direction_is_checked() -> None:
    with pytest.raises(ValueError, match="direction must be one of AtoB, BtoA, got 'AB'"):
        aligned.create(root=".", direction="AB")


def test_paired_folders_match_by_name_across_extensions(tmp_path: Path) -> None:
    write_folders(tmp_path / "train", ["x.png", "y.jpg"], ["x.jpg", "y.png"])
    data = paired_folders.create(root=str(tmp_path), resolution=16)
    assert len(data) == 2
    assert colour(data[0]["source"]) == RED
    assert colour(data[1]["image"])[2] > 200  # blue B targets


def test_paired_folders_refuse_images_without_partner(tmp_path: Path) -> None:
    write_folders(tmp_path / "train", ["x.png", "lonely.png"], ["x.png"])
    with pytest.raises(DataError, match=r"1 in A without a partner in B .*lonely.png"):
        paired_folders.create(root=str(tmp_path), resolution=16)
    with pytest.warns(UserWarning, match="skipped 1"):
        assert len(paired_folders.create(root=str(tmp_path), resolution=16, skip_bad=True)) == 1


def test_paired_folders_need_both_folders(tmp_path: Path) -> None:
    (tmp_path / "train" / "A").mkdir(parents=True)
    with pytest.raises(DataError, match=r"no folder .*train/B"):
        paired_folders.create(root=str(tmp_path), resolution=16)


def test_paired_loaders_are_registered_datasets() -> None:
    for name in ("aligned", "paired-folders"):
        ports = registry().get("dataset", name).ports
        assert ports.conditions == ("image",) and "paired" in ports.features


@pytest.mark.realdata
@pytest.mark.skipif(not FACADES.is_dir(), reason=f"facades not found at {FACADES}")
def test_facades_labels_to_photo() -> None:
    data = aligned.create(root=str(FACADES), split="test", direction="BtoA", resolution=32)
    assert len(data) == 106
    # label maps are flat colour regions: far fewer distinct colours than the photos
    labels, photos = data.images["source"], data.images["image"]
    assert labels.float().std(dim=(2, 3)).mean() > 0 and labels.shape == photos.shape == (106, 3, 32, 32)
    assert torch.unique(labels[0].flatten(1), dim=1).shape[1] < torch.unique(photos[0].flatten(1), dim=1).shape[1]
