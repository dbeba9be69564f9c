"""Options and helpers shared by several commands."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Column

if TYPE_CHECKING:  # ganzoo.interfaces imports torch, which --help and --version do without
    from ganzoo.interfaces import ReportProgress

from ganzoo import hub

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def report_broken_plugins() -> None:
    """Warn once on stderr about plugins that failed to load (the command itself goes on)."""
    from ganzoo import plugins

    for broken in plugins.host().broken:
        err_console.print(f"[yellow]warning:[/] {escape(str(broken))}")


def progress_columns(label: str = "{task.description}") -> tuple:
    """What every progress bar shows: what, the bar, done/total, elapsed time and the time left.
    These never wrap or shorten (a narrow terminal or a log file shortens the free text beside them)."""
    def whole() -> Column:
        return Column(no_wrap=True)

    return (TextColumn(label, table_column=whole()), BarColumn(), MofNCompleteColumn(table_column=whole()),
            TimeElapsedColumn(table_column=whole()), TextColumn("eta", table_column=whole()), TimeRemainingColumn(table_column=whole()))


@contextlib.contextmanager
def progress_bars(show: bool = True) -> Iterator[ReportProgress | None]:
    """A :data:`ReportProgress` drawing one bar per kind of work (``generate``, ``reference``...),
    or ``None`` (nothing drawn) when not ``show`` (``--quiet``, ``--json``)."""
    if not show:
        yield None
        return
    bars = Progress(*progress_columns(), console=console)
    tasks: dict[str, int] = {}

    def report(what: str, done: int, total: int) -> None:
        if what not in tasks:
            tasks[what] = bars.add_task(what, total=total)
        bars.update(tasks[what], completed=done, total=total)

    with bars:
        yield report


zoo_option = click.option(
    "--zoo",
    "zoo_files",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    multiple=True,
    help="Extra presets file(s) layered over the installed distributions' presets and ./zoo.toml.",
)


#: a noise seed of sample, translate and evaluate: a 64-bit integer, what torch's generators take.
SEED = click.IntRange(-(2**63), 2**63 - 1)


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
