"""``--data PATH`` for a preset on built-in data: the loader is chosen from the layout on disk."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from ganzoo.data.guess import guess_loader


def image(path: Path, size: tuple[int, int] = (8, 8)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size).save(path)


def test_unpaired_reads_cyclegan_folders_or_the_halves_of_aligned_files(tmp_path: Path) -> None:
    image(tmp_path / "cyclegan" / "trainA" / "a.png")
    assert guess_loader(tmp_path / "cyclegan", "unpaired", "none").name == "unpaired-folders"
    image(tmp_path / "facades" / "train" / "1.jpg", (16, 8))
    guess = guess_loader(tmp_path / "facades", "unpaired", "none")
    assert (guess.name, guess.arguments["layout"]) == ("unpaired", "aligned") and "left halves are domain A" in guess.note
    assert guess.arguments["root"] == str(tmp_path / "facades") and guess.arguments["split"] == "train"
    assert guess_loader(tmp_path / "nothing", "unpaired", "none").name == "unpaired-folders"  # whose error explains


def test_paired_reads_a_and_b_folders_or_aligned_files(tmp_path: Path) -> None:
    image(tmp_path / "folders" / "train" / "A" / "x.png")
    image(tmp_path / "folders" / "train" / "B" / "x.png")
    assert guess_loader(tmp_path / "folders", "paired", "image").name == "paired-folders"
    image(tmp_path / "aligned" / "train" / "1.jpg", (16, 8))
    assert guess_loader(tmp_path / "aligned", "paired", "image").arguments == {"root": str(tmp_path / "aligned"), "split": "train"}
    one_split = guess_loader(tmp_path / "aligned" / "train", "paired", "image")  # PATH is the split itself
    assert (one_split.name, one_split.arguments) == ("aligned", {"root": str(tmp_path / "aligned"), "split": "train"})


def test_text_reads_manifests_caption_files_or_builds_captions_from_class_names(tmp_path: Path) -> None:
    manifest = tmp_path / "captions.jsonl"
    manifest.write_text("")
    assert guess_loader(manifest, "images", "text").arguments == {"manifest": str(manifest)}
    image(tmp_path / "birds" / "images" / "001.x" / "a.jpg")
    assert guess_loader(tmp_path / "birds", "images", "text").name == "captions-files"
    (tmp_path / "birds" / "text_c10").mkdir()  # Reed et al.'s folder of caption files
    assert guess_loader(tmp_path / "birds", "images", "text").arguments == {"root": str(tmp_path / "birds"), "text": "text_c10"}

    flowers = tmp_path / "flowers"
    for folder in ("1", "2"):
        image(flowers / "train" / folder / "a.jpg")
    (flowers / "cat_to_name.json").write_text(json.dumps({"1": "pink primrose", "2": "moon orchid"}))
    guess = guess_loader(flowers, "images", "text")
    assert guess.name == "image-folder"
    assert guess.arguments == {"root": str(flowers), "split": "train", "condition": "text", "class_names": "cat_to_name.json"}
    assert "captions are built from their names in cat_to_name.json" in guess.note
    (flowers / "cat_to_name.json").write_text(json.dumps({"1": "pink primrose"}))  # does not name every class
    guess = guess_loader(flowers, "images", "text")
    assert "class_names" not in guess.arguments and "the class folder names" in guess.note


def test_images_read_the_train_split_when_there_is_one(tmp_path: Path) -> None:
    image(tmp_path / "train" / "a.png")
    image(tmp_path / "test" / "b.png")
    assert guess_loader(tmp_path, "images", "none").arguments == {"root": str(tmp_path), "split": "train"}
    image(tmp_path / "flat" / "c.png")
    assert guess_loader(tmp_path / "flat", "images", "class").arguments == {"root": str(tmp_path / "flat")}


def test_train_says_when_captions_are_built_from_class_names(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from ganzoo.cli import cli

    for folder in ("daisy", "rose"):
        for index in range(2):
            image(tmp_path / "flowers" / folder / f"{index}.png", (64, 64))
    result = CliRunner().invoke(cli, ["train", "stackgan", "--data", str(tmp_path / "flowers"), "--dry-run", "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert "captions are built from the class folder names" in result.output and '"name": "image-folder"' in result.output
