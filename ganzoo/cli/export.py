"""``ganzoo export``: a run's model as one safetensors file that loads anywhere ganzoo does."""

from __future__ import annotations

from pathlib import Path

import click

from ganzoo.cli.common import report_broken_plugins
from ganzoo.export import PARTS, export_run, read_export
from ganzoo.runs.snapshots import checkpoint_of


@click.command("export")
@click.argument("run", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The .safetensors file to write (a ganzoo export is replaced atomically; any other file is kept).")
@click.option("--ema/--no-ema", default=True, show_default=True, help="Export the generator's EMA weights when the run kept them.")
@click.option("--parts", type=click.Choice(PARTS), default="generator", show_default=True,
              help="generator: what sampling and translation need; all: every network, discriminators included.")
@click.option("--best", is_flag=True, help="Export the run's best model (RUN/best.pt, kept by evaluation) instead of its latest checkpoint.")
@click.option("--snapshot", type=click.IntRange(min=0), metavar="STEP", help="Export the run's snapshot of STEP (see RUN/snapshots).")
def export_command(run: Path, output: Path, ema: bool, parts: str, best: bool, snapshot: int | None) -> None:
    """Export RUN (a run folder or checkpoint) to a safetensors file.

    The file holds the weights and the description needed to rebuild the networks: component
    names and arguments, the condition, and the plugin distributions that provide them. Use it
    with `ganzoo sample`, `ganzoo translate` or `ganzoo.load()`.

    \b
    Examples:
      ganzoo export runs/dcgan-class-000 -o dcgan.safetensors
      ganzoo sample dcgan.safetensors --class circle -n 16
      ganzoo export runs/dcgan-class-000 --best -o best.safetensors
    """
    report_broken_plugins()
    if best and snapshot is not None:
        raise click.UsageError("--best and --snapshot choose different checkpoints: give one of them")
    path = export_run(checkpoint_of(run, best, snapshot), output, ema=ema, parts=parts)  # type: ignore[arg-type]
    export = read_export(path)
    networks = sorted({name.partition(".")[0] for name in export.tensors})
    size = path.stat().st_size / 2**20
    click.echo(f"exported {', '.join(networks)} ({'EMA' if export.ema else 'raw'} weights, step {export.step}) -> {path} ({size:.1f} MiB)")


COMMANDS = [export_command]
