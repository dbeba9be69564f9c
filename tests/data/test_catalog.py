"""The shipped catalog: every entry is well formed and read by a registered component; MNIST's
plain files and CIFAR-10's binary archive install with --from and load from the data home."""

from __future__ import annotations

import io
import json
import tarfile
import types
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from ganzoo import plugins
from ganzoo.cli import cli
from ganzoo.data.base import DataError
from ganzoo.data.catalog import BROWSER_ONLY, Archive, Expect, KnownDataset, catalog
from ganzoo.data.cifar import RECORD, cifar10
from ganzoo.data.folder import image_folder
from ganzoo.data.home import data_home, home_copy
from ganzoo.data.mnist import mnist
from ganzoo.hookspecs import hookimpl
from tests.conftest import make_tiny_host
from tests.data.test_mnist import write_mnist

DIGEST_LENGTH = {"md5": 32, "sha256": 64}
ENTRIES = catalog(make_tiny_host().registry).entries


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("GANZOO_DATA", str(tmp_path / "home"))
    plugins.reset(make_tiny_host())
    yield tmp_path / "home"
    plugins.reset(None)


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_entries_are_well_formed(name):
    entry = ENTRIES[name]
    assert entry.title and entry.size and entry.licence and entry.homepage.startswith("http")
    assert entry.required, "a dataset needs at least one required archive"
    for archive in entry.archives:
        assert archive.urls and all(url.startswith(("http://", "https://")) for url in archive.urls)
        assert all(count > 0 for _, count in archive.expect.counts)
        if archive.checksum is not None:
            assert len(archive.checksum.digest) == DIGEST_LENGTH[archive.checksum.algorithm]
            assert archive.checksum.published_by
        if archive.note.startswith(BROWSER_ONLY):
            assert archive.checksum is None  # Drive copies come with no published digest
        if archive.place is not None:
            dests = [dest for _, dest in archive.place]
            assert "." not in dests or (len(dests) == 1 and len(entry.archives) == 1)


def test_the_data_home_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GANZOO_DATA", str(tmp_path / "mine"))
    assert data_home() == tmp_path / "mine"
    monkeypatch.delenv("GANZOO_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert data_home() == tmp_path / "cache" / "ganzoo" / "datasets"


def test_mnist_files_install_as_they_are_and_load_from_the_home(home, tmp_path):
    labels = write_mnist(tmp_path / "downloads", count=12)
    write_mnist(tmp_path / "downloads", count=5, split="test")

    def get(name: str) -> None:
        result = CliRunner().invoke(cli, ["data", "get", "mnist", "--from", str(tmp_path / "downloads" / name), "--no-verify"])
        assert result.exit_code == 0, result.output
        assert "differs from the official" in result.output

    get("train-images-idx3-ubyte.gz")
    get("train-labels-idx1-ubyte.gz")
    assert (home / "mnist" / "train-images-idx3-ubyte.gz").is_file()
    with pytest.raises(DataError, match="mnist lacks test-images, test-labels in the data home"):
        mnist()
    get("t10k-images-idx3-ubyte.gz")
    get("t10k-labels-idx1-ubyte.gz")
    assert torch.equal(mnist(resolution=28).labels, labels)  # root None: the data home's copy
    assert len(mnist(split="test")) == 5


def cifar_archive(path: Path, per_batch: int = 4) -> Path:
    """``cifar-10-batches-bin/`` as in cifar-10-binary.tar.gz, ``per_batch`` records per file."""
    with tarfile.open(path, "w:gz") as bundle:
        files = {f"data_batch_{i}.bin": i for i in range(1, 6)} | {"test_batch.bin": 9}
        for name, label in files.items():
            record = bytes([label]) + bytes(range(256)) * 12
            _add(bundle, f"cifar-10-batches-bin/{name}", record * per_batch)
        _add(bundle, "cifar-10-batches-bin/batches.meta.txt", "\n".join(f"class{i}" for i in range(10)).encode())
    return path


def _add(bundle: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    bundle.addfile(info, io.BytesIO(data))


def test_cifar10_binary_archive_installs_and_loads(home, tmp_path):
    result = CliRunner().invoke(cli, ["data", "get", "cifar10", "--from", str(cifar_archive(tmp_path / "c.tar.gz")), "--no-verify"])
    assert result.exit_code == 0, result.output
    train = cifar10(condition="class")
    assert tuple(train.images["image"].shape) == (20, 3, 32, 32) and train.labels.tolist() == [1] * 4 + [2] * 4 + [3] * 4 + [4] * 4 + [5] * 4
    assert train.class_names[0] == "class0"
    assert len(cifar10(split="test", resolution=16)) == 4
    assert RECORD == 3073


def test_a_plugin_adds_a_dataset_to_the_catalog_through_its_components(home, tmp_path):
    """No hook of its own: a plugin's dataset component reading the data home (``home_copy``) puts
    its entry in ``ganzoo data list`` and makes ``ganzoo data get NAME`` work, as the core's do."""
    entry = KnownDataset(name="toys", title="Toy photos", size="1 kB", licence="CC0", homepage="https://example.org/toys",
                         archives=(Archive(part="images", filename="toys.zip", urls=("https://example.org/toys.zip",), checksum=None,
                                           expect=Expect(counts=(("*.png", 1),))),))
    toys = types.ModuleType("toys_plugin")
    toys.ganzoo_components = hookimpl(lambda: [home_copy(image_folder, "toys", entry, "Toy photos.")])
    host = make_tiny_host()
    assert host.register(toys, "toys", "toys-plugin", "1.0"), host.broken
    plugins.reset(host)
    listed = json.loads(CliRunner().invoke(cli, ["data", "list", "--json"]).output)
    assert {"toys": ["toys"]}.items() <= {row["name"]: row["read_by"] for row in listed["datasets"]}.items()
    with pytest.raises(DataError, match=r"toys is not in the data home .*`ganzoo data get toys`"):
        plugins.registry().create("dataset", "toys")
