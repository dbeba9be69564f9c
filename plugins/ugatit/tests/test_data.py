"""UGATIT's facades set: the aligned facades halves as two independently shuffled domains."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from ganzoo_ugatit.data import facades_unpaired
from PIL import Image

from ganzoo.data.base import DataError
from tests.shared_data import SHARED_DATA

FACADES = SHARED_DATA / "facades"


def aligned_facades(root: Path, count: int = 12) -> Path:
    """Aligned A|B files whose halves share a colour index, so pairing is visible in the pixels."""
    (root / "train").mkdir(parents=True)
    for i in range(count):
        pair = Image.new("RGB", (40, 20))
        pair.paste((10 * i, 0, 0), (0, 0, 20, 20))
        pair.paste((0, 0, 10 * i), (20, 0, 40, 20))
        pair.save(root / "train" / f"{i}.png")
    return root


def test_facades_halves_become_independently_shuffled_domains(tmp_path: Path) -> None:
    data = facades_unpaired.create(root=str(aligned_facades(tmp_path)), resolution=16, seed=3)
    photo_index = data.images["a"][:, 0, 8, 8].tolist()  # red channel of the photo half
    label_index = data.images["b"][:, 2, 8, 8].tolist()  # blue channel of the label half
    assert sorted(photo_index) == sorted(label_index) == [10 * i for i in range(12)]
    assert photo_index != label_index  # position i no longer holds a true pair
    again = facades_unpaired.create(root=str(tmp_path), resolution=16, seed=3)
    assert torch.equal(again.images["a"], data.images["a"])  # seeded


def test_facades_unpaired_names_the_root_when_absent(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"unpaired dataset \(aligned\): no folder .*nowhere/train \(root .*, split 'train'\)"):
        facades_unpaired.create(root=str(tmp_path / "nowhere"), resolution=16)


@pytest.mark.realdata
@pytest.mark.skipif(not FACADES.is_dir(), reason="../shared/datasets/facades is not present")
def test_real_facades_test_split_loads_as_two_domains() -> None:
    data = facades_unpaired.create(root=str(FACADES), split="test", resolution=32)
    assert data.images["a"].shape == data.images["b"].shape == (106, 3, 32, 32)
