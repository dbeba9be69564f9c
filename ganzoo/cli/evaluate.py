"""``ganzoo evaluate``: score a model (generative or translator), save the result with its protocol,
and compare saved results side by side."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from ganzoo import plugins
from ganzoo.build import build_dataset
from ganzoo.cli.common import SEED, console, progress_bars, report_broken_plugins
from ganzoo.cli.flags import data_overrides
from ganzoo.config import ComponentConfig
from ganzoo.data.base import IMAGE_SUFFIXES, InMemoryDataset
from ganzoo.errors import GanzooError
from ganzoo.images import save_picture
from ganzoo.interfaces import GenerativeTask, ReportProgress
from ganzoo.io import write_json
from ganzoo.loading import LoadedModel, load
from ganzoo.metrics import higher_is_better
from ganzoo.metrics.evaluate import (
    Evaluation,
    MetricSuite,
    build_suite,
    default_metrics,
    describe_protocol,
    evaluate,
    evaluate_generator,
)
from ganzoo.outputs import json_written_by, output_file, replaceable
from ganzoo.registry import Registry
from ganzoo.resolve import checked
from ganzoo.runs.checkpoint import evaluation_paths
from ganzoo.runs.files import evaluation_problem, read_evaluation

#: images drawn from a generative model unless ``-n`` says otherwise.
DEFAULT_COUNT = 10_000


def evaluation_data(loaded: LoadedModel, registry: Registry, *, dataset: str | None, data: Path | None,
                    split: str | None, direction: str | None) -> tuple[InMemoryDataset, str | None]:
    """The model's dataset (or ``dataset``) on ``split``, at the model's resolution, uncropped, and the split used.

    Without ``--split``: generative models without captions are compared with the training split
    (as FIDs are usually reported); text-conditional models and translators use the test split.
    """
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
            raise GanzooError(f"{flag}: dataset {name!r} has no {key}s; give --data PATH with real data that has them")
        kwargs[key] = value
    if "split" in params and split is None:
        held_out = not isinstance(loaded.task, GenerativeTask) or loaded.task.condition_kind == "text"
        kwargs["split"] = "test" if held_out else "train"
    evaluated = dataclasses.replace(config, dataset=ComponentConfig(name, kwargs))
    return build_dataset(checked(evaluated, registry), load_size=config.resolution), kwargs.get("split")


def metric_names(text: str | None, registry: Registry) -> list[str]:
    names = [n.strip() for n in (text or "").split(",") if n.strip()]
    if text is not None and not names:
        raise GanzooError(f"--metrics {text!r}: name at least one metric; valid: {', '.join(registry.names('metric'))}")
    for name in names:
        registry.get("metric", name)  # an unknown name fails here, naming the valid ones
    return names


def extractor_choice(name: str | None, default: str, weights: Path | None) -> ComponentConfig:
    return ComponentConfig(name or default, {"weights": str(weights)} if weights else {})


def saved_result(model: Path) -> dict[str, Any]:
    path = evaluation_paths(model)[0]
    if not path.is_file():
        raise GanzooError(f"--compare: {model} has no saved evaluation ({path}); run `ganzoo evaluate {model}` first")
    return read_evaluation(path)


def check_outputs(result_path: Path, log_path: Path, grid_path: Path) -> None:
    """Before any work: the result, its log and the grid replace (or extend) only ganzoo's own files."""
    output_file(grid_path, "--grid", IMAGE_SUFFIXES)
    replaceable(result_path, "evaluate", ours=lambda path: json_written_by(path, lambda record: evaluation_problem(record) is None))
    replaceable(log_path, "evaluate", ours=lambda path: json_written_by(path, lambda record: evaluation_problem(record) is None))


