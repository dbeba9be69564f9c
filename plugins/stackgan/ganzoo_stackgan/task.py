"""The text-conditional task for stacked generators: trains like ``text-conditional`` (matching-aware
discriminator on the last stage) and renders every stage, so samples show the 64 px Stage-I
image beside the 256 px Stage-II refinement of it."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ganzoo.tasks import TextConditionalTask
from ganzoo_stackgan.stage2 import StageTwoGenerator


class StackedTextConditionalTask(TextConditionalTask):
    """Matching-aware text-to-image GAN whose sample grids are a Stage-II generator's ``stages()``."""

    @torch.no_grad()
    def render(self, nets: dict[str, nn.Module], fixed: dict[str, Any]) -> dict[str, Tensor]:
        generator = nets["generator"]
        if not isinstance(generator, StageTwoGenerator):
            return super().render(nets, fixed)
        return generator.stages(fixed["z"], self.condition(nets, fixed.get("raw")))

    def finished(self, rendered: dict[str, Tensor]) -> Tensor:
        """The last stage (``stage2``), or ``samples`` of a Stage-I generator."""
        return rendered["stage2"] if "stage2" in rendered else super().finished(rendered)
