"""benchmarks/quality.py at ``--scale smoke``: every family's ganzoo preset and reference train two
steps on tiny stand-in data and are scored through a stand-in TorchScript "Inception", so the
benchmark's code runs without the real data sets or the Inception file."""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
import warnings
from pathlib import Path

import pytest
import torch
from PIL import Image
from torch import Tensor, nn

from tests.data.test_facades import facade_pair
from tests.data.test_mnist import idx_bytes

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
FLOWERS = {"1": "pink primrose", "2": "globe thistle"}


class PooledBrightness(nn.Module):
    """Stands in for the Inception file: the brightness of the four quarters of the image."""

    def forward(self, x: Tensor) -> Tensor:
        return nn.functional.adaptive_avg_pool2d(x.mean(1, keepdim=True), 2).flatten(1)


def write_noisy_mnist(folder: Path, count: int, split: str) -> None:
    """IDX files of random 28x28 digits (distinct images keep the feature covariances regular)."""
    folder.mkdir(parents=True, exist_ok=True)
    prefix = "train" if split == "train" else "t10k"
    digits = torch.randint(0, 256, (count, 28, 28), generator=torch.Generator().manual_seed(count))
    (folder / f"{prefix}-images-idx3-ubyte").write_bytes(idx_bytes(digits))
    (folder / f"{prefix}-labels-idx1-ubyte").write_bytes(idx_bytes(torch.arange(count) % 10))


@pytest.fixture(scope="module")
def stand_ins(tmp_path_factory) -> tuple[Path, Path]:
    """A data folder with mnist/, facades/ and flowers102/ a few images each, and the extractor file."""
    root = tmp_path_factory.mktemp("quality")
    data = root / "datasets"
    write_noisy_mnist(data / "mnist", 64, "train")
    write_noisy_mnist(data / "mnist", 16, "test")
    for split, count in (("train", 4), ("test", 4)):
        (data / "facades" / split).mkdir(parents=True)
        for number in range(count):
            (data / "facades" / split / f"{number + 1}.jpg").write_bytes(facade_pair(number * 7))
        for folder, colour in (("1", (220, 80, 160)), ("2", (120, 90, 210))):
            (data / "flowers102" / split / folder).mkdir(parents=True)
            for number in range(4):
                image = Image.new("RGB", (64, 64), colour)
                image.paste((250, 250, 120), (8 * number, 4 * number, 8 * number + 20, 4 * number + 30))
                image.save(data / "flowers102" / split / folder / f"image_{number}.jpg")
    (data / "flowers102" / "cat_to_name.json").write_text(json.dumps(FLOWERS), encoding="utf-8")
    extractor = root / "pooled.pt"
    with warnings.catch_warnings():  # torch >= 2.9 calls TorchScript deprecated; ganzoo's extractor still reads it
        warnings.simplefilter("ignore", FutureWarning)
        torch.jit.script(PooledBrightness()).save(str(extractor))
    return data, extractor


@pytest.fixture(scope="module")
def quality():
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(BENCHMARKS))
        yield importlib.import_module("quality")


@pytest.mark.slow  # fourteen models of two steps: about a minute in all
@pytest.mark.parametrize("family", ["gan", "dcgan", "dcgan-64", "lsgan-sn", "lsgan-sn-text", "pix2pix", "stackgan", "ugatit"])
def test_every_family_runs_side_by_side_at_smoke_scale(family, stand_ins, quality, tmp_path, capsys) -> None:
    data, extractor = stand_ins
    argv = [family, "--scale", "smoke", "--seeds", "1", "--data", str(data), "--inception", str(extractor), "--out", str(tmp_path)]
    result = quality.main(argv)
    metrics = list(quality.FAMILIES[family].metrics)
    for side in ("ganzoo", "reference"):
        overall = [name for name in result["summary"][side] if "/" not in name]
        per_class = {name.split("/")[0] for name in result["summary"][side] if "/" in name}
        assert overall == metrics
        assert per_class == (set(metrics) if quality.FAMILIES[family].kind == "text" else set())  # text: FID/KID per class too
        assert all(math.isfinite(score["mean"]) for score in result["summary"][side].values())
    assert set(result["floor"]) == {"fid", "kid"} & set(metrics)
    assert result["extractor"]["name"] == "inception-torchscript"
    assert json.loads((tmp_path / "result.json").read_text())["summary"] == result["summary"]
    with Image.open(tmp_path / "side-by-side.png") as grid:
        assert grid.width > 0 and grid.height > 0

    capsys.readouterr()
    again = quality.main(argv)  # the finished runs are kept and read back, not trained again
    assert "ganzoo seed 0: reusing" in capsys.readouterr().out
    assert again["summary"] == result["summary"]


