"""Fetching a known dataset into the data home: download, verify, unpack, check, record.

* Downloads go through :mod:`ganzoo.fetch` (resumable, offline-aware) into ``HOME/.downloads/``.
* The archive's digest is compared with the official one; a mismatch is refused (and a bad
  download removed) unless ``verify=False``, which the record then states.
* Unpacking happens in a staging folder beside the dataset; the contents are laid out there as
  the loaders expect and their layout checked, and only then moved into place and recorded. An
  interrupted or failed get leaves no half-made dataset: at most a ``.part`` file to resume and a
  staging folder that the next get clears.

Tar members are unpacked with tarfile's ``data`` filter (no paths outside the target, no device
files), which torchvision's ``extract_archive`` does not apply; archives given with ``--from``
may come from anywhere.
"""

from __future__ import annotations

import errno
import os
import shutil
import tarfile
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganzoo.data.base import image_size
from ganzoo.data.catalog import Archive, Expect, KnownDataset
from ganzoo.data.home import dataset_dir, read_record, write_record
from ganzoo.fetch import FetchError, Progress, download, file_digest

DOWNLOADS = ".downloads"


# ----------------------------------------------------------------------------------------------
# Checksum, unpacking, layout
# ----------------------------------------------------------------------------------------------

def unpack(archive: Path, into: Path) -> None:
    """Extract a zip or tar (any compression) into ``into``; a damaged archive is a FetchError."""
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as bundle:
                bundle.extractall(into)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as bundle:
                bundle.extractall(into, filter="data")
        else:
            raise FetchError(f"{archive} is not a zip or tar archive")
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EROFS):  # the disk refused: the archive is fine
            raise
        raise FetchError(f"{archive} is damaged ({type(error).__name__}: {error})") from None
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error) as error:
        raise FetchError(f"{archive} is damaged ({type(error).__name__}: {error})") from None


@dataclass
class LayoutReport:
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def check_layout(folder: Path, expect: Expect) -> LayoutReport:
    """Count the files of each glob and read every counted image's size from its header."""
    report = LayoutReport()
    wrong_size: list[str] = []
    for pattern, wanted in expect.counts:
        paths = sorted(p for p in folder.glob(pattern) if p.is_file())
        report.counts[pattern] = len(paths)
        if not paths and pattern in expect.optional:
            continue
        if len(paths) != wanted:
            report.problems.append(f"{len(paths)} files match {pattern}, expected {wanted}")
        if expect.size is None:
            continue
        for path in paths:
            size = image_size(path)
            if size is None:
                wrong_size.append(f"{path.relative_to(folder)} (unreadable)")
                continue
            if size != expect.size:
                wrong_size.append(f"{path.relative_to(folder)} ({size[0]}x{size[1]})")
    if wrong_size:
        width, height = expect.size  # type: ignore[misc]
        report.problems.append(f"{len(wrong_size)} images are not {width}x{height} (e.g. {wrong_size[0]})")
    return report


# ----------------------------------------------------------------------------------------------
# Installing one part
# ----------------------------------------------------------------------------------------------

def _checksum_status(archive: Archive, path: Path, verify: bool) -> tuple[bool, str, str]:
    """(verified, what the record says, sha256 of the file); refuses a wrong digest when verifying."""
    sha256 = file_digest(path, "sha256")
    official = archive.checksum
    if official is None:
        return False, "no official checksum is published; layout checked", sha256
    digest = sha256 if official.algorithm == "sha256" else file_digest(path, official.algorithm)
    if digest == official.digest:
        return True, f"{official.algorithm} matches the official one ({official.published_by})", sha256
    if verify:
        raise FetchError(
            f"{path.name}: {official.algorithm} {digest} is not the official {official.digest} ({official.published_by}); "
            "refused. Get the official archive, or pass --no-verify to use this one anyway (recorded as unverified)"
        )
    return False, f"{official.algorithm} differs from the official one (--no-verify); layout checked", sha256


def _lay_out(archive: Archive, source: Path, staging: Path) -> Path:
    """Unpack ``source`` and arrange it as the dataset folder expects; the arranged folder."""
    placed = staging / "placed"
    if archive.place is None:
        placed.mkdir(parents=True)
        shutil.copyfile(source, placed / archive.filename)
        return placed
    unpacked = staging / "unpacked"
    unpack(source, unpacked)
    for inside, dest in archive.place:
        member = unpacked / inside
        if not member.exists():
            top = ", ".join(sorted(p.name for p in unpacked.iterdir())) or "nothing"
            raise FetchError(f"{source.name} has no {inside} (its top level holds: {top}); is it the right file?")
        if dest == ".":
            os.replace(member, placed)
        else:
            (placed / dest).parent.mkdir(parents=True, exist_ok=True)
            os.replace(member, placed / dest)
    return placed


