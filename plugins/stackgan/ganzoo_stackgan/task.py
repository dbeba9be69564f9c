"""The text-conditional task for stacked generators: trains like ``text-conditional`` (matching-aware
discriminator on the last stage) and renders every stage, so samples show the 64 px Stage-I
image beside the 256 px Stage-II refinement of it."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ganzoo.tasks import TextConditionalTask


class StackedTextConditionalTask(TextConditionalTask):
    """Matching-aware text-to-image GAN whose sample grids are the generator's ``stages()``."""

    @torch.no_grad()
    def render(self, nets: dict[str, nn.Module], fixed: dict[str, Any]) -> dict[str, Tensor]:
        generator = nets["generator"]
        if not hasattr(generator, "stages"):
            return super().render(nets, fixed)
        return generator.stages(fixed["z"], self.condition(nets, fixed.get("raw")))
