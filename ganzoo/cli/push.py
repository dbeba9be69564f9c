"""``ganzoo push``: share a run or an export on the Hugging Face Hub."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click
from rich.markup import escape

from ganzoo import publish
from ganzoo.cli.common import console, report_broken_plugins


@click.command("push")
@click.argument("model", type=click.Path(exists=True, path_type=Path))
@click.argument("repo_id")
@click.option("--private", is_flag=True, help="Create the repository as private (when it does not exist yet).")
@click.option("--revision", help="Branch to push to (default: main).")
@click.option("--folder", type=click.Path(file_okay=False, path_type=Path), help="Write the repository's files here (default: a temporary folder).")
@click.option("--dry-run", is_flag=True, help="Write the files (see --folder) and upload nothing.")
def push_command(model: Path, repo_id: str, private: bool, revision: str | None, folder: Path | None, dry_run: bool) -> None:
    """Upload MODEL (a run folder, checkpoint or .safetensors export) to the Hub repository REPO_ID
    (owner/name) with a generated model card, the sample grid and the saved evaluation; it then
    loads anywhere as hf://REPO_ID. Needs huggingface_hub (the hub extra) and a Hub token.

    \b
    Examples:
      ganzoo push runs/dcgan-class-000 me/dcgan-shapes
      ganzoo push demo.safetensors me/pix2pix-demo --dry-run --folder demo-repo
    """
    report_broken_plugins()
    with tempfile.TemporaryDirectory() as scratch:
        prepared = publish.prepare(model, repo_id, folder or Path(scratch) / "repo")
        files = ", ".join(sorted(p.name for p in prepared.iterdir()))
        if dry_run:
            console.print(f"ready in {escape(str(prepared))}: {escape(files)} (--dry-run: nothing uploaded)")
            return
        address = publish.upload(prepared, repo_id, private, revision)
    console.print(f"pushed {escape(files)} to {escape(address)}; load it with hf://{escape(repo_id)}")


COMMANDS = [push_command]
