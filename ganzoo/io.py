"""Files written atomically: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Callable

_UMASK = os.umask(0)
os.umask(_UMASK)
#: the mark ganzoo leaves in the files it writes (an HTML generator tag, an image's Software
#: field), so that a command replaces only files ganzoo made (:func:`ganzoo.outputs.replaceable`).
MARK = "ganzoo"
#: the EXIF (and TIFF) tag naming the software that wrote an image, where images carry the mark.
SOFTWARE_TAG = 0x0131
#: the temporary file of an atomic write of NAME: ``.NAME.XXXXXXXX.tmp`` (``tempfile.mkstemp``'s 8 random characters).
_PARTIAL = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")


def atomic_write(path: Path, write: Callable[[io.BufferedWriter], None]) -> None:
    """Write via a temporary file in the same folder, fsync, then rename over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; give the usual permissions
        os.replace(tmp, path)
    except OSError as error:
        Path(tmp).unlink(missing_ok=True)
        if error.filename is None and error.errno is not None:  # a failed write names no file: name the one being written
            raise OSError(error.errno, error.strerror, str(path)) from None
        raise
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def is_partial_write(name: str) -> bool:
    """Whether a file name is that of an atomic write's temporary file (left behind by a kill)."""
    return bool(_PARTIAL.fullmatch(name))


def write_json(path: Path, data: Any) -> None:
    atomic_write(path, lambda f: f.write((json.dumps(data, indent=2, sort_keys=False) + "\n").encode()))

