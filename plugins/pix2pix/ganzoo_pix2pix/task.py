"""pix2pix's task: paired image-to-image translation with a conditional GAN loss and L1 to the target.

Registered by this plugin through ``ganzoo_components``, like any third party's task; it reads the
core's paired datasets (``batch["source"]`` in, ``batch["image"]`` the target).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganzoo.interfaces import Loss, Translation, TranslationTask
from ganzoo.registry import component
from ganzoo.tasks import with_penalty


class PairedTask(TranslationTask):
    """Paired image-to-image translation (pix2pix): conditional GAN loss + ``l1_weight`` x L1.

    The discriminator sees the output (or target) with the source image as its condition.
    """

    condition_kind = "image"
    layout = "paired"

    def __init__(self, loss: Loss, l1_weight: float = 100.0) -> None:
        super().__init__(loss)
        if l1_weight < 0:
            raise ValueError(f"l1_weight must be >= 0, got {l1_weight}")
        self.l1_weight = l1_weight

    def phase_loss(self, phase: str, nets: dict[str, nn.Module], batch: dict[str, Any]) -> tuple[Tensor, dict[str, Tensor]]:
        G, D = nets["generator"], nets["discriminator"]
        source, target = batch["source"], batch["image"]
        if phase == "D":
            with torch.no_grad():
                fake = G(None, source)
            real_logits, fake_logits = D(target, source), D(fake, source)
            loss = 0.5 * (self.loss.real(real_logits) + self.loss.fake(fake_logits))
            stats = {"D/real": real_logits.detach().mean(), "D/fake": fake_logits.detach().mean()}
            loss = with_penalty(self.loss, loss, stats, D, target, fake, source)
            return loss, {"D/loss": loss.detach(), **stats}
        fake = G(None, source)
        adversarial = self.loss.generator(D(fake, source))
        l1 = F.l1_loss(fake, target)
        loss = adversarial + self.l1_weight * l1
        return loss, {"G/loss": loss.detach(), "G/adv": adversarial.detach(), "G/l1": l1.detach()}

    def fixed_inputs(self, batch: dict[str, Any], latent_dim: int, generator: torch.Generator) -> dict[str, Any]:
        return {"source": batch["source"], "target": batch["image"]}

    @torch.no_grad()
    def render(self, nets: dict[str, nn.Module], fixed: dict[str, Any]) -> dict[str, Tensor]:
        return {"input": fixed["source"], "output": self.translate(nets, fixed["source"]).output, "target": fixed["target"]}

    @torch.no_grad()
    def translate(self, nets: dict[str, nn.Module], source: Tensor, direction: str | None = None) -> Translation:
        """One way only: the direction the dataset was read in when it trained."""
        return Translation(nets["generator"](None, source))



paired = component("task", "paired")(PairedTask)
