"""Write docs/cli.md, the command-line reference, from the click command tree.

    .venv/bin/python docs/gen_cli.py  # rewrite docs/cli.md

The text comes from each command's docstring and each option's help, so the reference cannot
drift from ``ganzoo --help``; tests/test_docs.py checks that the committed file is current.
"""

from __future__ import annotations

import inspect
import textwrap
from pathlib import Path

import click

CLI_MD = Path(__file__).resolve().parent / "cli.md"
INTRO = """\
# Command-line reference

Generated from the click commands by `docs/gen_cli.py`; do not edit by hand. Every command
also answers `-h`/`--help`. User errors (unknown names, bad mixes, damaged files) are reported
as one line starting with `Error:` and exit status 1.
"""


def help_markdown(text: str) -> str:
    """A click help text as markdown: ``\\b`` blocks (kept verbatim by click) become code blocks."""
    out = []
    for paragraph in inspect.cleandoc(text).split("\n\n"):
        if not paragraph.startswith("\b"):
            out.append(" ".join(line.strip() for line in paragraph.splitlines()))
            continue
        lines = paragraph.split("\n")[1:]
        if lines and lines[0].rstrip().endswith(":"):
            out.append(lines.pop(0).strip())
        out.append("```bash\n" + textwrap.dedent("\n".join(lines)) + "\n```")
    return "\n\n".join(out)


def options_table(command: click.Command, ctx: click.Context) -> str:
    rows = []
    for param in command.get_params(ctx):
        record = None if isinstance(param, click.Argument) else param.get_help_record(ctx)
        if record is None:
            continue
        names, help_text = (cell.replace("|", r"\|") for cell in record)
        rows.append(f"| `{names}` | {help_text} |")
    return "| option | meaning |\n|---|---|\n" + "\n".join(rows) if rows else ""


def command_markdown(name: str, command: click.Command, parent: click.Context) -> str:
    ctx = click.Context(command, info_name=name, parent=parent)
    usage = " ".join(command.collect_usage_pieces(ctx))
    parts = [f"## `{ctx.command_path}`", f"```\n{ctx.command_path} {usage}\n```", help_markdown(command.help or "")]
    table = options_table(command, ctx)
    if table:
        parts.append(table)
    if isinstance(command, click.Group):  # e.g. `ganzoo data`: each subcommand in its own section
        parts += [command_markdown(sub, subcommand, ctx) for sub, subcommand in sorted(command.commands.items()) if not subcommand.hidden]
    return "\n\n".join(parts)


def render() -> str:
    from ganzoo.cli import cli

    root = click.Context(cli, info_name="ganzoo", **cli.context_settings)
    sections = [INTRO.strip(), help_markdown(cli.help or ""), options_table(cli, root)]
    commands = [(name, cli.get_command(root, name)) for name in cli.list_commands(root)]
    sections.append("Commands: " + ", ".join(f"[`{name}`](#ganzoo-{name})" for name, _ in commands) + ".")
    sections += [command_markdown(name, command, root) for name, command in commands if not command.hidden]
    return "\n\n".join(section for section in sections if section).rstrip() + "\n"


if __name__ == "__main__":
    CLI_MD.write_text(render(), encoding="utf-8")
    print(f"wrote {CLI_MD}")
