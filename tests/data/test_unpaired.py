"""Unpaired loaders: CycleGAN trainA/trainB folders."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from ganzoo.data.base import DataError
from ganzoo.data.unpaired import unpaired_folders


def save(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (20, 20)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)


def cyclegan_folders(root: Path, count_a: int = 3, count_b: int = 5) -> Path:
    for i in range(count_a):
        save(root / "trainA" / f"{i}.png", (200, 10 * i, 0))
    for i in range(count_b):
        save(root / "trainB" / f"{i}.png", (0, 10 * i, 200))
    return root


def test_folders_give_two_domains_of_their_own_sizes(tmp_path: Path) -> None:
    data = unpaired_folders(root=str(cyclegan_folders(tmp_path)), resolution=16)
    assert data.layout == "unpaired" and data.resolution == 16 and data.channels == 3
    assert data.images["a"].shape == (3, 3, 16, 16) and data.images["b"].shape == (5, 3, 16, 16)
    assert len(data) == 5
    item = data[4]
    assert item["a"].dtype == torch.uint8 and item["a"][0].float().mean() > 150  # red domain
    assert item["b"][2].float().mean() > 150  # blue domain


def test_missing_domain_folder_names_what_is_expected(tmp_path: Path) -> None:
    save(tmp_path / "trainA" / "0.png", (1, 2, 3))
    with pytest.raises(DataError, match=r"trainB \(expected trainA/ and trainB/ .*folders there: trainA"):
        unpaired_folders(root=str(tmp_path), resolution=16)
    with pytest.raises(DataError, match="no folder"):
        unpaired_folders(root=str(tmp_path / "absent"), resolution=16)


def test_truncated_image_fails_with_its_path_or_is_skipped(tmp_path: Path) -> None:
    root = cyclegan_folders(tmp_path)
    broken = root / "trainB" / "broken.png"
    broken.write_bytes((root / "trainB" / "0.png").read_bytes()[:30])
    with pytest.raises(DataError, match=r"1 unreadable or truncated .*broken\.png"):
        unpaired_folders(root=str(root), resolution=16)
    with pytest.warns(UserWarning, match="skipped 1 bad"):
        data = unpaired_folders(root=str(root), resolution=16, skip_bad=True)
    assert len(data.images["b"]) == 5


def test_too_small_images_are_refused(tmp_path: Path) -> None:
    root = cyclegan_folders(tmp_path)
    with pytest.raises(DataError, match="smaller than 32 px"):
        unpaired_folders(root=str(root), resolution=32)
