"""``ganzoo data list|get|check``: the known datasets and their copies in the data home."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from ganzoo import plugins
from ganzoo.cli.common import console, report_broken_plugins
from ganzoo.data import fetch
from ganzoo.data.catalog import KnownDataset, catalog
from ganzoo.data.home import HOME_ENV, data_home, dataset_dir, missing_parts, read_record
from ganzoo.errors import GanzooError

root_option = click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help=f"Data home for this command (default: ${HOME_ENV}, else ~/.cache/ganzoo/datasets).",
)


def status(entry: KnownDataset, home: Path) -> str:
    """``verified``, ``unverified``, ``missing PART, ...`` or ``absent``."""
    recorded = read_record(entry.name, home)["parts"]
    if not recorded or not dataset_dir(entry.name, home).is_dir():
        return "absent"
    missing = missing_parts(entry, home)
    if missing:
        return f"missing {', '.join(missing)}"
    return "verified" if all(recorded[a.part]["verified"] for a in entry.required) else "unverified"


def _describe(entry: KnownDataset, readers: list[str], home: Path) -> dict[str, Any]:
    return {
        "name": entry.name,
        "title": entry.title,
        "size": entry.size,
        "licence": entry.licence,
        "homepage": entry.homepage,
        "status": status(entry, home),
        "path": str(dataset_dir(entry.name, home)),
        "read_by": readers,
        "parts": [
            {
                "part": a.part,
                "file": a.filename,
                "urls": list(a.urls),
                "checksum": {"algorithm": a.checksum.algorithm, "digest": a.checksum.digest, "published_by": a.checksum.published_by}
                if a.checksum else None,
                "optional": a.optional,
                "note": a.note,
            }
            for a in entry.archives
        ],
        "notes": entry.notes,
    }


@click.group("data")
def data_group() -> None:
    """Known datasets: list them, fetch them into the data home, check them."""


@data_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@root_option
def list_command(as_json: bool, root: Path | None) -> None:
    """Each known dataset: what it is, its size, licence, source, and whether it is in the data home."""
    home = root or data_home()
    known = catalog(plugins.registry())
    rows = [_describe(known.entries[name], known.readers[name], home) for name in sorted(known.entries)]
    if as_json:
        click.echo(json.dumps({"home": str(home), "datasets": rows}, indent=2))
        return
    console.print(f"{len(rows)} datasets; data home [bold]{escape(str(home))}[/] (${HOME_ENV})")
    colours = {"verified": "green", "unverified": "yellow", "absent": "dim"}
    for row in rows:
        colour = colours.get(row["status"], "red")
        console.print(f"\n[bold]{escape(row['name'])}[/]  [{colour}]{escape(row['status'])}[/]  {escape(row['size'])}")
        console.print(f"  {escape(row['title'])}")
        console.print(f"  terms:  {escape(row['licence'])}")
        console.print(f"  source: {escape(row['homepage'])}")
        console.print(f"  read by: {escape(', '.join(row['read_by']))} (dataset components)")
        if row["notes"]:
            console.print(f"  note:   {escape(row['notes'])}")
    report_broken_plugins()


def _parts_to_get(entry: KnownDataset, part: str | None, source: str | None, home: Path) -> list[tuple[str, str | None]]:
    """``(part, where from)`` to fetch: the named part; else the part ``--from`` names by its file
    name (or the only one); from a folder, every part whose file is there and not yet fetched;
    else the missing required parts, from the catalog's URLs."""
    if source is not None and Path(source).expanduser().is_dir():
        folder = Path(source).expanduser()
        recorded = read_record(entry.name, home)["parts"]
        wanted = [entry.archive(part)] if part else [a for a in entry.archives if a.part not in recorded]
        found = [(a.part, str(folder / a.filename)) for a in wanted if (folder / a.filename).is_file()]
        if wanted and not found:
            raise GanzooError(f"--from {source}: the folder holds none of the files of {entry.name} wanted "
                              f"({', '.join(a.filename for a in wanted)})")
        return found
    if part is not None:
        return [(entry.archive(part).part, source)]
    if source is not None:
        if len(entry.archives) == 1:
            return [(entry.archives[0].part, source)]
        by_name = [(a.part, source) for a in entry.archives if a.filename == Path(source.split("?")[0]).name]
        if by_name:
            return by_name
        raise GanzooError(f"--from {source}: which part of {entry.name} is it? Add --part "
                          f"({', '.join(f'{a.part} = {a.filename}' for a in entry.archives)}), or pass the folder holding them")
    return [(name, None) for name in missing_parts(entry, home)]


