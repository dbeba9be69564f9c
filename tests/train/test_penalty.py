"""Loss.penalty, the public way to add more than logits: the plugin guide's WGAN-GP trains."""

from __future__ import annotations

import re
from pathlib import Path

import torch

from ganzoo.presets import load_book
from ganzoo.registry import Provider
from ganzoo.train.loop import Trainer

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "writing-a-plugin.md"


def guide_module(marker: str) -> dict:
    """Run the guide's python block containing ``marker`` as a throwaway plugin module."""
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S)
    source = next(block for block in blocks if marker in block)
    namespace: dict = {"__name__": "guide_wgan_gp"}
    exec(compile(source, str(GUIDE), "exec"), namespace)
    return namespace


def test_the_guides_wgan_gp_trains_with_a_gradient_reaching_the_critic(tiny_host, in_tmp):
    example = guide_module('"wgan-gp"')
    tiny_host.registry.add(example["wgan_gp"], Provider("guide", "guide-wgan-gp", "1.0"))
    trainer = Trainer(load_book().resolve("tiny", {"loss.name": "wgan-gp", "steps": 2, "log_every": 1}), in_tmp / "run")
    last = trainer.run()
    assert last["D/penalty"] > 0

    critic = trainer.nets["discriminator"]
    real = torch.rand(4, 3, 16, 16) * 2 - 1
    fake = torch.rand(4, 3, 16, 16) * 2 - 1
    critic.zero_grad()
    trainer.task.loss.penalty(critic, real, fake, None).backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in critic.parameters())


def test_a_loss_without_penalty_adds_nothing(tiny_host, in_tmp):
    last = Trainer(load_book().resolve("tiny", {"steps": 1, "log_every": 1}), in_tmp / "run").run()
    assert "D/penalty" not in last
