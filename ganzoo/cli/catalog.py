"""``ganzoo list``, ``ganzoo info`` and ``ganzoo presets``: what is installed and how it is set up."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import click
from rich import box
from rich.markup import escape
from rich.table import Table

from ganzoo import plugins
from ganzoo.cli.common import console, report_broken_plugins, zoo_option
from ganzoo.errors import GanzooError
from ganzoo.presets import PresetBook, load_book
from ganzoo.registry import KINDS, Component, unknown_message


def _provider(item: Component) -> dict[str, str]:
    p = item.provider
    return {"distribution": p.distribution, "version": p.version, "plugin": p.plugin} if p else {}


def readable(description: str) -> str:
    """A component's description (its docstring's first line) without the RST literal quotes."""
    return description.replace("``", "")


def _row(item: Component) -> dict[str, Any]:
    return {"name": item.name, "kind": item.kind, **_provider(item), "description": item.description}


@click.command("list")
@click.argument("kind", required=False)
@click.argument("pattern", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_command(kind: str | None, pattern: str | None, as_json: bool) -> None:
    """List components, optionally of one KIND and matching a wildcard PATTERN (e.g. 'unet*').

    KIND is one of generator, discriminator, loss, conditioner, dataset, task, metric; a first
    argument that is not a kind is taken as the pattern.
    """
    if kind is not None and kind not in KINDS:
        if pattern is not None:
            raise click.BadParameter(unknown_message("kind", kind, list(KINDS)), param_hint="KIND")
        kind, pattern = None, kind
    host = plugins.host()
    items = host.registry.list(kind, pattern)
    broken = [vars(b) for b in host.broken]
    if as_json:
        missing = load_book().unrunnable()
        click.echo(json.dumps({"components": [_row(i) for i in items], "broken": broken, "missing_plugins": missing}, indent=2))
        return
    console.print(f"{len(items)} components (versions: --json or `ganzoo info NAME`)")
    name_width = max((len(i.name) for i in items), default=4)
    provider_width = max((len(i.provider.distribution) for i in items if i.provider), default=11)
    for group in (kind,) if kind else KINDS:  # one table per kind, columns aligned across them
        rows = [i for i in items if i.kind == group]
        if not rows:
            continue
        table = Table(title=f"[bold]{group}[/] ({len(rows)})", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("name", no_wrap=True, min_width=name_width)
        table.add_column("provided by", no_wrap=True, min_width=provider_width)
        table.add_column("description", overflow="fold", ratio=1)
        for item in rows:
            table.add_row(escape(item.name), escape(item.provider.distribution if item.provider else ""),
                          escape(readable(item.description)))
        console.print(table)
    for b in host.broken:
        console.print(f"[red]broken[/] plugin [bold]{escape(b.plugin)}[/] ({escape(b.distribution)} {escape(b.version)}): {escape(b.cause)}")
    report_missing_plugins(load_book())


def _default(value: Any) -> Any:
    return "(required)" if value is inspect.Parameter.empty else value


@click.command("info")
@click.argument("name")
@click.option("--kind", type=click.Choice(KINDS), help="Only the component of this kind.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@zoo_option
def info_command(name: str, kind: str | None, as_json: bool, zoo_files: tuple[Path, ...]) -> None:
    """Show a component's parameters, defaults, accepted conditions and provider (or a preset)."""
    registry = plugins.registry()
    items = [registry.get(kind, name)] if kind else registry.find(name)
    book = load_book(list(zoo_files))
    preset = book.resolve(name).to_dict() if name in book.raw else None
    if not items and preset is None:
        names = sorted({c.name for c in registry.list()} | set(book.names()))
        raise GanzooError(unknown_message("component or preset", name, names))
    described = [
        {**_row(i), "parameters": {k: _default(v) for k, v in i.parameters().items()}, "ports": i.ports.describe()}
        for i in items
    ]
    if as_json:
        click.echo(json.dumps({"components": described, "preset": preset}, indent=2, default=str))
        return
    for entry in described:
        console.print(f"[bold]{entry['kind']} {escape(entry['name'])}[/]  ({escape(entry.get('distribution', '?'))} {escape(entry.get('version', ''))})")
        console.print(f"  {escape(readable(entry['description']))}")
        table = Table(show_header=True, box=None, padding=(0, 2))
        table.add_column("parameter")
        table.add_column("default")
        for key, value in entry["parameters"].items():
            table.add_row(key, escape(repr(value) if value != "(required)" else value))
        console.print(table)
        ports = entry["ports"]
        console.print(
            f"  resolutions: {ports['resolutions']}  channels: {ports['channels']}  "
            f"conditions: {', '.join(ports['conditions'])}"
            + (f"  produces: {ports['produces']}" if ports["produces"] else "")
            + (f"  features: {', '.join(ports['features'])}" if ports["features"] else "")
        )
    if preset is not None:
        console.print(f"[bold]preset {name}[/]  ({', '.join(book.sources[name])})")
        console.print_json(json.dumps(preset))


def report_missing_plugins(book: PresetBook) -> None:
    """One line per preset that cannot run because plugin distributions it needs are missing."""
    for name, missing in book.unrunnable().items():
        console.print(f"[yellow]preset {escape(name)} needs {escape(', '.join(missing))}[/]: pip install {escape(' '.join(missing))}")


@click.command("presets")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@zoo_option
def presets_command(as_json: bool, zoo_files: tuple[Path, ...]) -> None:
    """List the presets and the distribution providing each (plugins, ganzoo's zoo.toml), with
    ./zoo.toml and --zoo files layered over them."""
    book = load_book(list(zoo_files))
    rows = [{"name": n, "description": book.raw[n].get("description", ""), "distribution": book.providers.get(n), "provided_by": book.provided_by(n),
             "sources": book.sources[n], "needs": book.needs(n), "missing": book.missing(n)} for n in book.names()]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"{len(rows)} presets", title_justify="left")
    table.add_column("preset", no_wrap=True)
    table.add_column("provided by", overflow="fold")
    table.add_column("description", overflow="fold")
    for row in rows:
        layered = "".join(f" + {source}" for source in row["sources"][1:])
        table.add_row(escape(row["name"]), escape(row["provided_by"] + layered), escape(row["description"]))
    console.print(table)
    report_missing_plugins(book)
    for message in book.clashes.values():
        console.print(f"[red]clash:[/] {escape(message)}")
    report_broken_plugins()


COMMANDS = [list_command, info_command, presets_command]
