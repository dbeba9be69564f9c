"""The ``ganzoo`` command line (click + rich). One module per command group."""

from __future__ import annotations

import os
import sys
import warnings

import click

from ganzoo.errors import GanzooError
from ganzoo.fetch import OFFLINE_ENV
from ganzoo.version import __version__


class GanzooGroup(click.Group):
    """Shows user errors (GanzooError) as one line instead of a traceback; a Ctrl-C that reaches
    here (a second one during training, or one elsewhere) stops with one line and status 130."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GanzooError as error:
            exception = click.ClickException(str(error))
            exception.exit_code = getattr(error, "exit_code", exception.exit_code)
            raise exception from None
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            raise SystemExit(130) from None


@click.group(cls=GanzooGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="ganzoo")
@click.option("--offline", is_flag=True, help=f"Never touch the network (as {OFFLINE_ENV}=1): missing weights or data are one line saying how to supply them.")
def cli(offline: bool) -> None:
    """ganzoo: classic GANs behind one clean tool, built from plugins."""
    if offline:
        os.environ[OFFLINE_ENV] = "1"  # read by every download, in this process and the ones it starts


def _register_commands() -> None:
    from ganzoo.cli import bench, catalog, data, evaluate, export, push, report, sample, scaffold, train, translate, weights

    for module in (catalog, data, weights, train, sample, translate, evaluate, export, push, report, scaffold, bench):
        for command in module.COMMANDS:
            cli.add_command(command)


_register_commands()


def _one_line(message: Warning | str, category: type[Warning], filename: str, lineno: int, line: str | None = None) -> str:
    """A warning as a user reads it: one line, without the file and source line that raised it."""
    kind = "warning" if category is UserWarning else category.__name__
    return f"{kind}: {message}\n"


def main() -> None:
    warnings.formatwarning = _one_line  # the command line's own format; library users keep Python's
    cli(prog_name="ganzoo")


if __name__ == "__main__":
    sys.exit(main())
