"""One writer per run folder: a second process is refused naming the owner; stale locks are taken over."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from ganzoo.runs.checkpoint import load_checkpoint
from ganzoo.runs.lock import LOCK, UNOWNED_GRACE, RunFolderLocked, RunLock
from tests.reliability.procs import finish, start, wait_for_lock


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_second_writer_is_refused_naming_the_owner(tmp_path):
    run = tmp_path / "run"
    first = start(["train", "tiny", "--quiet", "--device", "cpu", "--out", run, "--steps", 100000, "--set", "sample_every=100000"], tmp_path)
    try:
        assert wait_for_lock(run, first)
        for args in (["train", "tiny", "--quiet", "--out", run, "--steps", 5], ["train", "--resume", run, "--quiet"]):
            code, output = finish(start(args, tmp_path))
            assert code == 1, output
            assert f"is in use by process {first.pid} on {socket.gethostname()}" in output, output
            assert "Traceback" not in output and len(output.strip().splitlines()) == 1, output
        assert first.poll() is None  # the first writer goes on
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    # the owner is gone: its lock is stale and the next writer takes over
    steps = load_checkpoint(run)["step"] + 2
    code, output = finish(start(["train", "--resume", run, "--quiet", "--device", "cpu", "--steps", steps], tmp_path))
    assert code == 0, output
    assert load_checkpoint(run)["step"] == steps and not (run / LOCK).exists()


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    (tmp_path / LOCK).write_text(json.dumps({"pid": dead_pid(), "host": socket.gethostname()}))
    (tmp_path / ".checkpoint.pt.abc12_yz.tmp").write_bytes(b"half")
    (tmp_path / ".notes.tmp").write_text("the user's own, not an atomic write's")
    with RunLock(tmp_path):
        assert json.loads((tmp_path / LOCK).read_text()) == {"pid": os.getpid(), "host": socket.gethostname()}
        assert not (tmp_path / ".checkpoint.pt.abc12_yz.tmp").exists()
        assert (tmp_path / ".notes.tmp").exists()
        with RunLock(tmp_path):  # the same process again: re-entrant, and the outer holder keeps it
            pass
        assert (tmp_path / LOCK).exists()
    assert not (tmp_path / LOCK).exists()


@pytest.mark.parametrize("owner", [{"pid": os.getppid(), "host": socket.gethostname()}, {"pid": 1, "host": "elsewhere.example"}],
                         ids=["live", "other-host"])
def test_live_or_foreign_locks_are_refused(tmp_path, owner):
    (tmp_path / LOCK).write_text(json.dumps(owner))
    with pytest.raises(RunFolderLocked, match=f"in use by process {owner['pid']} on {owner['host']}"):
        RunLock(tmp_path).acquire()
    assert json.loads((tmp_path / LOCK).read_text()) == owner


@pytest.mark.parametrize("content", ["", "{", "[1, 2]", '{"pid": "x", "host": 3}', '{"pid": -1}'],
                         ids=["empty", "torn", "a-list", "wrong-types", "no-host"])
def test_a_lock_naming_no_owner_is_stale_once_old(tmp_path, content):
    """A crash between creating the lock and writing it leaves it empty: not "in use" forever."""
    (tmp_path / LOCK).write_text(content)
    with pytest.raises(RunFolderLocked, match="names no owner yet"):  # young: it may be being written
        RunLock(tmp_path).acquire()
    old = time.time() - UNOWNED_GRACE - 1
    os.utime(tmp_path / LOCK, (old, old))
    with RunLock(tmp_path):
        assert json.loads((tmp_path / LOCK).read_text())["pid"] == os.getpid()
