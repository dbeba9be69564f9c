"""``ganzoo translate``: run a translation model on one image or a folder, keeping file names."""

from __future__ import annotations

from pathlib import Path

import click
import torch

from ganzoo.cli.common import SEED, ModelArgument, console, report_broken_plugins
from ganzoo.data.base import IMAGE_SUFFIXES, list_images, read_images
from ganzoo.data.paired import DIRECTIONS, side_by_side, split_pair
from ganzoo.errors import GanzooError
from ganzoo.images import save_image
from ganzoo.interfaces import TranslationTask, as_float_image
from ganzoo.loading import LoadedModel, load
from ganzoo.outputs import output_file, replaceable, writable_folder

DEFAULT_OUTPUT = Path("translated")
#: the sub-folder of the output where ``--examples`` writes the inputs it translates.
EXAMPLES_FOLDER = "inputs"


def translation_direction(loaded: LoadedModel, asked: str | None) -> str | None:
    """The direction to translate: a paired (one-way) model only goes the way it was trained."""
    if loaded.task.layout != "paired":
        return asked
    trained = loaded.model.config.dataset.kwargs.get("direction", DIRECTIONS[0])
    if asked is not None and asked != trained:
        raise GanzooError(f"--direction {asked}: this model was trained {trained} and only translates that way")
    return trained


def write_examples(loaded: LoadedModel, count: int, direction: str | None, folder: Path) -> Path:
    """``count`` held-out inputs of the model's own dataset (:meth:`LoadedModel.dataset`), written to ``folder`` as PNGs."""
    keys = {"paired": "source", "unpaired": "b" if direction == "BtoA" else "a"}
    if loaded.task.layout not in keys:
        raise GanzooError("--examples: this model samples from noise; use `ganzoo sample` instead")
    sources = loaded.dataset(held_out=True, count=count).images[keys[loaded.task.layout]][:count]
    for index, image in enumerate(sources):
        save_image(as_float_image(image), folder / f"example-{index:03d}.png")
    return folder


def chosen_extras(loaded: LoadedModel, names: tuple[str, ...]) -> list[str]:
    """The extra outputs asked for, each one the model's task declares; else one line listing them."""
    task = loaded.task
    declared = {extra.name: extra.description for extra in task.extras} if isinstance(task, TranslationTask) else {}
    for name in names:
        if name not in declared:
            offered = "; ".join(f"{n} ({d})" for n, d in declared.items()) or "none"
            raise GanzooError(f"--extra {name}: this model has no such extra output; it declares: {offered}")
    return list(dict.fromkeys(names))


def output_path(source: Path, input_path: Path, output: Path | None) -> Path:
    """``output`` itself for a single image given a file name, else ``output``/<same name>."""
    if input_path.is_file() and output is not None and output.suffix.lower() in IMAGE_SUFFIXES:
        return output
    return (output or DEFAULT_OUTPUT) / source.name


