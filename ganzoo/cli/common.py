"""Options and helpers shared by several commands."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def report_broken_plugins() -> None:
    """Warn once on stderr about plugins that failed to load (the command itself goes on)."""
    from ganzoo import plugins

    for broken in plugins.host().broken:
        err_console.print(f"[yellow]warning:[/] {escape(str(broken))}")


zoo_option = click.option(
    "--zoo",
    "zoo_files",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    multiple=True,
    help="Extra presets file(s) layered over the installed distributions' presets and ./zoo.toml.",
)


#: a noise seed of sample, translate and evaluate: a 64-bit integer, what torch's generators take.
SEED = click.IntRange(-(2**63), 2**63 - 1)
