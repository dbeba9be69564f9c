"""One policy for every place a command writes (run folders, exports, images, reports), checked
before any work starts: a place that cannot be written is one line naming the option, the path and
why, not a traceback after minutes of training or sampling; a file ganzoo did not write is never
replaced, and a run folder made from a name stays under its root."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Callable, Sequence

from PIL import Image, UnidentifiedImageError

from ganzoo.errors import GanzooError
from ganzoo.io import MARK, SOFTWARE_TAG

#: image suffixes whose files carry :data:`ganzoo.io.MARK` when ganzoo writes them.
MARKED_IMAGES = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".gif")
#: the file every run folder holds from its start: the run's metadata (``ganzoo.runs.checkpoint.CONFIG``).
RUN_CONFIG = "config.json"


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


def output_file(path: Path, option: str, suffixes: Sequence[str], ours: Callable[[Path], bool] | None = None) -> Path:
    """``path`` if a file of one of ``suffixes`` (or no suffix) can be written there, replacing
    only a file ganzoo wrote (``ours``, default :func:`written_by_ganzoo`)."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{option} {path} is a folder; give a file name ending in {', '.join(suffixes)}")
    if path.suffix and path.suffix.lower() not in suffixes:
        raise OutputError(f"{option} {path}: the file name must end in {', '.join(suffixes)}")
    writable_folder(path.parent, option, path)
    replaceable(path, option, ours)
    return path


def replaceable(path: Path, option: str, ours: Callable[[Path], bool] | None = None) -> None:
    """Refuse to replace an existing file that ganzoo did not write (git's rule: never lose what
    is not yours). ``ours`` tells a file this command wrote before (default :func:`written_by_ganzoo`)."""
    path = Path(path)
    if path.is_file() and not (ours or written_by_ganzoo)(path):
        raise OutputError(f"{option} {path}: the file exists and was not written by ganzoo, so it is kept; "
                          f"move it away or choose another {option}")
    if path.exists() and not path.is_file():
        raise OutputError(f"{option} {path}: it is a folder or a special file, not a file ganzoo can replace; choose another {option}")


def written_by_ganzoo(path: Path) -> bool:
    """Whether ``path`` carries ganzoo's mark: an HTML report's generator tag, an image's Software
    field, an export's ``ganzoo`` header. Unreadable or unmarked files are not ganzoo's."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".html", ".htm"):
            with path.open("rb") as handle:
                return f'<meta name="generator" content="{MARK}'.encode() in handle.read(4096)
        if suffix in MARKED_IMAGES:
            with Image.open(path) as image:
                marks = (image.info.get("Software"), image.getexif().get(SOFTWARE_TAG), image.info.get("comment"))
            return MARK in marks or MARK.encode() in marks
        if suffix == ".safetensors":
            return MARK in _safetensors_metadata(path)
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError, Image.DecompressionBombError):
        return False
    return False


def _safetensors_metadata(path: Path) -> dict:
    """The ``__metadata__`` of a safetensors file, read from its header without loading tensors."""
    with path.open("rb") as handle:
        size = int.from_bytes(handle.read(8), "little")
        if not 0 < size <= 100 * 2**20:
            return {}
        header = json.loads(handle.read(size))
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    return metadata if isinstance(metadata, dict) else {}


def json_written_by(path: Path, looks_right: Callable[[object], bool]) -> bool:
    """Whether ``path`` holds JSON (or JSON lines: the first) that ``looks_right`` recognises as
    a file of the command's own kind (files without room for a mark)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        first = text if Path(path).suffix.lower() != ".jsonl" else (text.splitlines() or [""])[0]
        return looks_right(json.loads(first))
    except (OSError, ValueError):
        return False


def run_folder(folder: Path, option: str) -> Path:
    """``folder`` for a new run: absent, empty, or a run folder already (holding a run's config);
    a folder of other files is refused, so a run never mixes with or overwrites the user's files."""
    folder = Path(folder)
    writable_folder(folder, option)
    if folder.is_dir():
        others = sorted(p.name for p in folder.iterdir())
        if others and not json_written_by(folder / RUN_CONFIG, lambda meta: isinstance(meta, dict) and {"config", "source"} <= set(meta)):
            raise OutputError(f"{option} {folder}: the folder holds files of no ganzoo run (e.g. {others[0]}); "
                              f"choose a new or empty folder for the run")
    return folder


def new_run_folder(root: Path, name: str, option: str = "--out") -> Path:
    """The next free ``root/NAME-NNN``; NAME (a preset's name) is made one plain folder name, so a
    preset named ``../x`` or ``/abs/path`` still puts its run under ``root``."""
    root = Path(root)
    parts = [part.strip(".-") for part in re.split(r"[^A-Za-z0-9._-]+", name)]
    plain = "-".join(part for part in parts if part) or "run"
    writable_folder(root, option)
    taken = {p.name for p in root.iterdir()} if root.is_dir() else set()
    number = 0
    while f"{plain}-{number:03d}" in taken:
        number += 1
    folder = root / f"{plain}-{number:03d}"
    if folder.resolve().parent != root.resolve():
        raise OutputError(f"{option}: the run folder {folder} for preset {name!r} would lie outside {root}; give --out")
    return folder
