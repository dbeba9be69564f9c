"""StackGAN's data: the Reed et al. caption layout with StackGAN's pickled file lists, and the
birds and flowers catalog entries this plugin adds to `ganzoo data` through its components."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from ganzoo_stackgan.data import CUB200_REED, FLOWERS102_REED, captions_reed
from ganzoo_stackgan.pickles import load_numpy_pickle
from PIL import Image

from ganzoo import plugins
from ganzoo.cli import cli
from ganzoo.data.base import DataError
from ganzoo.data.catalog import BROWSER_ONLY, catalog
from ganzoo.errors import GanzooError


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("GANZOO_DATA", str(tmp_path / "home"))
    plugins.reset(None)  # the installed plugins, this one among them
    yield tmp_path / "home"
    plugins.reset(None)


def write_reed(root: Path, stems: dict[str, str]) -> None:
    """``images/001.cls/<stem>.png`` with ``text_c10/001.cls/<stem>.txt`` holding one caption each."""
    (root / "text_c10" / "001.cls").mkdir(parents=True)
    for stem, caption in stems.items():
        (root / "images" / "001.cls").mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (16, 16), (255, 0, 0)).save(root / "images" / "001.cls" / f"{stem}.png")
        (root / "text_c10" / "001.cls" / f"{stem}.txt").write_text(caption + "\n")


def test_reed_layout_reads_stackgans_pickled_or_plain_file_lists(tmp_path: Path) -> None:
    write_reed(tmp_path, {"a": "one", "b": "two", "c": "three"})
    assert [c[0] for c in captions_reed(root=str(tmp_path), resolution=8).captions] == ["one", "two", "three"]
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "filenames.txt").write_text("001.cls/a\n001.cls/c\n")
    assert [c[0] for c in captions_reed(root=str(tmp_path), split="train", resolution=8).captions] == ["one", "three"]
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "filenames.pickle").write_bytes(pickle.dumps(["001.cls/b"], protocol=2))
    assert captions_reed(root=str(tmp_path), split="test", resolution=8).captions == [["two"]]
    (tmp_path / "test" / "filenames.pickle").write_bytes(pickle.dumps({"not": "a list"}, protocol=2))
    with pytest.raises(DataError, match=r"filenames\.pickle is not a list of file names"):
        captions_reed(root=str(tmp_path), split="test", resolution=8)
    with pytest.raises(DataError, match=r"split 'valid' needs .*filenames\.txt .* or StackGAN's .*filenames\.pickle"):
        captions_reed(root=str(tmp_path), split="valid", resolution=8)


class Exploit:
    """Unpickling this would run a shell command."""

    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_stackgan_pickles_are_read_without_running_code(tmp_path: Path) -> None:
    safe = tmp_path / "arrays.pickle"
    safe.write_bytes(pickle.dumps(np.arange(6, dtype=np.float32).reshape(2, 3), protocol=2))
    assert load_numpy_pickle(safe).tolist() == [[0, 1, 2], [3, 4, 5]]
    evil = tmp_path / "evil.pickle"
    evil.write_bytes(pickle.dumps(Exploit()))
    with pytest.raises(GanzooError, match=r"evil\.pickle: refusing to load (posix|nt)\.system"):
        load_numpy_pickle(evil)


def test_the_plugin_puts_birds_and_flowers_in_the_catalog(home) -> None:
    known = catalog(plugins.registry())
    assert known.readers["cub200-reed"] == ["cub200-reed"] and known.readers["flowers102-reed"] == ["flowers102-reed"]
    for entry in (CUB200_REED, FLOWERS102_REED):
        assert known.entries[entry.name] is entry and [a.part for a in entry.required] == ["images", "captions"]
        assert all(a.checksum is None for a in entry.archives if a.note.startswith(BROWSER_ONLY))


def test_a_part_behind_a_browser_names_the_page_and_from(home) -> None:
    result = CliRunner().invoke(cli, ["data", "get", "flowers102-reed", "--part", "captions"])
    assert result.exit_code == 1 and result.output.strip().count("\n") == 0
    assert "drive.google.com" in result.output and "--part captions --from FILE" in result.output


def test_from_a_file_of_an_unknown_name_asks_for_the_part(home, tmp_path) -> None:
    (tmp_path / "renamed.tgz").write_bytes(b"x")
    result = CliRunner().invoke(cli, ["data", "get", "cub200-reed", "--from", str(tmp_path / "renamed.tgz")])
    assert result.exit_code == 1 and "--part" in result.output and "captions = cvpr2016_cub.tar.gz" in result.output
