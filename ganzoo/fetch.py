"""Downloading one file: the one path for datasets (``ganzoo data get``) and model weights
(``ganzoo weights get``, and on first use).

* Downloads resume: bytes go to ``<target>.part`` and a later try asks the server for the rest
  (HTTP ``Range``); the file takes its real name only once complete (an atomic rename).
* Every network failure is a :class:`FetchError` whose one line names the address tried and the
  way out (get the file yourself, then ``--from FILE``); never a traceback.
* Offline (``GANZOO_OFFLINE=1``, which ``ganzoo --offline`` sets) nothing touches the network:
  a file not already here is a one-line error saying how to supply it.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Protocol

from ganzoo.errors import GanzooError

CHUNK = 1 << 20
OFFLINE_ENV = "GANZOO_OFFLINE"


class FetchError(GanzooError):
    """A download, checksum, archive or layout problem; the message says how to go on."""


class DownloadStopped(FetchError):
    """The transfer began but did not finish; the ``.part`` file is kept for the next try."""


class Progress(Protocol):
    """What a download reports to: a rich bar on stderr, or a test's recorder."""

    def start(self, description: str, total: int | None, completed: int) -> None: ...

    def advance(self, amount: int) -> None: ...

    def stop(self) -> None: ...


class DownloadBar:
    """Bytes, speed and time left of one download on a rich progress bar (stderr)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, TextColumn, TimeRemainingColumn, TransferSpeedColumn
        from rich.progress import Progress as RichProgress

        self.bar = RichProgress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                                TimeRemainingColumn(), console=Console(stderr=True))
        self.task: Any = None

    def start(self, description: str, total: int | None, completed: int) -> None:
        self.bar.start()
        self.task = self.bar.add_task(description, total=total, completed=completed)

    def advance(self, amount: int) -> None:
        self.bar.advance(self.task, amount)

    def stop(self) -> None:
        self.bar.stop()


def offline() -> bool:
    """Whether downloads are off (``GANZOO_OFFLINE`` set to anything but empty or ``0``)."""
    return os.environ.get(OFFLINE_ENV, "") not in ("", "0")


def file_digest(path: Path, algorithm: str) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, algorithm).hexdigest()


def download(urls: tuple[str, ...], target: Path, progress: Progress | None, way_out: str, timeout: float = 30) -> str:
    """Fetch the first of ``urls`` that answers into ``target``; the URL used. ``progress``
    defaults to a :class:`DownloadBar`; offline, nothing is tried."""
    if offline():
        raise FetchError(f"{target.name} is not here and downloads are off ({OFFLINE_ENV}=1 or --offline). {way_out}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    failures = []
    for url in urls:
        try:
            _download_one(url, partial, progress or DownloadBar(), timeout)
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            failures.append(f"{url} ({getattr(error, 'reason', None) or error})")
            continue
        os.replace(partial, target)
        return url
    raise FetchError(f"cannot download {target.name} from {'; '.join(failures)}. {way_out}")


def _download_one(url: str, partial: Path, progress: Progress, timeout: float) -> None:
    have = partial.stat().st_size if partial.exists() else 0
    headers = {"User-Agent": "ganzoo", **({"Range": f"bytes={have}-"} if have else {})}
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as error:
        if error.code != 416 or not have:  # 416: the .part is already whole or stale; start over
            raise
        partial.unlink()
        return _download_one(url, partial, progress, timeout)
    with response:
        if have and response.status != 206:  # the server ignored Range: start over
            have = 0
        length = response.headers.get("Content-Length")
        total = have + int(length) if length is not None else None
        progress.start(partial.name.removesuffix(".part"), total, have)
        received = have
        try:
            with partial.open("ab" if have else "wb") as out:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    received += len(chunk)
                    progress.advance(len(chunk))
        except (OSError, http.client.HTTPException) as error:
            raise DownloadStopped(f"download of {url} stopped at {received:,} bytes ({error}); run the same command again to continue") from None
        finally:
            progress.stop()
    if total is not None and received < total:
        raise DownloadStopped(f"download of {url} stopped at {received:,} of {total:,} bytes; run the same command again to continue")
