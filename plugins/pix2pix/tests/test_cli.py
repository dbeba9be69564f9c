"""pix2pix end to end: a short run learns, then `ganzoo translate` and `ganzoo evaluate` use it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner
from PIL import Image
from torch import Tensor

from ganzoo import plugins
from ganzoo.build import build_dataset
from ganzoo.cli import cli
from ganzoo.interfaces import as_float_image
from ganzoo.layers import evaluating
from ganzoo.metrics.evaluate import evaluate
from ganzoo.presets import load_book
from ganzoo.train.loop import Trainer

RESOLUTION = 16
TINY = {
    "resolution": RESOLUTION,
    "augment.jitter": 18,
    "batch_size": 8,
    "dataset.count": 64,
    "nets.generator.base_channels": 8,
    "nets.discriminator.base_channels": 8,
    "nets.discriminator.n_layers": 1,
    "log_every": 1000,
    "sample_every": 1000,
}


def tiny_trainer(run_dir: Path, steps: int, **overrides: object) -> Trainer:
    config = load_book().resolve("pix2pix", {**TINY, "steps": steps, "checkpoint_every": steps, **overrides})
    return Trainer(config, run_dir)


def held_out_l1(trainer: Trainer, translate: Callable[[Tensor], Tensor] | None = None) -> float:
    """L1 on shapes drawn with another seed, of the generator (or of ``translate``)."""
    data = build_dataset(trainer.resolved, load_size=RESOLUTION, seed=99)
    generator = trainer.nets["generator"]
    with evaluating([generator]):
        result = evaluate(translate or (lambda source: generator(None, source)), data, {"l1": plugins.registry().create("metric", "l1")})
    return result.scores["l1"]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pix2pix") / "run"
    tiny_trainer(folder, steps=2).run()
    return folder


def test_short_run_learns_the_translation(tmp_path: Path) -> None:
    trainer = tiny_trainer(tmp_path / "run", steps=200, **{"schedule.kind": "constant"})
    before = held_out_l1(trainer)
    trainer.run()
    after = held_out_l1(trainer)
    training_targets = build_dataset(trainer.resolved, load_size=RESOLUTION).images["image"]
    mean_target = as_float_image(training_targets).mean(dim=0, keepdim=True)
    baseline = held_out_l1(trainer, lambda source: mean_target.expand(len(source), -1, -1, -1))
    # better than at the start, and better than always answering the average target
    assert after < 0.75 * before and after < baseline, (before, after, baseline)


def write_images(folder: Path, names: list[str], size: tuple[int, int] = (24, 24)) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        Image.new("RGB", size, (40 * i, 255, 0)).save(folder / name)


def test_translate_a_folder_keeps_file_names(run: Path, tmp_path: Path) -> None:
    names = ["a.png", "b.jpg", "c d.png"]
    write_images(tmp_path / "in", names)
    (tmp_path / "in" / "notes.txt").write_text("not an image")
    result = CliRunner().invoke(cli, ["translate", str(run), str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(names)
    with Image.open(tmp_path / "out" / "b.jpg") as img:
        assert img.size == (RESOLUTION, RESOLUTION) and img.format == "JPEG"
    assert "translated 3 images" in result.output


def test_translate_one_image_to_a_file_and_aligned_halves(run: Path, tmp_path: Path) -> None:
    write_images(tmp_path, ["pair.png"], size=(48, 24))
    out = tmp_path / "result" / "photo.png"
    result = CliRunner().invoke(cli, ["translate", str(run), str(tmp_path / "pair.png"), "-o", str(out), "--aligned", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    with Image.open(out) as img:
        assert img.size == (RESOLUTION, RESOLUTION)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--direction", "BtoA"], "trained AtoB and only translates that way"),
        (["-o", "{input}"], "the outputs would overwrite the input images"),
        (["--heatmap"], "--extra heatmap: this model has no such extra output; it declares: none"),
    ],
)
def test_translate_refuses_bad_requests(run: Path, tmp_path: Path, extra: list[str], message: str) -> None:
    write_images(tmp_path / "in", ["a.png"])
    extra = [e.format(input=tmp_path / "in") for e in extra]
    result = CliRunner().invoke(cli, ["translate", str(run), str(tmp_path / "in"), *extra, "--device", "cpu"])
    assert result.exit_code != 0 and message in result.output, result.output


def test_evaluate_prints_json_and_writes_the_grid(run: Path, tmp_path: Path) -> None:
    grid = tmp_path / "grid.png"
    result = CliRunner().invoke(cli, ["evaluate", str(run), "--json", "--grid", str(grid), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)  # warnings (e.g. broken plugins) go to stderr
    assert report["count"] == 64 and set(report["scores"]) == {"l1", "psnr", "ssim"}
    with Image.open(grid) as img:  # three rows (input, output, target) of 8 samples, labelled in a left margin
        assert img.height == 3 * (RESOLUTION + 2) + 2 and img.width > 8 * (RESOLUTION + 2) + 2


def test_evaluate_table_and_refused_options(run: Path, tmp_path: Path) -> None:
    table = CliRunner().invoke(cli, ["evaluate", str(run), "--metrics", "l1", "--grid", str(tmp_path / "g.png"), "--device", "cpu"])
    assert table.exit_code == 0 and "l1" in table.output and "lower" in table.output
    split = CliRunner().invoke(cli, ["evaluate", str(run), "--split", "test", "--device", "cpu"])
    assert split.exit_code != 0 and "dataset 'shapes-paired' has no splits" in split.output
    unknown = CliRunner().invoke(cli, ["evaluate", str(run), "--metrics", "l2", "--device", "cpu"])
    assert unknown.exit_code != 0 and "unknown metric 'l2'" in unknown.output
