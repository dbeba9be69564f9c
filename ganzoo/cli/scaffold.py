"""``ganzoo new-plugin``: scaffold a publishable plugin package."""

from __future__ import annotations

from pathlib import Path

import click

from ganzoo import plugins
from ganzoo.scaffold import PluginNames, scaffold_plugin


@click.command("new-plugin")
@click.argument("name")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
              help="Where to create the package folder ganzoo-NAME.")
def new_plugin_command(name: str, directory: Path) -> None:
    """Scaffold the plugin package ganzoo-NAME: pyproject with the entry point, a generator, a preset,
    a test and a README. See docs/writing-a-plugin.md.

    \b
    Example:
      ganzoo new-plugin my-gan && pip install -e ./ganzoo-my-gan && ganzoo info my-gan
    """
    target = scaffold_plugin(name, directory, plugins.registry())
    names = PluginNames.parse(name)
    click.echo(f"created {target}")
    click.echo("next:")
    for step in (f"pip install -e {target}", f"ganzoo list {names.name}", f"ganzoo train {names.name}-shapes --device cpu"):
        click.echo(f"  {step}")


COMMANDS = [new_plugin_command]
