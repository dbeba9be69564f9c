"""One policy for every place a command writes (run folders, exports, images), checked before any
work starts: a place that cannot be written is one line naming the option, the path and why, not a
traceback after minutes of training or sampling."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Sequence

from ganzoo.errors import GanzooError


class OutputError(GanzooError):
    """An output path that cannot be written; the message names the option and the reason."""


def writable_folder(folder: Path, option: str, given: Path | None = None) -> Path:
    """``folder`` if files can be written there (creating it where it does not exist yet).

    Nothing is created: the nearest existing ancestor must be a folder that takes a file (a probe
    file, removed at once), which also catches read-only file systems that permission bits miss.
    ``given`` is the path the user gave, when ``folder`` was derived from it.
    """
    folder = Path(folder)
    given = Path(given or folder)
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        where = "it" if existing == given else existing
        raise OutputError(f"{option} {given}: {where} is a file, not a folder; choose another {option}")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        raise OutputError(f"{option} {given}: cannot write in {existing} ({error.strerror or error}); choose another {option}") from None
    return folder


def output_file(path: Path, option: str, suffixes: Sequence[str]) -> Path:
    """``path`` if a file of one of ``suffixes`` (or no suffix) can be written there."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{option} {path} is a folder; give a file name ending in {', '.join(suffixes)}")
    if path.suffix and path.suffix.lower() not in suffixes:
        raise OutputError(f"{option} {path}: the file name must end in {', '.join(suffixes)}")
    writable_folder(path.parent, option, path)
    return path
