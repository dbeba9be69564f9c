"""The facades archive as distributed (512x256 photo|label JPEGs, 256 px halves): the 286 px jitter
upscales the halves as pix2pix does, and `ganzoo data get facades --from ARCHIVE` followed by
`ganzoo train pix2pix-facades` / `ugatit-facades` works with no data flag."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw

from ganzoo import plugins
from ganzoo.cli import cli
from ganzoo.data.base import DataError
from ganzoo.data.home import read_record
from ganzoo.data.paired import aligned

SPLITS = {"train": 400, "val": 100, "test": 106}  # facades.tar.gz


def facade_pair(index: int) -> bytes:
    """A 512x256 JPEG: a 'photo' on the left (A), its 'label map' on the right (B)."""
    image = Image.new("RGB", (512, 256), (90, 90, 110))
    draw = ImageDraw.Draw(image)
    left = 20 + index % 100
    draw.rectangle((left, 40, left + 80, 200), fill=(200, 180, 120))
    draw.rectangle((256 + left, 40, 256 + left + 80, 200), fill=(0, 0, 255))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def facades_tar(path: Path, splits: dict[str, int] = SPLITS) -> Path:
    """``facades/{train,val,test}/N.jpg`` as in the pix2pix archive."""
    with tarfile.open(path, "w:gz") as bundle:
        for split, count in splits.items():
            for number in range(1, count + 1):
                data = facade_pair(number)
                info = tarfile.TarInfo(f"facades/{split}/{number}.jpg")
                info.size = len(data)
                bundle.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture(scope="module")
def facades_archive(tmp_path_factory) -> Path:
    return facades_tar(tmp_path_factory.mktemp("archive") / "facades.tar.gz")


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("GANZOO_DATA", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    plugins.reset(None)  # the installed plugins: pix2pix and ugatit
    yield tmp_path / "home"
    plugins.reset(None)


def test_jitter_upscales_halves_between_resolution_and_load_size(tmp_path):
    (tmp_path / "train").mkdir()
    for number in range(3):
        (tmp_path / "train" / f"{number}.jpg").write_bytes(facade_pair(number))
    pairs = aligned(root=str(tmp_path), resolution=256, load_size=286, direction="BtoA")
    assert tuple(pairs.images["source"].shape) == (3, 3, 286, 286)

    Image.new("RGB", (400, 200)).save(tmp_path / "train" / "small.jpg")  # 200 px halves: below 256
    with pytest.raises(DataError, match="1 smaller than 256 px"):
        aligned(root=str(tmp_path), resolution=256, load_size=286)


def test_a_missing_dataset_names_the_get_command_and_data(home):
    result = CliRunner().invoke(cli, ["train", "pix2pix-facades", "--steps", "1", "--device", "cpu"])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0
    assert "facades is not in the data home" in result.output
    assert "`ganzoo data get facades`" in result.output and "--data PATH" in result.output


@pytest.fixture
def facades_home(home, facades_archive):
    """The data home after `ganzoo data get facades --from facades.tar.gz` (the real layout)."""
    result = CliRunner().invoke(cli, ["data", "get", "facades", "--from", str(facades_archive)])
    assert result.exit_code == 0, result.output
    return home


def test_get_facades_records_the_layout_and_no_official_checksum(facades_home):
    part = read_record("facades", facades_home)["parts"]["images"]
    assert part["counts"] == {"train/*.jpg": 400, "val/*.jpg": 100, "test/*.jpg": 106}
    assert not part["verified"] and part["checksum"].startswith("no official checksum")


@pytest.mark.slow
def test_pix2pix_facades_trains_on_the_home_copy(facades_home):
    # the preset's own resolution (256), jitter (286) and networks, only narrower, on the 512x256 files
    result = CliRunner().invoke(cli, ["train", "pix2pix-facades", "--steps", "2", "--device", "cpu", "--out", "p2p",
                                      "--set", "nets.generator.base_channels=8", "--set", "nets.discriminator.base_channels=8",
                                      "--set", "log_every=1000", "--set", "sample_every=1000"])
    assert result.exit_code == 0, result.output
    assert (Path("p2p") / "checkpoint.pt").is_file()


@pytest.mark.slow
def test_ugatit_facades_trains_on_the_same_home_copy(facades_home):
    # 64 px crops of 72 px loads of the 512x256 files keep the CPU time short
    narrow = [f"--set=nets.{role}.base_channels=4" for role in ("gen_ab", "gen_ba", "disc_ga", "disc_gb", "disc_la", "disc_lb")]
    layers = [f"--set=nets.{role}.n_layers={n}" for role, n in (("disc_ga", 5), ("disc_gb", 5), ("disc_la", 3), ("disc_lb", 3))]
    result = CliRunner().invoke(cli, ["train", "ugatit-facades", "--steps", "2", "--device", "cpu", "--out", "ugatit",
                                      "--resolution", "64", "--set", "augment.jitter=72", *narrow, *layers,
                                      "--set", "log_every=1000", "--set", "sample_every=1000"])
    assert result.exit_code == 0, result.output
    assert (Path("ugatit") / "checkpoint.pt").is_file()


def test_an_archive_with_too_few_files_is_refused(home, tmp_path):
    small = facades_tar(tmp_path / "nearly.tar.gz", {"train": 400, "test": 105})
    result = CliRunner().invoke(cli, ["data", "get", "facades", "--from", str(small)])
    assert result.exit_code == 1 and "105 files match test/*.jpg, expected 106" in result.output
    assert not (home / "facades").exists()
