"""``ganzoo bench``: time a preset's training step, eager and fast, on one device."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from ganzoo import plugins
from ganzoo.cli.common import console, progress_bars, report_broken_plugins, zoo_option
from ganzoo.cli.flags import BENCH_FLAGS, PresetTable, flag_options, flag_overrides
from ganzoo.presets import load_book
from ganzoo.resolve import resolve_run
from ganzoo.train.bench import MODES, bench


@click.command("bench")
@click.argument("preset")
@flag_options(BENCH_FLAGS)
@click.option("--steps", type=click.IntRange(min=1), default=20, show_default=True, help="Timed steps per mode.")
@click.option("--warmup", type=click.IntRange(min=0), default=4, show_default=True,
              help="Untimed steps first, per mode (at least 4: the fast step warms up, then captures).")
@click.option("--mode", "modes", type=click.Choice(list(MODES)), multiple=True,
              help="Time only this mode (repeatable; default: eager and fast).")
@zoo_option
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON (no progress bars).")
def bench_command(preset: str, steps: int, warmup: int, modes: tuple[str, ...], zoo_files: tuple[Path, ...], as_json: bool,
                  **flags: Any) -> None:
    """Time PRESET's training step: ms/step, img/s, peak memory, achieved TFLOP/s, eager vs fast.

    On the CPU there are no CUDA graphs: the fast step runs eagerly there (its note says so), so
    both modes time the same work. FLOPs are counted on one eager step (convolutions and matrix
    products, forward and backward).

    \b
    Examples:
      ganzoo bench dcgan --device cuda --batch-size 128
      ganzoo bench stackgan --disc patchgan-sn --device cpu --steps 5
    """
    registry = plugins.registry()
    report_broken_plugins()
    run = resolve_run(load_book(list(zoo_files)), preset, registry,
                      lambda table: flag_overrides(BENCH_FLAGS, flags, PresetTable(table, registry)))
    with progress_bars(not as_json) as progress:
        report = bench(run.config, steps, warmup, modes or tuple(MODES), registry, progress)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    mix = "".join(f" --{flag} {flags[flag]}" for flag in ("gen", "disc") if flags.get(flag))
    table = Table(title=f"{preset}{mix} on {report['device']}: batch {report['batch_size']}, {report['resolution']} px, "
                        f"{report['precision']}, {report['gflop_per_step']:.2f} GFLOP/step")
    for column in ("mode", "graph", "ms/step", "img/s", "TFLOP/s", "peak MiB"):
        table.add_column(column, justify="left" if column == "mode" else "right")
    for row in report["results"]:
        peak = "-" if row["peak_memory_mib"] is None else f"{row['peak_memory_mib']:,.0f}"
        table.add_row(row["mode"], "yes" if row["graphed"] else "no", f"{row['step_ms']:.2f}", f"{row['images_per_s']:,.1f}",
                      f"{row['tflops']:.3f}", peak)
    console.print(table)
    for row in report["results"]:
        if row["note"]:
            console.print(f"{row['mode']}: {row['note']}")
    rates = {row["mode"]: row["images_per_s"] for row in report["results"]}
    if len(rates) == 2:
        console.print(f"fast / eager: {rates['fast'] / rates['eager']:.2f}x")


COMMANDS = [bench_command]
