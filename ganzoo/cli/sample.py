"""``ganzoo sample``: images from a run folder, checkpoint or export."""

from __future__ import annotations

import math
from pathlib import Path

import click

from ganzoo.cli.common import SEED, ModelArgument, console, report_broken_plugins
from ganzoo.data.base import IMAGE_SUFFIXES
from ganzoo.images import sample_labels, save_grid
from ganzoo.io import write_json
from ganzoo.loading import load
from ganzoo.outputs import json_written_by, output_file, replaceable

#: images per interpolation row when --columns is not given.
FRAMES = 8


def output_paths(path: Path, names: list[str]) -> dict[str, Path]:
    """One file for a single output; ``stem-NAME.png`` per output when there are several."""
    if len(names) == 1:
        return {names[0]: path}
    return {name: path.with_name(f"{path.stem}-{name}{path.suffix or '.png'}") for name in names}


@click.command("sample")
@click.argument("model", type=ModelArgument())
@click.option("-n", "count", type=click.IntRange(1, 4096), default=64, show_default=True, help="How many images.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("samples.png"), show_default=True)
@click.option("--prompt", "prompts", multiple=True, help="Caption for text-conditional models (repeatable; cycled).")
@click.option("--class", "classes", multiple=True, help="Class index or name for class-conditional models (repeatable).")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Noise seed: the same seed gives the same images.")
@click.option("--ema/--no-ema", default=True, show_default=True, help="Use the generator's EMA weights when present.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--columns", type=click.IntRange(min=1), help="Images per grid row (default: square grid; 8 frames with --interpolate).")
@click.option("--interpolate", is_flag=True,
              help="Rows walk the noise from seed S+r to S+r+1 (spherical interpolation), one condition per row.")
@click.option("--truncation", type=click.FloatRange(min=0, min_open=True), metavar="PSI",
              help="Truncation trick (BigGAN): redraw noise entries with |z| > PSI (at least 0.01); smaller = more typical, less varied.")
def sample_command(model: Path | str, count: int, output: Path, prompts: tuple[str, ...], classes: tuple[str, ...],
                   seed: int, ema: bool, device: str, columns: int | None, interpolate: bool, truncation: float | None) -> None:
    """Sample a grid of images from MODEL (a run folder, checkpoint, .safetensors export or hf://owner/name[@rev]).

    Rows are labelled with their class; captions number the images and are listed under the grid
    and saved beside it (OUTPUT.prompts.json).

    \b
    Examples:
      ganzoo sample runs/dcgan-class-000 --class circle -n 16 --truncation 0.7
      ganzoo sample runs/demo-000 --interpolate -n 32 -o walk.png
      ganzoo sample hf://owner/dcgan-shapes@v1 -n 16
    """
    report_broken_plugins()
    output_file(output, "-o", IMAGE_SUFFIXES)
    loaded = load(model, device=device, ema=ema, parts="generator")
    if interpolate:
        frames = columns or FRAMES
        paths = math.ceil(count / frames)
        images = loaded.interpolate(paths, frames, prompts=prompts, classes=classes, seed=seed, truncation=truncation)
        conditions = sample_labels(loaded.conditions(paths, prompts, classes), loaded.class_names)
        labels = [f"seed {seed + r}->{seed + r + 1}" + (f": {conditions[r]}" if conditions else "") for r in range(paths) for _ in range(frames)]
        columns = frames
    else:
        images = loaded.sample(count, prompts=prompts, classes=classes, seed=seed, truncation=truncation)
        raw = loaded.conditions(count, prompts, classes)
        labels = sample_labels(raw, loaded.class_names)
    written = output_paths(output, list(images))
    prompts_file = output.with_suffix(".prompts.json") if not interpolate and isinstance(raw, list) else None
    for path in written.values():
        replaceable(path, "-o")
    if prompts_file:
        replaceable(prompts_file, "-o", ours=lambda path: json_written_by(path, lambda v: isinstance(v, list) and all(isinstance(t, str) for t in v)))
        write_json(prompts_file, labels)
    for name, path in written.items():
        save_grid({name: images[name]}, path, columns, labels)
        console.print(f"{name}: {path}")


COMMANDS = [sample_command]
