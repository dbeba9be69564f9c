"""A full disk: every command that writes ends in one line naming the file, and what was written
before stays whole (the last checkpoint above all). The disk is made full by making every atomic
write's ``write`` fail with ENOSPC, as the kernel does."""

from __future__ import annotations

import errno
import os
import zipfile

import pytest
from click.testing import CliRunner

from ganzoo.cli import cli
from ganzoo.data.fetch import unpack
from ganzoo.runs.checkpoint import load_checkpoint


class FullDiskHandle:
    """A file opened for writing on a full disk: every write fails."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def write(self, data) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.inner.close()


@pytest.fixture
def run(tiny_host, in_tmp):
    runner = CliRunner()
    assert runner.invoke(cli, ["train", "tiny", "--quiet", "--device", "cpu", "--steps", "2", "--out", "run"]).exit_code == 0
    assert runner.invoke(cli, ["export", "run", "-o", "model.safetensors"]).exit_code == 0
    return in_tmp / "run"


@pytest.fixture
def full_disk(monkeypatch):
    real = os.fdopen

    def fdopen(fd, mode="r", *args, **kwargs):
        handle = real(fd, mode, *args, **kwargs)
        return FullDiskHandle(handle) if "w" in mode else handle

    monkeypatch.setattr(os, "fdopen", fdopen)


@pytest.mark.parametrize("args", [["train", "--resume", "run", "--quiet", "--steps", "4"], ["export", "run", "-o", "again.safetensors"],
                                  ["sample", "run", "-o", "grid.png"], ["report", "run", "-o", "report.html"]],
                         ids=["train", "export", "sample", "report"])
def test_a_full_disk_is_one_line_and_keeps_the_last_checkpoint(run, full_disk, args):
    checkpoint = (run / "checkpoint.pt").read_bytes()
    result = CliRunner().invoke(cli, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1, result.output
    output = result.output.strip()
    assert "No space left on device" in output and "free some space" in output and len(output.splitlines()) == 1, output
    assert (run / "checkpoint.pt").read_bytes() == checkpoint and load_checkpoint(run)["step"] == 2
    assert not [p for p in run.parent.rglob(".*.tmp")], "a temporary file of the failed write was left"


def test_unpacking_onto_a_full_disk_is_not_called_damage(tmp_path, monkeypatch):
    archive = tmp_path / "data.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("a.txt", "hello")

    def extract(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(zipfile.ZipFile, "extractall", extract)
    with pytest.raises(OSError, match="No space left on device"):
        unpack(archive, tmp_path / "out")
