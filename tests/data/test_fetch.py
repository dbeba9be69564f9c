"""`ganzoo data get/check/list` against a loopback server: download with progress, checksum refusal,
resume after an interruption, --from FILE or FOLDER, offline, damaged archives, layout checks, the record."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from ganzoo import plugins
from ganzoo.cli import cli
from ganzoo.data import fetch
from ganzoo.data.base import DataError
from ganzoo.data.catalog import Archive, Checksum, Expect, KnownDataset
from ganzoo.data.home import read_record, reads
from ganzoo.fetch import OFFLINE_ENV
from ganzoo.registry import component
from tests.conftest import make_tiny_host
from tests.data.loopback import LoopbackServer, ProgressRecorder, closed_port_url

FILE = "/toy.tar.gz"


def toy_archive(count: int = 3, size: tuple[int, int] = (8, 4)) -> bytes:
    """A tar.gz of ``toy/train/N.png`` images: ``count`` of them, ``size`` (width, height)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as bundle:
        for index in range(count):
            image = io.BytesIO()
            Image.new("RGB", size, (index * 40, 0, 0)).save(image, format="PNG")
            info = tarfile.TarInfo(f"toy/train/{index}.png")
            info.size = len(image.getvalue())
            bundle.addfile(info, io.BytesIO(image.getvalue()))
    return buffer.getvalue()


def toy_entry(urls: tuple[str, ...], checksum: str | None) -> KnownDataset:
    return KnownDataset(
        name="toy",
        title="three red images",
        size="1 kB",
        licence="test data",
        homepage="http://127.0.0.1/",
        archives=(
            Archive(
                part="images",
                filename="toy.tar.gz",
                urls=urls,
                checksum=Checksum("sha256", checksum, "the test") if checksum else None,
                place=(("toy", "."),),
                expect=Expect(counts=(("train/*.png", 3),), size=(8, 4)),
            ),
        ),
    )


def register(entry: KnownDataset) -> None:
    """A throwaway plugin whose dataset component reads ``entry``: the catalog's only way in."""

    @component("dataset", "toy")
    @reads(entry)
    def toy(root: str | None = None) -> str:
        """The toy dataset's folder."""
        return str(root)

    class ToyPlugin:
        @staticmethod
        def ganzoo_components():
            return [toy]

    from ganzoo.hookspecs import hookimpl

    hookimpl(ToyPlugin.ganzoo_components)
    host = make_tiny_host()
    assert host.register(ToyPlugin, "toy-data"), host.broken
    plugins.reset(host)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("GANZOO_DATA", str(tmp_path / "home"))
    monkeypatch.delenv(OFFLINE_ENV)  # the downloads here go to a loopback server
    yield tmp_path / "home"
    plugins.reset(None)


@pytest.fixture
def server():
    with LoopbackServer() as running:
        running.served.files[FILE] = toy_archive()
        yield running


def data(*args: object):
    return CliRunner().invoke(cli, ["data", *[str(a) for a in args]])


def leftovers(home: Path) -> list[str]:
    """Everything in the data home but the (empty) downloads folder."""
    return sorted(str(p.relative_to(home)) for p in home.rglob("*") if p != home / fetch.DOWNLOADS) if home.exists() else []


def test_get_downloads_verifies_and_records(home, server):
    body = server.served.files[FILE]
    register(toy_entry((server.url(FILE),), hashlib.sha256(body).hexdigest()))
    result = data("get", "toy")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (home / "toy" / "train").iterdir()) == ["0.png", "1.png", "2.png"]
    part = read_record("toy", home)["parts"]["images"]
    assert part["verified"] and part["sha256"] == hashlib.sha256(body).hexdigest()
    assert part["counts"] == {"train/*.png": 3} and part["from"] == server.url(FILE)
    assert not list((home / fetch.DOWNLOADS).iterdir())  # the archive is not kept
    assert plugins.registry().get("dataset", "toy").create() == str(home / "toy")  # root None -> the home copy
    listed = json.loads(data("list", "--json").output)["datasets"]
    assert [(d["name"], d["status"]) for d in listed if d["name"] == "toy"] == [("toy", "verified")]
    assert "already" in data("get", "toy").output


def test_download_reports_progress(home, server, tmp_path):
    body = server.served.files[FILE]

    recorder = ProgressRecorder()
    fetch.download((server.url(FILE),), tmp_path / "toy.tar.gz", recorder, "way out")
    assert recorder.calls[0] == ("start", "toy.tar.gz", len(body), 0) and recorder.calls[-1] == ("stop",)
    assert sum(c[1] for c in recorder.calls if c[0] == "advance") == len(body)
    assert (tmp_path / "toy.tar.gz").read_bytes() == body


def test_checksum_mismatch_is_refused_and_leaves_nothing(home, server):
    register(toy_entry((server.url(FILE),), "0" * 64))
    result = data("get", "toy")
    assert result.exit_code == 1
    assert "refused" in result.output and "--no-verify" in result.output
    assert leftovers(home) == []
    with pytest.raises(DataError, match="ganzoo data get toy.*--data PATH"):
        plugins.registry().get("dataset", "toy").create()

    result = data("get", "toy", "--no-verify")
    assert result.exit_code == 0, result.output
    part = read_record("toy", home)["parts"]["images"]
    assert not part["verified"] and "differs from the official" in part["checksum"]
    assert json.loads(data("list", "--json").output)["datasets"][-1]["status"] == "unverified"


