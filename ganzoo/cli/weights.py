"""``ganzoo weights list|get``: the published model weights the metrics and conditioners use."""

from __future__ import annotations

import json

import click
from rich.markup import escape

from ganzoo import weights
from ganzoo.cli.common import console
from ganzoo.fetch import file_digest


@click.group("weights")
def weights_group() -> None:
    """Published model weights (FID Inception, CLIP): list them, fetch them into their caches."""


@weights_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a list.")
def list_command(as_json: bool) -> None:
    """Each known weights file: what uses it, where it comes from, and whether it is in its cache."""
    rows = [{"name": w.name, "title": w.title, "file": w.filename, "url": w.url, "sha256": w.sha256, "published_by": w.published_by,
             "path": str(w.path), "present": w.path.is_file(), "used_by": w.used_by} for w in weights.known().values()]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        status = "[green]present[/]" if row["present"] else "[dim]absent (fetched on first use)[/]"
        console.print(f"\n[bold]{escape(row['name'])}[/]  {status}  {escape(row['title'])}", soft_wrap=True)
        console.print(f"  used by: {escape(row['used_by'])}", soft_wrap=True)
        console.print(f"  file:    {escape(row['path'])}", soft_wrap=True)
        console.print(f"  source:  {escape(row['url'])}", soft_wrap=True)
        console.print(f"  sha256:  {escape(row['sha256'])} ({escape(row['published_by'])})", soft_wrap=True)


@weights_group.command("get")
@click.argument("name")
@click.option("--from", "source", metavar="URL|FILE", help="Take the file from this URL or local file instead of the published address.")
def get_command(name: str, source: str | None) -> None:
    """Fetch weights NAME into the cache its library reads: download (resumable) or copy, then check its SHA-256.

    \b
    Examples:
      ganzoo weights get inception-fid
      ganzoo weights get inception-fid --from ~/Downloads/weights-inception-2015-12-05-6726825d.pth
      ganzoo --offline weights get clip-vit-b-32 --from ViT-B-32.pt
    """
    entry = weights.lookup(name)
    if source is None and entry.path.is_file():
        digest = file_digest(entry.path, "sha256")
        state = "matches the published one" if digest.startswith(entry.sha256) else f"is NOT the published {entry.sha256}"
        console.print(f"{entry.name} is already in {entry.path} (sha256 {digest} {state}); --from FILE replaces it")
        return
    path = weights.fetch(entry, source)
    console.print(f"[green]{entry.name}[/]: sha256 matches the published one ({escape(entry.published_by)}); {path}")


COMMANDS = [weights_group]
