"""``ganzoo evaluate``: score a translation model on paired data and save an input/output/target grid."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import click
from rich.table import Table

from ganzoo import plugins
from ganzoo.build import build_dataset
from ganzoo.cli.common import console, report_broken_plugins
from ganzoo.cli.train import data_overrides
from ganzoo.data.base import InMemoryDataset
from ganzoo.errors import GanzooError
from ganzoo.images import save_image
from ganzoo.loading import LoadedModel, load
from ganzoo.metrics.base import ImageMetric
from ganzoo.metrics.evaluate import evaluate
from ganzoo.presets import ComponentConfig
from ganzoo.registry import Registry
from ganzoo.resolve import checked

DEFAULT_METRICS = "l1,psnr,ssim"


def evaluation_data(loaded: LoadedModel, registry: Registry, *, dataset: str | None, data: Path | None,
                    split: str | None, direction: str | None) -> InMemoryDataset:
    """The model's paired dataset (or ``dataset``) on ``split``, at the model's resolution, uncropped."""
    config = loaded.model.config
    name = dataset or config.dataset.name
    kwargs = dict(config.dataset.kwargs) if name == config.dataset.name else {}
    if data is not None:
        chosen = data_overrides(data, name, type(loaded.task), registry)
        if chosen.get("dataset.name", name) != name:
            name, kwargs = chosen.pop("dataset.name"), {}
        kwargs.update({key.removeprefix("dataset."): value for key, value in chosen.items()})
    params = registry.get("dataset", name).parameters()
    for flag, key, value in (("--split", "split", split), ("--direction", "direction", direction)):
        if value is None:
            continue
        if key not in params:
            raise GanzooError(f"{flag}: dataset {name!r} has no {key}s; give --data PATH with real paired data")
        kwargs[key] = value
    if "split" in params and split is None:
        kwargs["split"] = "test"
    evaluated = dataclasses.replace(config, dataset=ComponentConfig(name, kwargs))
    return build_dataset(checked(evaluated, registry), load_size=config.resolution)


def parse_metrics(names: str, registry: Registry, fid_weights: Path | None) -> dict[str, ImageMetric]:
    metrics = {}
    for name in (n.strip() for n in names.split(",") if n.strip()):
        options = {"weights": str(fid_weights)} if name == "fid" and fid_weights else {}
        metrics[name] = registry.create("metric", name, **options)
    if not metrics:
        raise GanzooError(f"--metrics {names!r}: name at least one metric; valid: {', '.join(registry.names('metric'))}")
    return metrics


def default_grid_path(model: Path) -> Path:
    return model / "evaluation.png" if model.is_dir() else model.with_name(f"{model.stem}-evaluation.png")


@click.command("evaluate")
@click.argument("model", type=click.Path(exists=True, path_type=Path))
@click.option("--data", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Root of the paired data (default: the data the model was trained on).")
@click.option("--dataset", help="Dataset component to read it with (default: the model's; see `ganzoo list dataset`).")
@click.option("--split", help="Which split to score (default: test, for datasets that have splits).")
@click.option("--direction", type=click.Choice(["AtoB", "BtoA"]), help="Paired data: which half is the input.")
@click.option("--metrics", "metric_names", default=DEFAULT_METRICS, show_default=True,
              help="Comma-separated metrics (see `ganzoo list metric`); fid needs --fid-weights.")
@click.option("--fid-weights", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="FID Inception weights file (pt_inception-2015-12-05); never downloaded.")
@click.option("--batch-size", type=click.IntRange(min=1), default=16, show_default=True, help="Images per forward pass.")
@click.option("--grid", "grid_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the input/output/target grid (default: beside the model).")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON instead of a table.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the generator's dropout noise.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
def evaluate_command(model: Path, data: Path | None, dataset: str | None, split: str | None, direction: str | None,
                     metric_names: str, fid_weights: Path | None, batch_size: int, grid_path: Path | None,
                     as_json: bool, seed: int, device: str) -> None:
    """Score MODEL (a run folder, checkpoint or export) on paired data: L1, PSNR, SSIM (and FID).

    \b
    Examples:
      ganzoo evaluate runs/pix2pix-facades-000 --split test
      ganzoo evaluate runs/pix2pix-000 --metrics l1,psnr,ssim,fid --fid-weights inception.pth --json
    """
    report_broken_plugins()
    registry = plugins.registry()
    metrics = parse_metrics(metric_names, registry, fid_weights)  # refuse bad names before loading anything
    loaded = load(model, device=device)
    pairs = evaluation_data(loaded, registry, dataset=dataset, data=data, split=split, direction=direction)
    result = evaluate(lambda source: loaded.translate(source)["output"], pairs, metrics,
                      batch_size=batch_size, device=loaded.device, seed=seed)
    grid_path = grid_path or default_grid_path(model)
    save_image(result.grid(), grid_path)
    if as_json:
        click.echo(json.dumps({**result.to_dict(), "data": pairs.name, "grid": str(grid_path)}, indent=2))
        return
    table = Table(title=f"{model} on {pairs.name} ({result.count} pairs)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("better")
    for name, value in result.scores.items():
        table.add_row(name, f"{value:.4f}", "higher" if result.higher_is_better[name] else "lower")
    console.print(table)
    console.print(f"grid (input / output / target rows): {grid_path}")


COMMANDS = [evaluate_command]
