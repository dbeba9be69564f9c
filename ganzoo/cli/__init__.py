"""The ``ganzoo`` command line (click + rich). One module per command group."""

from __future__ import annotations

import errno
import importlib
import os
import sys
import warnings

import click

from ganzoo.errors import GanzooError
from ganzoo.version import __version__

#: every command: the module under ``ganzoo.cli`` that defines it and its line in ``ganzoo --help``.
#: The module is imported when the command runs (most import torch, which --help and --version
#: need not wait for); tests/cli/test_startup.py keeps each line equal to the command's own.
COMMANDS = {
    "bench": ("bench", "Time PRESET's training step: ms/step, img/s, peak memory, achieved TFLOP/s, eager vs fast."),
    "data": ("data", "Known datasets: list them, fetch them into the data home, check them."),
    "evaluate": ("evaluate", "Score MODEL (a run folder, checkpoint or export): FID/KID/IS, per class, CLIP score and "
                             "R-precision, or L1/PSNR/SSIM; the result is saved beside the model with its protocol."),
    "export": ("export", "Export RUN (a run folder or checkpoint) to a safetensors file."),
    "info": ("catalog", "Show a component's parameters, defaults, accepted conditions and provider (or a preset)."),
    "list": ("catalog", "List components, optionally of one KIND and matching a wildcard PATTERN (e.g."),
    "new-plugin": ("scaffold", "Scaffold the plugin package ganzoo-NAME: pyproject with the entry point, a generator, a preset, "
                               "a test and a README."),
    "presets": ("catalog", "List the presets and the distribution providing each (plugins, ganzoo's zoo.toml), with ./zoo.toml "
                           "and --zoo files layered over them."),
    "report": ("report", "Write one HTML page comparing RUNS (run folders): config, curves, evaluations, sample grids over time, "
                         "speed and device."),
    "serve": ("serve", "Open a page to play with MODEL (a run folder, checkpoint, .safetensors export or hf://owner/name[@rev])."),
    "sample": ("sample", "Sample a grid of images from MODEL (a run folder, checkpoint, .safetensors export or "
                         "hf://owner/name[@rev])."),
    "train": ("train", "Train PRESET (see `ganzoo presets`), optionally mixing in other components."),
    "push": ("push", "Upload MODEL (a run folder, checkpoint or .safetensors export) to the Hub repository REPO_ID "
                     "(owner/name) with a generated model card, the sample grid and the saved evaluation; it then loads "
                     "anywhere as hf://REPO_ID."),
    "translate": ("translate", "Translate INPUT (an image or a folder of images) with MODEL (a run folder, checkpoint, export or "
                               "hf://owner/name[@rev])."),
    "weights": ("weights", "Published model weights (FID Inception, CLIP): list them, fetch them into their caches."),
}


class GanzooGroup(click.Group):
    """Commands imported when they run (the help lists them from :data:`COMMANDS`); user errors
    (GanzooError) and the system's refusals (a full disk, a missing permission) shown as one line
    instead of a traceback; a Ctrl-C that reaches here (a second
    one during training, or one elsewhere) stops with one line and status 130."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module = importlib.import_module(f"ganzoo.cli.{COMMANDS[name][0]}")
        return next(command for command in module.COMMANDS if command.name == name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max(map(len, COMMANDS))
        with formatter.section("Commands"):
            formatter.write_dl([(name, click.Command(name, help=line).get_short_help_str(limit)) for name, (_, line) in sorted(COMMANDS.items())])

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GanzooError as error:
            exception = click.ClickException(str(error))
            exception.exit_code = getattr(error, "exit_code", exception.exit_code)
            raise exception from None
        except OSError as error:
            if error.errno is None:
                raise
            raise click.ClickException(system_error(error)) from None
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            raise SystemExit(130) from None


def system_error(error: OSError) -> str:
    """An operating-system error as one line naming the file; a full disk says what is kept."""
    where = f"{error.filename}: " if error.filename else ""
    text = f"{where}{error.strerror or error}"
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"{text}: free some space and run the command again (files written before are kept whole)"
    return text


def _plain(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    from ganzoo.cli.common import console, err_console

    console.no_color = err_console.no_color = value or os.environ.get("NO_COLOR", "") != ""


@click.group(cls=GanzooGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="ganzoo")
@click.option("--no-color", is_flag=True, expose_value=False, is_eager=True, callback=_plain,
              help="No colours or styles in what is printed (as NO_COLOR=1 does).")
@click.option("--offline", is_flag=True, help="Never touch the network (as GANZOO_OFFLINE=1): missing weights or data are one line saying how to supply them.")
def cli(offline: bool) -> None:
    """ganzoo: classic GANs behind one clean tool, built from plugins."""
    if offline:
        from ganzoo.fetch import OFFLINE_ENV  # here, not at start-up: --help and --version need no network code

        os.environ[OFFLINE_ENV] = "1"  # read by every download, in this process and the ones it starts


def _one_line(message: Warning | str, category: type[Warning], filename: str, lineno: int, line: str | None = None) -> str:
    """A warning as a user reads it: one line, without the file and source line that raised it."""
    kind = "warning" if category is UserWarning else category.__name__
    return f"{kind}: {message}\n"


def main() -> None:
    warnings.formatwarning = _one_line  # the command line's own format; library users keep Python's
    cli(prog_name="ganzoo")


if __name__ == "__main__":
    sys.exit(main())
