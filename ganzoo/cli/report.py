"""``ganzoo report``: one self-contained HTML page about one or more runs."""

from __future__ import annotations

from pathlib import Path

import click

from ganzoo.cli.common import console
from ganzoo.report import write_report


@click.command("report")
@click.argument("runs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("report.html"), show_default=True,
              help="The HTML file to write (a report ganzoo wrote is replaced atomically; any other file is kept).")
@click.option("--title", default="ganzoo report", show_default=True, help="The page's title.")
@click.option("--grids", "max_grids", type=click.IntRange(min=2), default=10, show_default=True,
              help="Sample grids shown per run, spread evenly over the kept ones (first and last included).")
def report_command(runs: tuple[Path, ...], output: Path, title: str, max_grids: int) -> None:
    """Write one HTML page comparing RUNS (run folders): config, curves, evaluations, sample grids
    over time, speed and device.

    The page is self-contained (images embedded, plots drawn inline): it opens offline and can be
    mailed or attached as one file.

    \b
    Examples:
      ganzoo report runs/demo-000 -o demo.html
      ganzoo report runs/dcgan-000 runs/lsgan-sn-000 -o compare.html
    """
    path = write_report(list(runs), output, title, max_grids)
    console.print(f"report of {len(runs)} run(s): {path} ({path.stat().st_size / 2**20:.1f} MiB)")


COMMANDS = [report_command]
