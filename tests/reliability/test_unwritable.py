"""Places that cannot be written give one line before any work starts, for every command that
writes. Paths under a regular file are in cases.py (they work even as root); here are a folder
the kernel refuses files in (/proc) and, when not running as root, a read-only folder."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from ganzoo.cli import cli


def commands(target: Path) -> list[list[str]]:
    return [["train", "tiny", "--quiet", "--out", str(target / "run")],
            ["sample", "run", "-o", str(target / "grid.png")],
            ["export", "run", "-o", str(target / "model.safetensors")],
            ["translate", "pairedrun", "image.png", "-o", str(target / "out")]]


@pytest.fixture
def runs(tiny_host, in_tmp):
    from PIL import Image

    for folder, preset in (("run", "tiny"), ("pairedrun", "tiny-paired")):
        assert CliRunner().invoke(cli, ["train", preset, "--quiet", "--device", "cpu", "--steps", "1", "--out", folder]).exit_code == 0
    Image.new("RGB", (24, 24), "white").save(in_tmp / "image.png")
    return in_tmp


def assert_refused(args: list[str], target: Path) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, (args, result.output)
    assert f"cannot write in {target}" in result.output and len(result.output.strip().splitlines()) == 1, result.output


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_a_folder_refusing_files_is_named(runs):
    for args in commands(Path("/proc/self")):
        assert_refused(args, Path("/proc/self"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folders_are_named(runs):
    locked = runs / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        for args in commands(locked):
            assert_refused(args, locked)
        (runs / "run").chmod(stat.S_IRUSR | stat.S_IXUSR)
        assert_refused(["train", "--resume", "run", "--quiet", "--steps", "3"], Path("run"))
    finally:
        locked.chmod(stat.S_IRWXU)
        (runs / "run").chmod(stat.S_IRWXU)
