"""StackGAN through the real training loop, at tiny sizes: Stage-I trains, Stage-II starts from
that run with its Stage-I and text encoder frozen, sampling gives both stages, and the
discriminator can be swapped for a PatchGAN."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ganzoo.loading import load
from ganzoo.presets import load_book
from ganzoo.runs.checkpoint import load_checkpoint
from ganzoo.train.loop import Trainer

REPO = Path(__file__).resolve().parents[3]
#: the presets at toy sizes: 16 px Stage-I, 64 px Stage-II, a few steps on 32 shapes.
TINY: dict[str, Any] = {
    "device": "cpu", "batch_size": 4, "steps": 2, "log_every": 1, "sample_every": 2, "checkpoint_every": 2,
    "sample_count": 4, "dataset.count": 32, "conditioner.dim": 8, "conditioner.width": 4,
}
TINY_STAGE1 = {"resolution": 16, "nets.generator.base_channels": 2, "nets.discriminator.base_channels": 2, "nets.discriminator.text_dim": 4}
TINY_STAGE2 = {"resolution": 64, "nets.generator.stage1.base_channels": 2, "nets.generator.base_channels": 2,
               "nets.generator.residual_blocks": 1, "nets.discriminator.base_channels": 1, "nets.discriminator.text_dim": 4}


def trainer(preset: str, run_dir: Path, **overrides: Any) -> Trainer:
    config = load_book(cwd=REPO).resolve(preset, {**TINY, **overrides})
    return Trainer(config, run_dir)


def train_stage1(run_dir: Path) -> Trainer:
    stage1 = trainer("stackgan", run_dir, **TINY_STAGE1)
    stage1.run()
    return stage1


def test_stage2_starts_from_the_stage1_run_and_keeps_it_frozen(tmp_path: Path) -> None:
    train_stage1(tmp_path / "s1")
    saved = load_checkpoint(tmp_path / "s1")["nets"]
    init = {"generator.stage1": f"{tmp_path / 's1'}:generator", "conditioner": f"{tmp_path / 's1'}:conditioner"}
    stage2 = trainer("stackgan-stage2", tmp_path / "s2", init_from=init, ema=0.9, **TINY_STAGE2)

    def unchanged(generator: torch.nn.Module) -> bool:
        stage1_now, text_now = generator.stage1.state_dict(), stage2.nets["conditioner"].state_dict()
        return all(torch.equal(stage1_now[k], v) for k, v in saved["generator"].items()) and all(
            torch.equal(text_now[k], v) for k, v in saved["conditioner"].items())

    assert unchanged(stage2.nets["generator"])  # initialised from the run
    refine_before = stage2.nets["generator"].refine[0].body[0].weight.clone()
    stage2.run()
    # still the same after Stage-II training steps, in the EMA copy too (whose BatchNorm
    # statistics the loop re-estimates for sampling: Stage-I's must be left alone)
    assert unchanged(stage2.nets["generator"]) and unchanged(stage2.ema.nets["generator"])
    assert not torch.equal(stage2.nets["generator"].refine[0].body[0].weight, refine_before)

    images = load(tmp_path / "s2").sample(3, prompts=["a red circle on a blue background"], seed=1)
    assert {k: tuple(v.shape) for k, v in images.items()} == {"stage1": (3, 3, 16, 16), "stage2": (3, 3, 64, 64)}
    assert (tmp_path / "s2" / "samples" / "latest.png").is_file()


def test_stage1_trains_with_a_patchgan_discriminator(tmp_path: Path) -> None:
    run = trainer("stackgan", tmp_path / "patch", **TINY_STAGE1,
                  **{"nets.discriminator": {"name": "patchgan-sn", "n_layers": 2, "base_channels": 4}})
    run.run()
    assert run.step == 2 and "generator" in load_checkpoint(tmp_path / "patch")["nets"]