@click.command("evaluate")
@click.argument("models", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path), metavar="MODEL [MODEL...]")
@click.option("--compare", is_flag=True, help="Show the saved results of the MODELs side by side (nothing is evaluated).")
@click.option("--data", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Root of the data to compare with (default: the data the model was trained on).")
@click.option("--dataset", help="Dataset component to read it with (default: the model's; see `ganzoo list dataset`).")
@click.option("--split", help="Which split (default: train for generative models, test for text-conditional ones and translators).")
@click.option("--direction", type=click.Choice(["AtoB", "BtoA"]), help="Paired data: which half is the input.")
@click.option("-n", "--count", type=click.IntRange(min=2),
              help=f"Images to generate (default {DEFAULT_COUNT}) or sources to translate (default: all).")
@click.option("--metrics", "metrics_text",
              help="Comma-separated metrics (see `ganzoo list metric`). Default: fid,kid,is (generative), clip-score,r-precision,fid "
                   "(text-conditional), l1,psnr,ssim (paired), fid,kid (unpaired).")
@click.option("--extractor", help="Image feature extractor for fid/kid/is (see `ganzoo list extractor`; default: inception-fid).")
@click.option("--extractor-weights", "--fid-weights", "extractor_weights", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Its weights file (default for inception-fid: the published file, fetched on first use; `ganzoo weights`).")
@click.option("--text-extractor", help="Extractor for clip-score/r-precision (default: clip).")
@click.option("--clip-weights", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CLIP model file for the text extractor (default: ~/.cache/clip/ViT-B-32.pt, fetched on first use).")
@click.option("--reference-count", type=click.IntRange(min=2), help="Real images in the reference statistics (default: all, at most 10000).")
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True, help="Images per forward pass.")
@click.option("--grid", "grid_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the grid of samples or input/output/target rows (default: beside the model).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON instead of a table (no progress bars).")
@click.option("--quiet", is_flag=True, help="No progress bars (for scripts); the result is still printed.")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the noise (and of translators' dropout).")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
def evaluate_command(models: tuple[Path, ...], compare: bool, data: Path | None, dataset: str | None, split: str | None,
                     direction: str | None, count: int | None, metrics_text: str | None, extractor: str | None,
                     extractor_weights: Path | None, text_extractor: str | None, clip_weights: Path | None,
                     reference_count: int | None, batch_size: int, grid_path: Path | None, as_json: bool, quiet: bool, seed: int,
                     device: str) -> None:
    """Score MODEL (a run folder, checkpoint or export): FID/KID/IS, per class, CLIP score and
    R-precision, or L1/PSNR/SSIM; the result is saved beside the model with its protocol.

    \b
    Examples:
      ganzoo evaluate runs/dcgan-mnist-000 -n 5000
      ganzoo evaluate runs/dcgan-000 --extractor inception-torchscript --extractor-weights default_1.pt
      ganzoo evaluate runs/stackgan-000 --clip-weights ViT-B-32.pt --extractor-weights inception.pth
      ganzoo evaluate runs/pix2pix-facades-000 --split test --metrics l1,psnr,ssim,fid --json
      ganzoo evaluate --compare runs/dcgan-000 runs/lsgan-sn-000
    """
    report_broken_plugins()
    if compare:
        show_comparison(models, as_json)
        return
    if len(models) > 1:
        raise click.UsageError("give one MODEL to evaluate (several only with --compare)")
    model = models[0]
    registry = plugins.registry()
    extractors = {"image": extractor_choice(extractor, "inception-fid", extractor_weights),
                  "text": extractor_choice(text_extractor, "clip", clip_weights)}
    result_path, log_path, default_grid = evaluation_paths(model)
    grid_path = grid_path or default_grid
    check_outputs(result_path, log_path, grid_path)
    names = metric_names(metrics_text, registry)
    suite = build_suite(names, registry, extractors) if names else None  # missing weights fail before loading anything
    loaded = load(model, device=device, parts="generator")
    suite = suite or build_suite(default_metrics(loaded.task), registry, extractors, defaults=True)
    evaluated, used_split = evaluation_data(loaded, registry, dataset=dataset, data=data, split=split, direction=direction)
    if not as_json:
        console.print(suite.describe())
    with progress_bars(not (quiet or as_json)) as progress:
        result = run_evaluation(loaded, evaluated, suite, count=count, split=used_split, reference_count=reference_count,
                                batch_size=batch_size, seed=seed, progress=progress)
    save_picture(result.picture(), grid_path)
    record = {"model": str(model), "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "data": evaluated.name,
              **result.to_dict(), "grid": str(grid_path)}
    record["protocol"]["data"] = {"dataset": evaluated.name, "split": used_split, "resolution": evaluated.resolution}
    write_json(result_path, record)
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")
    if as_json:
        click.echo(json.dumps(record, indent=2))
        return
    show_result(model, record)
    console.print(f"saved: {result_path} (all results: {log_path}); grid: {grid_path}")


def run_evaluation(loaded: LoadedModel, data: InMemoryDataset, suite: MetricSuite, *, count: int | None, split: str | None,
                   reference_count: int | None, batch_size: int, seed: int, progress: ReportProgress | None = None) -> Evaluation:
    if isinstance(loaded.task, GenerativeTask):
        return evaluate_generator(loaded.task, loaded.nets, data, suite, count=count or DEFAULT_COUNT, batch_size=batch_size, seed=seed,
                                  device=loaded.device, split=split, reference_count=reference_count, progress=progress)
    return evaluate(lambda source: loaded.translate(source).output, data, suite, batch_size=batch_size, device=loaded.device,
                    seed=seed, count=count, split=split, reference_count=reference_count, progress=progress)


def show_result(model: Path, record: dict[str, Any]) -> None:
    table = Table(title=f"{model} on {record['data']}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("better")
    for name, value in record["scores"].items():
        table.add_row(name, f"{value:.4f}", "higher" if record["higher_is_better"][name] else "lower")
    console.print(table)
    per_class = record.get("per_class") or {}
    if per_class:
        classes = Table(title="per class")
        classes.add_column("class")
        for name in per_class:
            classes.add_column(name, justify="right")
        for label in next(iter(per_class.values())):
            classes.add_row(label, *(f"{per_class[name][label]:.4f}" for name in per_class))
        console.print(classes)
    for line in describe_protocol(record):
        console.print(line)


def show_comparison(models: tuple[Path, ...], as_json: bool) -> None:
    records = {str(model): saved_result(model) for model in models}
    if as_json:
        click.echo(json.dumps(records, indent=2))
        return
    table = Table(title="saved evaluations")
    table.add_column("metric", no_wrap=True)
    for name in records:
        table.add_column(name, justify="right")
    metrics = list(dict.fromkeys(name for record in records.values() for name in record["scores"]))
    for metric in metrics:
        values = [record["scores"].get(metric) for record in records.values()]
        present = [v for v in values if v is not None]
        best = (max if higher_is_better(metric, plugins.registry()) else min)(present) if len(present) > 1 else None
        cells = ["-" if v is None else f"[bold]{v:.4f}[/]" if v == best else f"{v:.4f}" for v in values]
        table.add_row(f"{metric} ({'higher' if higher_is_better(metric, plugins.registry()) else 'lower'} is better)", *cells)
    for label, key in (("images", lambda r: str(r.get("count"))), ("data", lambda r: " ".join(map(str, filter(None, (r.get("data"), r.get("protocol", {}).get("data", {}).get("split")))))),
                       ("extractor", lambda r: ", ".join(f"{e['name']} {e['sha256'][:8]}" for e in r.get("protocol", {}).get("extractors", {}).values()))):
        table.add_row(f"[dim]{label}[/]", *(f"[dim]{key(record)}[/]" for record in records.values()))
    console.print(table)
    extractors = {json.dumps(r.get("protocol", {}).get("extractors"), sort_keys=True) for r in records.values()}
    references = {json.dumps(r.get("protocol", {}).get("reference", {}).get("data_sha256")) for r in records.values()}
    if len(extractors) > 1 or len(references) > 1:
        console.print("[yellow]warning:[/] the results used different extractors or reference data: their numbers are not comparable")


COMMANDS = [evaluate_command]
