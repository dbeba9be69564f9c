"""Multi-network (UGATIT) and multi-stage (StackGAN Stage-II) models export whole and load back
giving the run's outputs. Skipped where the family plugin is not installed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

from ganzoo import plugins
from ganzoo.export import export_run, read_export
from ganzoo.loading import load
from ganzoo.presets import load_book
from ganzoo.train.loop import Trainer


def needs(package: str):
    return pytest.mark.skipif(importlib.util.find_spec(package) is None, reason=f"{package} is not installed")


@pytest.fixture
def installed_plugins(in_tmp):
    plugins.reset(None)  # every installed plugin, loaded through its entry point
    yield plugins.host()
    plugins.reset(None)


def one_step_run(preset: str, run_dir: Path, **overrides) -> Path:
    config = load_book().resolve(preset, {"steps": 1, "batch_size": 2, "dataset.count": 8, "sample_count": 2, **overrides})
    Trainer(config, run_dir).run()
    return run_dir


@needs("ganzoo_ugatit")
def test_ugatit_exports_both_generators(installed_plugins, in_tmp):
    run = one_step_run("ugatit", in_tmp / "ugatit", resolution=32)
    path = export_run(run, in_tmp / "ugatit.safetensors")
    assert {name.partition(".")[0] for name in read_export(path).tensors} == {"gen_ab", "gen_ba"}
    images = torch.rand(2, 3, 32, 32) * 2 - 1
    from_run, from_export = load(run), load(path)
    assert set(from_export.nets) == {"gen_ab", "gen_ba"}
    for direction in ("AtoB", "BtoA"):
        expected = from_run.translate(images, direction=direction).output
        assert torch.equal(from_export.translate(images, direction=direction).output, expected)


@needs("ganzoo_stackgan")
def test_stackgan_stage2_exports_with_its_frozen_stage1(installed_plugins, in_tmp):
    stage1 = {"name": "stackgan-stage1", "latent_dim": 8, "condition_dim": 8, "base_channels": 4}
    run = one_step_run(
        "stackgan-stage2", in_tmp / "stage2", resolution=32, init_from={},
        conditioner={"name": "learned", "dim": 16, "width": 8},
        **{"nets.generator.stage1": stage1, "nets.generator.condition_dim": 8, "nets.generator.base_channels": 4,
           "nets.discriminator.base_channels": 4, "nets.discriminator.text_dim": 8},
    )
    path = export_run(run, in_tmp / "stage2.safetensors")
    names = read_export(path).tensors
    assert any(name.startswith("generator.stage1.") for name in names)
    prompts = ["a red circle on a blue background"]
    expected = load(run).sample(2, prompts=prompts, seed=1)
    loaded = load(path).sample(2, prompts=prompts, seed=1)
    assert set(loaded) == set(expected) and len(loaded) == 2  # both stages rendered
    for stage, images in expected.items():
        assert torch.equal(loaded[stage], images), stage
