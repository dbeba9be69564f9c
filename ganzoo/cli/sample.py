"""``ganzoo sample``: images from a run folder, checkpoint or export."""

from __future__ import annotations

from pathlib import Path

import click

from ganzoo.cli.common import console, report_broken_plugins
from ganzoo.data.base import IMAGE_SUFFIXES
from ganzoo.images import save_grid
from ganzoo.loading import load
from ganzoo.outputs import output_file


def output_paths(path: Path, names: list[str]) -> dict[str, Path]:
    """One file for a single output; ``stem-NAME.png`` per output when there are several."""
    if len(names) == 1:
        return {names[0]: path}
    return {name: path.with_name(f"{path.stem}-{name}{path.suffix or '.png'}") for name in names}


@click.command("sample")
@click.argument("model", type=click.Path(exists=True, path_type=Path))
@click.option("-n", "count", type=click.IntRange(1, 4096), default=64, show_default=True, help="How many images.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("samples.png"), show_default=True)
@click.option("--prompt", "prompts", multiple=True, help="Caption for text-conditional models (repeatable; cycled).")
@click.option("--class", "classes", multiple=True, help="Class index or name for class-conditional models (repeatable).")
@click.option("--seed", type=int, default=0, show_default=True, help="Noise seed: the same seed gives the same images.")
@click.option("--ema/--no-ema", default=True, show_default=True, help="Use the generator's EMA weights when present.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--columns", type=click.IntRange(min=1), help="Images per grid row (default: square grid).")
def sample_command(model: Path, count: int, output: Path, prompts: tuple[str, ...], classes: tuple[str, ...],
                   seed: int, ema: bool, device: str, columns: int | None) -> None:
    """Sample a grid of images from MODEL (a run folder, checkpoint or .safetensors export)."""
    report_broken_plugins()
    output_file(output, "-o", IMAGE_SUFFIXES)
    loaded = load(model, device=device, ema=ema)
    images = loaded.sample(count, prompts=prompts, classes=classes, seed=seed)
    for name, path in output_paths(output, list(images)).items():
        save_grid({name: images[name]}, path, columns)
        console.print(f"{name}: {path}")


COMMANDS = [sample_command]