@click.command("translate")
@click.argument("model", type=ModelArgument())
@click.argument("input_path", metavar="[INPUT]", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--examples", type=click.IntRange(min=1), metavar="N",
              help=f"Instead of INPUT: N held-out inputs of the model's own dataset, saved to OUTPUT/{EXAMPLES_FOLDER}/.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help=f"Output image (for one input image) or folder [default: {DEFAULT_OUTPUT}/].")
@click.option("--direction", type=click.Choice(DIRECTIONS),
              help="AtoB or BtoA: picks the generator of two-way models (UGATIT); one-way models only go as trained.")
@click.option("--aligned", is_flag=True,
              help="INPUT holds aligned A|B files (as in pix2pix datasets): translate the half the direction takes.")
@click.option("--batch-size", type=click.IntRange(min=1), default=16, show_default=True, help="Images per forward pass.")
@click.option("--extra", "extras", multiple=True, metavar="NAME",
              help="Also save the model's extra output NAME beside each output, as FILE-NAME (repeatable); "
                   "an unknown NAME lists the ones the model declares.")
@click.option("--heatmap", is_flag=True, help="Short for --extra heatmap: the attention heat-map, where a model declares one.")
@click.option("--skip-bad", is_flag=True, help="Skip unreadable images instead of stopping.")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the generator's noise (pix2pix dropout).")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
def translate_command(model: Path | str, input_path: Path | None, examples: int | None, output: Path | None, direction: str | None,
                      aligned: bool, batch_size: int, extras: tuple[str, ...], heatmap: bool, skip_bad: bool, seed: int,
                      device: str) -> None:
    """Translate INPUT (an image or a folder of images) with MODEL (a run folder, checkpoint, export or hf://owner/name[@rev]).

    Images are resized and centre-cropped to the model's resolution, as in training; outputs keep
    the input file names.

    \b
    Examples:
      ganzoo translate runs/demo-000 --examples 8 -o out
      ganzoo translate runs/pix2pix-facades-000 labels.png -o photo.png
      ganzoo translate runs/pix2pix-facades-000 ../datasets/facades/test --aligned -o facades-out
      ganzoo translate runs/ugatit-000 photos/ --direction BtoA -o drawings --heatmap
    """
    report_broken_plugins()
    asked = (*extras, "heatmap") if heatmap else extras
    if (input_path is None) == (examples is None):
        raise click.UsageError("give INPUT (an image or a folder) or --examples N, not both" if examples else
                               "give INPUT (an image or a folder), or --examples N for inputs from the model's own dataset")
    if examples is not None:
        if aligned:
            raise click.UsageError("--aligned reads INPUT files; --examples writes plain inputs")
        folder = writable_folder((output or DEFAULT_OUTPUT) / EXAMPLES_FOLDER, "-o", output or DEFAULT_OUTPUT)
        for index in range(examples):
            replaceable(folder / f"example-{index:03d}.png", "-o")
        loaded = load(model, device=device, parts="generator")
        chosen_extras(loaded, asked)  # an unknown one is refused before anything is written
        input_path = write_examples(loaded, examples, translation_direction(loaded, direction), folder)
    paths = list_images(input_path) if input_path.is_dir() else [input_path]
    if not paths:
        raise GanzooError(f"{input_path}: no images ({', '.join(IMAGE_SUFFIXES)})")
    target = output_path(paths[0], input_path, output)
    if target == output:
        output_file(target, "-o", IMAGE_SUFFIXES)
    else:
        writable_folder(target.parent, "-o", output)
    if any(output_path(path, input_path, output).resolve() == path.resolve() for path in paths):
        raise GanzooError(f"-o {output or DEFAULT_OUTPUT}: the outputs would overwrite the input images; choose another output")
    for path in paths:
        written = output_path(path, input_path, output)
        for each in (written, written.with_name(f"{written.stem}-heatmap{written.suffix}")) if heatmap else (written,):
            replaceable(each, "-o")
    if aligned:  # files that are not A|B pairs would be cut in half and translated as if they were
        paths = side_by_side(paths, f"translate input {input_path}", skip_bad)
    if examples is None:
        loaded = load(model, device=device, parts="generator")
    config = loaded.model.config
    saved_extras = chosen_extras(loaded, asked)
    direction = translation_direction(loaded, direction)
    if aligned and direction is None:
        raise GanzooError("--aligned: give --direction AtoB or BtoA to say which half of each file is the input")
    half = DIRECTIONS.index(direction) if aligned and direction else None
    images, kept = read_images(paths, channels=config.channels, size=config.resolution, what=f"translate input {input_path}",
                               skip_bad=skip_bad, min_size=1, prepare=(lambda img: split_pair(img)[half]) if half is not None else None)
    torch.manual_seed(seed)
    for start in range(0, len(images), batch_size):
        batch = as_float_image(torch.stack(images[start:start + batch_size]))  # type: ignore[arg-type]
        result = loaded.translate(batch, direction)
        for offset, index in enumerate(kept[start:start + batch_size]):
            path = output_path(paths[index], input_path, output)
            save_image(result.output[offset], path)
            for name in saved_extras:
                save_image(result.extras[name][offset], path.with_name(f"{path.stem}-{name}{path.suffix}"))
    destination = target if input_path.is_file() else target.parent
    console.print(f"translated {len(images)} image{'s' if len(images) != 1 else ''} -> {destination}")


COMMANDS = [translate_command]