def test_interrupted_download_resumes_where_it_stopped(home, server):
    body = server.served.files[FILE]
    register(toy_entry((server.url(FILE),), hashlib.sha256(body).hexdigest()))
    server.served.cut_after = 100
    result = data("get", "toy")
    assert result.exit_code == 1 and "run the same command again to continue" in result.output
    partial = home / fetch.DOWNLOADS / "toy.tar.gz.part"
    assert partial.stat().st_size == 100 and not (home / "toy").exists()

    result = data("get", "toy")
    assert result.exit_code == 0, result.output
    assert server.served.ranges == [None, "bytes=100-"]
    assert not partial.exists() and read_record("toy", home)["parts"]["images"]["verified"]


def test_from_file_needs_no_network(home, tmp_path):
    archive = tmp_path / "my-copy.zip"  # a zip of the same files unpacks the same way
    with tarfile.open(fileobj=io.BytesIO(toy_archive())) as source, zipfile.ZipFile(archive, "w") as bundle:
        for member in source.getmembers():
            bundle.writestr(member.name, source.extractfile(member).read())
    register(toy_entry((closed_port_url(FILE),), hashlib.sha256(archive.read_bytes()).hexdigest()))
    result = data("get", "toy", "--from", archive)
    assert result.exit_code == 0, result.output
    part = read_record("toy", home)["parts"]["images"]
    assert part["verified"] and part["from"] == str(archive.resolve())
    assert archive.exists()  # the user's file stays


def test_offline_is_one_line_naming_the_url_and_from(home):
    url = closed_port_url(FILE)
    register(toy_entry((url,), None))
    result = data("get", "toy")
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0
    assert url in result.output and "--from FILE" in result.output
    assert leftovers(home) == []


def test_with_downloads_off_nothing_connects(home, server):
    register(toy_entry((server.url(FILE),), None))
    result = CliRunner().invoke(cli, ["--offline", "data", "get", "toy"])
    assert result.exit_code == 1 and result.output.strip().count("\n") == 0
    assert "toy.tar.gz is not here and downloads are off" in result.output and "`ganzoo data get toy --from FILE`" in result.output
    assert server.served.ranges == [] and leftovers(home) == []


def test_damaged_archive_is_refused_and_removed(home, server):
    server.served.files[FILE] = toy_archive()[:-200]  # truncated gzip
    register(toy_entry((server.url(FILE),), None))
    result = data("get", "toy")
    assert result.exit_code == 1 and "damaged" in result.output
    assert leftovers(home) == []


def test_archive_of_another_layout_is_refused(home, tmp_path):
    archive = tmp_path / "toy.tar.gz"
    archive.write_bytes(toy_archive(count=2, size=(8, 8)))
    register(toy_entry((closed_port_url(FILE),), None))
    result = data("get", "toy", "--from", archive, "--no-verify")
    assert result.exit_code == 1
    assert "2 files match train/*.png, expected 3" in result.output and "2 images are not 8x4" in result.output
    assert leftovers(home) == []


def test_check_finds_damage_and_adopts_a_copy_placed_by_hand(home, tmp_path):
    archive = tmp_path / "toy.tar.gz"
    archive.write_bytes(toy_archive())
    register(toy_entry((closed_port_url(FILE),), None))
    assert data("get", "toy", "--from", archive).exit_code == 0
    assert data("check", "toy").exit_code == 0
    (home / "toy" / "train" / "1.png").unlink()
    result = data("check", "toy")
    assert result.exit_code == 1 and "2 files match train/*.png, expected 3" in result.output

    (home / "toy.json").unlink()  # a copy without a record, e.g. unpacked by hand
    Image.new("RGB", (8, 4)).save(home / "toy" / "train" / "1.png")
    result = data("check", "toy")
    assert result.exit_code == 0, result.output
    assert read_record("toy", home)["parts"]["images"]["checksum"].startswith("placed by hand")


def test_unknown_dataset_names_the_known_ones(home):
    result = data("get", "facade")
    assert result.exit_code == 1 and "Did you mean 'facades'" in result.output


def test_from_a_folder_takes_every_part_whose_file_it_holds(home, tmp_path):
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    (downloads / "toy.tar.gz").write_bytes(toy_archive())
    names = io.BytesIO()
    with tarfile.open(fileobj=names, mode="w:gz") as bundle:
        info = tarfile.TarInfo("meta/names.txt")
        info.size = 4
        bundle.addfile(info, io.BytesIO(b"red\n"))
    images = toy_entry((closed_port_url(FILE),), None).archives[0]
    labels = Archive(part="labels", filename="names.tar.gz", urls=(closed_port_url("/names.tar.gz"),), checksum=None,
                     place=(("meta", "."),), expect=Expect(counts=(("names.txt", 1),)))
    entry = toy_entry((), None)
    register(KnownDataset(**{**vars(entry), "archives": (images, labels)}))

    result = data("get", "toy", "--from", downloads)  # only the images are there so far
    assert result.exit_code == 0, result.output
    assert set(read_record("toy", home)["parts"]) == {"images"} and "missing labels" in result.output
    result = data("get", "toy", "--from", downloads / "toy.tar.gz")
    assert result.exit_code == 0 and "toy images" in result.output  # one file names its part
    empty = tmp_path / "empty"
    empty.mkdir()
    result = data("get", "toy", "--from", empty)
    assert result.exit_code == 1 and "holds none of the files of toy wanted (names.tar.gz)" in result.output

    (downloads / "names.tar.gz").write_bytes(names.getvalue())
    result = data("get", "toy", "--from", downloads)  # fetches what is missing, not the images again
    assert result.exit_code == 0, result.output
    assert "toy labels" in result.output and "toy images" not in result.output
    assert set(read_record("toy", home)["parts"]) == {"images", "labels"} and "toy: unverified" in result.output