def _move_into_place(archive: Archive, placed: Path, target: Path) -> None:
    """Replace the part's files in ``target`` with the arranged ones (the whole folder for ``.``)."""
    if archive.place is not None and any(dest == "." for _, dest in archive.place):
        shutil.rmtree(target, ignore_errors=True)
        os.replace(placed, target)
        return
    for name in [archive.filename] if archive.place is None else [dest for _, dest in archive.place]:
        old = target / name
        if old.is_dir():
            shutil.rmtree(old)
        else:
            old.unlink(missing_ok=True)
        old.parent.mkdir(parents=True, exist_ok=True)
        os.replace(placed / name, old)


def install(entry: KnownDataset, archive: Archive, source: Path, origin: str, home: Path, verify: bool) -> dict[str, Any]:
    """Verify ``source`` (an archive of ``entry``'s part), lay it out, check it, move it in, record it."""
    verified, status, sha256 = _checksum_status(archive, source, verify)
    staging = home / f".{entry.name}.{archive.part}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        placed = _lay_out(archive, source, staging)
        report = check_layout(placed, archive.expect)
        if report.problems:
            raise FetchError(f"{source.name} does not hold the {entry.name} {archive.part} as distributed: {'; '.join(report.problems)}")
        record = read_record(entry.name, home)
        record["parts"].pop(archive.part, None)  # while files move, the part is not there
        write_record(record, home)
        _move_into_place(archive, placed, dataset_dir(entry.name, home))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    record["parts"][archive.part] = _part_record(archive, origin, sha256, verified, status, report)
    write_record(record, home)
    return record["parts"][archive.part]


def _part_record(archive: Archive, origin: str, sha256: str | None, verified: bool, status: str, report: LayoutReport) -> dict[str, Any]:
    return {
        "file": archive.filename,
        "from": origin,
        "sha256": sha256,
        "verified": verified,
        "checksum": status,
        "counts": report.counts,
        "fetched": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def get_part(entry: KnownDataset, archive: Archive, home: Path, source: str | None, verify: bool,
             progress: Progress | None = None) -> dict[str, Any]:
    """Download (unless ``source`` is a local file) and install one part of ``entry``."""
    part = f" --part {archive.part}" if len(entry.archives) > 1 else ""
    way_out = f"Get it yourself and run `ganzoo data get {entry.name}{part} --from FILE`"
    if source is not None and not source.startswith(("http://", "https://")):
        path = Path(source).expanduser()
        if not path.is_file():
            raise FetchError(f"--from {source}: no such file")
        return install(entry, archive, path, str(path.resolve()), home, verify)
    if source is None and archive.note:
        raise FetchError(f"{entry.name} {archive.part} ({archive.filename}): {archive.note}: {archive.urls[0]}. {way_out}")
    target = home / DOWNLOADS / archive.filename
    url = download((source,) if source else archive.urls, target, progress, way_out)
    try:
        return install(entry, archive, target, url, home, verify)
    finally:
        target.unlink(missing_ok=True)  # installed, or refused/damaged: the next try starts afresh


def check(entry: KnownDataset, home: Path) -> dict[str, LayoutReport]:
    """Re-check the layout of every recorded part of ``entry`` in the data home."""
    folder = dataset_dir(entry.name, home)
    recorded = read_record(entry.name, home)["parts"]
    return {a.part: check_layout(folder, a.expect) for a in entry.archives if a.part in recorded}


def adopt(entry: KnownDataset, home: Path) -> None:
    """Record a copy placed in the data home by hand, once its required parts pass the layout check."""
    folder = dataset_dir(entry.name, home)
    record = read_record(entry.name, home)
    for archive in entry.required:
        report = check_layout(folder, archive.expect)
        if report.problems:
            raise FetchError(f"{folder} does not hold the {entry.name} {archive.part} as the loaders expect: {'; '.join(report.problems)}")
        record["parts"][archive.part] = _part_record(archive, "placed by hand", None, False, "placed by hand; layout checked", report)
    write_record(record, home)
