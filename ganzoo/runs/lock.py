"""One writer per run folder: ``RUN/.lock`` holds the owner's pid and host.

The lock file is created atomically (``O_EXCL``), so of two processes starting on one folder
exactly one wins; the other is refused naming the owner. A lock left by a process that is gone
(same host, pid no longer running: a ``kill -9``, a power cut) is taken over. Taking the lock also
removes the temporary files of atomic writes that such a process interrupted.

A lock file that names no owner (empty or garbled: a crash between creating and writing it, or a
damaged disk) is taken over once it is older than :data:`UNOWNED_GRACE` seconds; younger, it may
be a lock being written, and is waited for.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

from ganzoo.errors import GanzooError
from ganzoo.io import is_partial_write

LOCK = ".lock"
#: seconds after which a lock file naming no owner is stale (writing one takes microseconds).
UNOWNED_GRACE = 5.0


class RunFolderLocked(GanzooError):
    """Another live process writes to the run folder."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _read_owner(path: Path) -> dict | None:
    """The owner recorded in a lock file; ``None`` when it vanished, ``{}`` when unreadable (being written)."""
    try:
        owner = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, ValueError):
        return {}
    return owner if isinstance(owner, dict) else {}


def _named(owner: dict) -> bool:
    """Whether a lock's content names its owner (a positive pid and a host)."""
    pid = owner.get("pid")
    return isinstance(pid, int) and not isinstance(pid, bool) and pid > 0 and isinstance(owner.get("host"), str)


def remove_partial_writes(run_dir: Path) -> list[Path]:
    """Delete the temporary files of interrupted atomic writes (:func:`ganzoo.io.is_partial_write`) under ``run_dir``."""
    removed = [path for path in Path(run_dir).rglob(".*.tmp") if path.is_file() and is_partial_write(path.name)]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


class RunLock:
    """The lock of one run folder, held from :meth:`acquire` to :meth:`release` (or the ``with`` block).

    Re-entrant within a process: acquiring a folder this process already holds is a no-op, and only
    the outermost holder releases it.
    """

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK
        self.owner = {"pid": os.getpid(), "host": socket.gethostname()}
        self.held = False
        self.created = False  # whether acquiring created the folder (removed again if left empty)

    def acquire(self) -> "RunLock":
        self.created = not self.run_dir.exists()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        owner: dict | None = None
        for _ in range(20):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = _read_owner(self.path)
                if owner is None:
                    continue  # released meanwhile: try again
                if owner == self.owner:
                    return self  # this process holds it already
                if self._stale(owner):
                    self._take_over(owner)
                    continue
                if not _named(owner) and self._age() < UNOWNED_GRACE:
                    time.sleep(0.05)  # being written by its owner: read it again
                    continue
                raise self._refusal(owner)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(self.owner))
                handle.flush()
                os.fsync(handle.fileno())
            self.held = True
            remove_partial_writes(self.run_dir)
            return self
        if owner is not None and not _named(owner):  # still naming no owner after a second: a lock being written, or one a crash left empty
            raise RunFolderLocked(f"{self.run_dir} is being locked by another process ({self.path} names no owner yet); "
                                  f"try again in {UNOWNED_GRACE:.0f} s (an abandoned lock is then taken over)")
        raise RunFolderLocked(f"{self.run_dir}: could not lock the run folder ({self.path} keeps changing); try again")

    def refuse_if_taken(self) -> None:
        """Refuse, naming the owner, when another live process holds the folder (nothing is taken)."""
        owner = _read_owner(self.path)
        if owner is not None and owner != self.owner and not self._stale(owner):
            raise self._refusal(owner)

    def _stale(self, owner: dict) -> bool:
        """A dead process of this host, or no owner named for longer than writing a lock takes."""
        if not _named(owner):
            return self._age() >= UNOWNED_GRACE
        return owner["host"] == self.owner["host"] and not _alive(owner["pid"])

    def _age(self) -> float:
        try:
            return time.time() - self.path.stat().st_mtime
        except OSError:
            return 0.0

    def _take_over(self, stale: dict) -> None:
        """Remove a dead owner's lock. It is first renamed aside (atomic), so that a fresh lock a
        third process created meanwhile is recognised and put back instead of deleted."""
        aside = self.path.with_name(f"{LOCK}.{os.getpid()}")
        try:
            os.replace(self.path, aside)
        except FileNotFoundError:
            return
        if _read_owner(aside) == stale:
            aside.unlink(missing_ok=True)
            return
        try:
            os.link(aside, self.path)
        except FileExistsError:
            pass
        aside.unlink(missing_ok=True)

    def _refusal(self, owner: dict) -> RunFolderLocked:
        who = f"process {owner['pid']} on {owner['host']}" if _named(owner) else "another process"
        return RunFolderLocked(f"{self.run_dir} is in use by {who} (lock {self.path}); wait for it to finish or stop it, "
                               "or write to another folder")

    def release(self) -> None:
        if self.held and _read_owner(self.path) == self.owner:
            self.path.unlink(missing_ok=True)
            if self.created and not any(self.run_dir.iterdir()):
                self.run_dir.rmdir()  # a run that failed before writing anything leaves no folder
        self.held = False

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