@data_group.command("get")
@click.argument("name")
@click.option("--from", "source", metavar="URL|FILE|FOLDER",
              help="Take the archive from this URL or local file instead of the catalog's URL; a folder gives every part whose file it holds.")
@click.option("--part", help="Which part of a dataset of several archives (e.g. captions); default: every required part not yet here.")
@root_option
@click.option("--no-verify", is_flag=True, help="Accept an archive whose checksum is not the official one (the record says so).")
def get_command(name: str, source: str | None, part: str | None, root: Path | None, no_verify: bool) -> None:
    """Fetch dataset NAME into the data home: download (resumable), verify, unpack, check, record.

    \b
    Examples:
      ganzoo data get facades
      ganzoo data get facades --from ~/Downloads/facades.tar.gz
      ganzoo data get cub200-reed --part captions --from cvpr2016_cub.tar.gz
      ganzoo data get mnist --from ~/Downloads   # every part whose file is there
    """
    home = root or data_home()
    entry = catalog(plugins.registry()).get(name)
    parts = _parts_to_get(entry, part, source, home)
    if not parts:
        console.print(f"{entry.name} is already in {dataset_dir(entry.name, home)} ({status(entry, home)}); "
                      f"`ganzoo data check {entry.name}` re-checks it, --part PART fetches a part again")
        return
    for part_name, part_source in parts:
        archive = entry.archive(part_name)
        done = fetch.get_part(entry, archive, home, part_source, not no_verify)
        colour = "green" if done["verified"] else "yellow"
        console.print(f"[{colour}]{entry.name} {part_name}[/]: {escape(done['checksum'])}; "
                      + ", ".join(f"{n} x {escape(g)}" for g, n in done["counts"].items()))
    console.print(f"{entry.name}: {status(entry, home)} in {dataset_dir(entry.name, home)}")


@data_group.command("check")
@click.argument("name")
@root_option
def check_command(name: str, root: Path | None) -> None:
    """Re-check dataset NAME in the data home (file counts, image sizes); adopt a copy placed there by hand."""
    home = root or data_home()
    entry = catalog(plugins.registry()).get(name)
    folder = dataset_dir(entry.name, home)
    if not folder.is_dir():
        raise GanzooError(f"dataset {entry.name!r} is not in the data home {home}: fetch it with `ganzoo data get {entry.name}`")
    if not read_record(entry.name, home)["parts"]:
        fetch.adopt(entry, home)
        console.print(f"[yellow]{entry.name}[/]: a copy placed by hand in {folder}; layout checked and recorded as unverified")
    reports = fetch.check(entry, home)
    problems = [f"{part}: {'; '.join(r.problems)}" for part, r in reports.items() if r.problems]
    if problems:
        raise GanzooError(f"{entry.name} in {folder} is damaged: {' | '.join(problems)}. Fetch it again with `ganzoo data get {entry.name} --part PART`")
    for part, report in reports.items():
        console.print(f"[green]{entry.name} {part}[/]: " + ", ".join(f"{n} x {escape(g)}" for g, n in report.counts.items()))
    console.print(f"{entry.name}: {status(entry, home)} in {folder}")


COMMANDS = [data_group]