def test_a_variant_of_ganzoos_side_is_kept_apart_and_reuses_the_reference(stand_ins, quality, tmp_path, capsys) -> None:
    data, extractor = stand_ins
    argv = ["gan", "--scale", "smoke", "--seeds", "1", "--data", str(data), "--inception", str(extractor), "--out", str(tmp_path)]
    quality.main(argv)
    capsys.readouterr()
    variant = quality.main([*argv, "--set", "optim.G.lr=1e-4"])
    printed = capsys.readouterr().out
    assert "reference seed 0: reusing" in printed and "ganzoo seed 0: reusing" not in printed
    assert variant["ganzoo_changes"] == {"optim.G.lr": 1e-4}
    saved = next(tmp_path.glob("result-*.json"))
    assert json.loads(saved.read_text())["ganzoo_changes"] == {"optim.G.lr": 1e-4}
    assert json.loads((tmp_path / "result.json").read_text())["ganzoo_changes"] == {}  # the preset's result is left alone
    trained = json.loads((tmp_path / "runs" / f"ganzoo{saved.stem[len('result'):]}-seed0" / "config.json").read_text())
    assert trained["config"]["optim"]["G"]["lr"] == 1e-4
    with pytest.raises(SystemExit):
        quality.main([*argv, "--set", "no-equals-sign"])
    assert "--set: 'no-equals-sign' is not KEY=VALUE" in capsys.readouterr().err


def test_a_run_of_the_preset_before_it_changed_is_trained_again(stand_ins, quality, tmp_path, capsys, monkeypatch) -> None:
    data, extractor = stand_ins
    argv = ["gan", "--scale", "smoke", "--seeds", "1", "--data", str(data), "--inception", str(extractor), "--out", str(tmp_path)]
    quality.main(argv)
    capsys.readouterr()
    shipped = quality.ganzoo_config
    monkeypatch.setattr(quality, "ganzoo_config", lambda context, seed: dataclasses.replace(shipped(context, seed), description="reworded"))
    quality.main(argv)
    assert "ganzoo seed 0: reusing" in capsys.readouterr().out  # a description is a label, not a setting
    monkeypatch.setattr(quality, "ganzoo_config", lambda context, seed: dataclasses.replace(shipped(context, seed), n_critic=2))
    quality.main(argv)
    printed = capsys.readouterr().out
    assert "reference seed 0: reusing" in printed and "ganzoo seed 0: reusing" not in printed


def test_reference_batches_crop_pairs_alike_and_domains_apart(quality) -> None:
    from ganzoo.data.base import InMemoryDataset

    ramp = torch.arange(10, dtype=torch.uint8).repeat(3, 10, 1)[None].expand(8, -1, -1, -1).contiguous()
    paired = InMemoryDataset({"image": ramp, "source": ramp.clone()}, resolution=6, layout="paired")
    batch = next(quality.reference_batches(paired, 1, seed=0, flip=True))
    assert batch["image"].shape[-1] == 6 and torch.equal(batch["image"], batch["source"])
    unpaired = InMemoryDataset({"a": ramp, "b": ramp.clone()}, resolution=6, layout="unpaired")
    batches = quality.reference_batches(unpaired, 1, seed=0, flip=True)
    assert any(not torch.equal(b["a"], b["b"]) for b in (next(batches) for _ in range(8)))
