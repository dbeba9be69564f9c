"""Captioned loaders: a caption file per image and JSON-lines manifests, with caption rotation
and validation (captions from class names are tested with the image-folder loader)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from PIL import Image

from ganzoo.data.base import DataError
from ganzoo.data.captions import captions_files, captions_jsonl
from ganzoo.interfaces import Condition
from ganzoo.plugins import registry


def write_image(path: Path, colour: tuple[int, int, int] = (255, 0, 0), size: int = 16) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (size, size), colour).save(path)


def write_captioned(root: Path, captions: dict[str, list[str]]) -> None:
    """``images/001.cls/<stem>.png`` with ``text/001.cls/<stem>.txt`` per entry."""
    for stem, lines in captions.items():
        write_image(root / "images" / "001.cls" / f"{stem}.png")
        (root / "text" / "001.cls").mkdir(parents=True, exist_ok=True)
        (root / "text" / "001.cls" / f"{stem}.txt").write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("name", ["captions-files", "captions-jsonl"])
def test_captioned_datasets_are_registered_for_text(name: str) -> None:
    item = registry().get("dataset", name)
    assert "text" in item.ports.conditions and "images" in item.ports.features


def test_caption_files_are_paired_with_their_images(tmp_path: Path) -> None:
    write_captioned(tmp_path, {"a": ["a red bird", "a bird with red wings", "red"], "b": ["a blue bird"]})
    data = captions_files(root=str(tmp_path), resolution=8)
    assert len(data) == 2 and data.condition == Condition("text") and data.layout == "images"
    assert data[0]["image"].shape == (3, 8, 8) and data[0]["image"].dtype == torch.uint8
    assert data.captions == [["a red bird", "a bird with red wings", "red"], ["a blue bird"]]
    # one caption per sample, chosen from the index and the epoch: every caption is seen in turn
    drawn = [data.batch(torch.tensor([0]), torch.tensor([epoch]))["caption"][0] for epoch in range(3)]
    assert sorted(drawn) == sorted(data.captions[0])
    assert data.batch(torch.tensor([0, 0]), torch.tensor([1, 1]))["caption"] == [drawn[1]] * 2


def test_images_without_caption_files_are_reported(tmp_path: Path) -> None:
    write_captioned(tmp_path, {"a": ["a red bird"]})
    write_image(tmp_path / "images" / "001.cls" / "lonely.png")
    with pytest.raises(DataError, match=r"1 images have no caption file .*lonely\.png.*--skip-bad"):
        captions_files(root=str(tmp_path), resolution=8)
    assert len(captions_files(root=str(tmp_path), resolution=8, skip_bad=True)) == 1
    with pytest.raises(DataError, match=r"no folder .*captions \(parameter text='captions'\)"):
        captions_files(root=str(tmp_path), text="captions", resolution=8)


def test_split_lists_select_images(tmp_path: Path) -> None:
    write_captioned(tmp_path, {"a": ["one"], "b": ["two"], "c": ["three"]})
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "filenames.txt").write_text("001.cls/a\n001.cls/c\n")
    assert [c[0] for c in captions_files(root=str(tmp_path), split="train", resolution=8).captions] == ["one", "three"]
    with pytest.raises(DataError, match=r"split 'valid' needs .*valid/filenames\.txt \(one image name per line\)$"):
        captions_files(root=str(tmp_path), split="valid", resolution=8)


def test_jsonl_manifest_merges_captions_per_image(tmp_path: Path) -> None:
    write_image(tmp_path / "img" / "x.png")
    write_image(tmp_path / "img" / "y.png", (0, 0, 255))
    lines = [
        {"image": "img/x.png", "caption": "a red square"},
        {"image": "img/y.png", "caption": ["a blue square", "blue"]},
        {"image": "img/x.png", "caption": "red"},
    ]
    manifest = tmp_path / "data.jsonl"
    manifest.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n")
    data = captions_jsonl(manifest=str(manifest), resolution=8)
    assert data.captions == [["a red square", "red"], ["a blue square", "blue"]]
    assert int(data[1]["image"][2, 0, 0]) == 255  # y.png is blue


@pytest.mark.parametrize(
    ("line", "message"),
    [("{not json", r"data\.jsonl:2: not valid JSON"), ('{"image": "img/x.png"}', r"data\.jsonl:2: expected"),
     ('{"image": "img/x.png", "caption": ""}', r"data\.jsonl:2: expected")],
)
def test_jsonl_bad_lines_are_named(tmp_path: Path, line: str, message: str) -> None:
    write_image(tmp_path / "img" / "x.png")
    manifest = tmp_path / "data.jsonl"
    manifest.write_text('{"image": "img/x.png", "caption": "ok"}\n' + line + "\n")
    with pytest.raises(DataError, match=message):
        captions_jsonl(manifest=str(manifest), resolution=8)


def test_jsonl_missing_images_fail_or_are_skipped(tmp_path: Path) -> None:
    write_image(tmp_path / "x.png")
    manifest = tmp_path / "data.jsonl"
    manifest.write_text('{"image": "x.png", "caption": "ok"}\n{"image": "gone.png", "caption": "lost"}\n')
    with pytest.raises(DataError, match=r"1 listed images do not exist \(e\.g\. .*gone\.png\)"):
        captions_jsonl(manifest=str(manifest), resolution=8)
    assert len(captions_jsonl(manifest=str(manifest), resolution=8, skip_bad=True)) == 1


def test_captioned_data_refuses_class_condition(tmp_path: Path) -> None:
    write_captioned(tmp_path, {"a": ["one"]})
    with pytest.raises(DataError, match="provides the conditions none or text, not 'class'"):
        captions_files(root=str(tmp_path), resolution=8, condition="class")


def test_prepared_captions_are_gathered_like_the_strings() -> None:
    """Once a conditioner's host part ran over the captions, a batch holds their rows, on the
    dataset's device, for exactly the caption each image shows at each epoch."""
    from ganzoo.data.base import InMemoryDataset

    captions = [["red", "a red one", "crimson"], ["blue"], ["green", "a green one"]]
    data = InMemoryDataset({"image": torch.zeros(3, 1, 4, 4, dtype=torch.uint8)}, resolution=4, captions=captions)
    distinct = list(dict.fromkeys(c for options in captions for c in options))
    data.prepare_captions(lambda texts: {"row": torch.tensor([distinct.index(t) for t in texts])})
    assert data.host_fields == () and data[0]["caption"] == "red"
    indices = torch.tensor([0, 1, 2, 0, 2, 5])
    for epoch in range(4):
        epochs = torch.full_like(indices, epoch)
        rows = data.batch(indices, epochs)["caption"]["row"]
        assert [distinct[r] for r in rows.tolist()] == [data.caption(int(i), epoch) for i in indices]
    data.prepare_captions(lambda texts: None)  # a conditioner in one part: the strings stay
    assert data.host_fields == ("caption",) and data.batch(indices[:1])["caption"] == ["red"]
