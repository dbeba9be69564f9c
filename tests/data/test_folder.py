"""The image-folder loader: class sub-folders as labels and captions, flat folders, flowers102, and refused bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from PIL import Image

from ganzoo.data.base import DataError
from ganzoo.data.folder import FLOWER_TEMPLATES, flowers102, image_folder
from ganzoo.interfaces import Condition
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
    for condition in ("class", "text"):
        with pytest.raises(DataError, match=f"the {condition} condition comes from class sub-folders"):
            image_folder.create(root=str(tmp_path), resolution=16, condition=condition)


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


def test_text_condition_captions_each_image_with_its_class_name(tmp_path: Path) -> None:
    for name, value in (("red_fox", 20), ("owl", 100)):
        write_images(tmp_path / name, 2, value)
    data = image_folder.create(root=str(tmp_path), resolution=16, condition="text", templates=["a {}", "the {} here"])
    assert data.condition == Condition("text") and data.class_names == ["owl", "red_fox"]
    for i in range(len(data)):
        name = data.class_names[int(data.labels[i])]
        assert data.captions[i] == [f"{'an' if name == 'owl' else 'a'} {name}", f"the {name} here"]
    unlabelled = image_folder.create(root=str(tmp_path), resolution=16, condition="class")
    assert unlabelled.captions is None and unlabelled.condition == Condition("class", 2)


def test_class_names_file_names_the_folders(tmp_path: Path) -> None:
    write_images(tmp_path / "train" / "1", 1, 10)
    write_images(tmp_path / "train" / "2", 1, 20)
    (tmp_path / "names.json").write_text(json.dumps({"1": "pink primrose", "2": "moon orchid"}))
    data = image_folder.create(root=str(tmp_path), split="train", class_names="names.json", resolution=16, condition="text")
    assert data.class_names == ["pink primrose", "moon orchid"] and data.captions[0] == ["a photo of a pink primrose"]
    (tmp_path / "names.json").write_text(json.dumps({"1": "pink primrose"}))
    with pytest.raises(DataError, match=r"1 class folders have no name in .*names.json \(e.g. 2\)"):
        image_folder.create(root=str(tmp_path), split="train", class_names="names.json", resolution=16)
    (tmp_path / "names.json").write_text("{not json")
    with pytest.raises(DataError, match="names.json: not valid JSON"):
        image_folder.create(root=str(tmp_path), split="train", class_names="names.json", resolution=16)
    with pytest.raises(DataError, match=r"no .*absent.json mapping class folders to names \(parameter class_names\)"):
        image_folder.create(root=str(tmp_path), split="train", class_names="absent.json", resolution=16)


@pytest.mark.parametrize("templates", [[], ["no placeholder"], ["{} and {}"], ["a {name}"]])
def test_templates_must_hold_the_name_once(tmp_path: Path, templates: list[str]) -> None:
    write_images(tmp_path / "cat", 1, 10)
    with pytest.raises(DataError, match="templates must be texts holding the class name as '{}' once"):
        image_folder.create(root=str(tmp_path), resolution=16, condition="text", templates=templates)


def test_condition_outside_the_offer_is_refused(tmp_path: Path) -> None:
    write_images(tmp_path / "cat", 1, 10)
    with pytest.raises(DataError, match="image-folder provides the conditions none, class or text, not 'image'"):
        image_folder.create(root=str(tmp_path), resolution=16, condition="image")


def test_flowers102_is_the_image_folder_with_the_oxford_layout(tmp_path: Path) -> None:
    for folder, value in (("1", 10), ("2", 20)):
        write_images(tmp_path / "train" / folder, 2, value)
    (tmp_path / "cat_to_name.json").write_text(json.dumps({"1": "pink primrose", "2": "moon orchid"}))
    data = flowers102.create(root=str(tmp_path), resolution=16)
    assert data.condition == Condition("text") and data.captions[0] == [t.format("pink primrose") for t in FLOWER_TEMPLATES]
    assert flowers102.parameters()["class_names"] == "cat_to_name.json" and flowers102.parameters()["split"] == "train"
    with pytest.raises(DataError, match=r"no folder .*valid \(root"):
        flowers102.create(root=str(tmp_path), split="valid")


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="image-folder: no folder"):
        image_folder.create(root=str(tmp_path), split="train")


@pytest.mark.realdata
@pytest.mark.skipif(not FLOWERS.is_dir(), reason=f"Oxford-102 flowers not found at {FLOWERS}")
def test_real_flowers_validation_split() -> None:
    data = image_folder.create(root=str(FLOWERS), split="valid", resolution=64, condition="class")
    assert str(data.condition) == "class(102)" and data[0]["image"].shape == (3, 64, 64)
    assert data.labels.unique().numel() == 102


@pytest.mark.realdata
@pytest.mark.skipif(not FLOWERS.is_dir(), reason=f"Oxford-102 flowers not found at {FLOWERS}")
def test_flowers102_captions_come_from_class_names() -> None:
    names = json.loads((FLOWERS / "cat_to_name.json").read_text())
    data = flowers102.create(root=str(FLOWERS), split="valid", resolution=32)
    assert data.condition == Condition("text") and data[0]["image"].shape == (3, 32, 32)
    first_class = data.class_names[int(data.labels[0])]
    assert first_class == names["1"]
    assert data.captions[0] == [t.format(first_class) for t in FLOWER_TEMPLATES]
    labelled = flowers102.create(root=str(FLOWERS), split="valid", resolution=16, condition="class")
    assert labelled.condition == Condition("class", 102)


def test_split_folders_are_not_taken_for_classes(tmp_path: Path) -> None:
    for split in ("train", "valid"):
        write_images(tmp_path / split / "1", 1, 10)
    with pytest.raises(DataError, match=r"train, valid hold folders, not images: if they are splits, .*--set dataset.split=train"):
        image_folder.create(root=str(tmp_path), resolution=16)
    assert len(image_folder.create(root=str(tmp_path), split="train", resolution=16)) == 1


def test_class_folders_named_like_splits_are_read_but_warned_about(tmp_path: Path) -> None:
    for split in ("test", "train"):
        write_images(tmp_path / split, 2, 10)
    with pytest.warns(UserWarning, match=r"class folders named like splits \(test, train\) .*--set dataset.split=train"):
        data = image_folder.create(root=str(tmp_path), resolution=16)
    assert data.class_names == ["test", "train"]


def test_captions_take_an_before_a_vowel():
    from ganzoo.data.folder import _captions

    orange, pink = _captions(["orange dahlia", "pink primrose"], FLOWER_TEMPLATES, "flowers")
    assert orange == ["a photo of an orange dahlia", "an orange dahlia flower", "a close-up photo of an orange dahlia, a type of flower"]
    assert pink[0] == "a photo of a pink primrose"
