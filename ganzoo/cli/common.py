"""Options and helpers shared by several commands."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from ganzoo import hub

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


class ModelArgument(click.ParamType):
    """A run folder, checkpoint or export that exists, or an export on the Hugging Face Hub
    (``hf://owner/name[@revision]``, kept as text for :func:`ganzoo.loading.load`)."""

    name = "model"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> Path | str:
        if isinstance(value, str) and hub.is_reference(value):
            return value
        path = Path(str(value))
        if not path.exists():
            self.fail(f"{value}: no such run folder, checkpoint or export (nor hf://owner/name)", param, ctx)
        return path
