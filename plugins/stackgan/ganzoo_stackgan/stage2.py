"""StackGAN Stage-II (Zhang et al. 2017, section 3.3): refines a frozen Stage-I image into one at
4x its resolution (64 -> 256 px), conditioned on the caption again.

The Stage-I generator is a frozen submodule built from its own description (registry name +
keyword arguments), so a Stage-II run records everything needed to rebuild both stages; its
weights come from a trained Stage-I run through the config's ``init_from``, e.g.
``init_from = { "generator.stage1" = "runs/stackgan:generator" }``.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
from torch import Tensor, nn

from ganzoo.build import BuildContext
from ganzoo.config import ComponentConfig
from ganzoo.interfaces import NO_CONDITION, Condition, Generator
from ganzoo.layers import dcgan_init
from ganzoo_stackgan.augmentation import ConditioningAugmentation
from ganzoo_stackgan.layers import ResidualBlock, levels, replicate, require_embedding, up_block

STAGE1_DEFAULT = {"name": "stackgan-stage1"}


class StageTwoGenerator(Generator):
    """Stage-I image -> encoder (to resolution / 16) + text code -> residual blocks -> 4 upsamplings.

    ``stage1`` describes the Stage-I generator (``{"name": ..., **kwargs}``); it is built at a
    quarter of this resolution, through ``build`` (the builder's context, bound to the registry the
    run uses; the installed plugins when constructed directly), and never trained here. Noise only enters through Stage-I: as in
    the paper, Stage-II assumes the randomness is already in the coarse image.
    """

    def __init__(
        self,
        resolution: int = 256,
        channels: int = 3,
        condition: Condition = NO_CONDITION,
        stage1: dict[str, Any] | None = None,
        condition_dim: int = 128,
        base_channels: int = 128,
        residual_blocks: int = 4,
        kl_weight: float = 2.0,
        build: Callable[..., Any] | None = None,
    ) -> None:
        super().__init__()
        levels(resolution, 16, "stackgan-stage2 generator")  # Stage-I at resolution / 4, encoded to / 16
        embedding_dim = require_embedding(condition, "stackgan-stage2 generator")
        self.resolution, self.channels = resolution, channels
        self.augment = ConditioningAugmentation(embedding_dim, condition_dim, kl_weight)
        self.encode = nn.Sequential(
            nn.Conv2d(channels, base_channels, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(base_channels, base_channels * 2, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(base_channels * 2),
            nn.ReLU(inplace=True),
            nn.Conv2d(base_channels * 2, base_channels * 4, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(base_channels * 4),
            nn.ReLU(inplace=True),
        )
        width = base_channels * 4
        self.join = nn.Sequential(
            nn.Conv2d(width + condition_dim, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True)
        )
        self.refine = nn.Sequential(*(ResidualBlock(width) for _ in range(residual_blocks)))
        widths = [max(width >> i, 1) for i in range(5)]
        self.upsample = nn.Sequential(*(up_block(a, b) for a, b in zip(widths, widths[1:])))
        self.to_image = nn.Sequential(nn.Conv2d(widths[-1], channels, 3, padding=1), nn.Tanh())
        dcgan_init(self)
        # built after the initialisation above, which must not touch it
        self.stage1 = self._build_stage1(build, stage1 or STAGE1_DEFAULT, resolution // 4, channels, condition)
        self.latent_dim = self.stage1.latent_dim

    @staticmethod
    def _build_stage1(build: Callable[..., Any] | None, description: dict[str, Any], resolution: int, channels: int,
                      condition: Condition) -> Generator:
        if build is None:
            from ganzoo import plugins

            build = BuildContext(plugins.registry())
        config = ComponentConfig.parse(description, "stackgan-stage2 generator parameter 'stage1'")
        stage1 = build("generator", config, resolution=resolution, channels=channels, condition=condition)
        if getattr(stage1, "resolution", resolution) != resolution:
            raise ValueError(f"stage1 generator {config.name!r} makes {stage1.resolution} px images, Stage-II needs {resolution} px")
        return stage1.requires_grad_(False).eval()

    def train(self, mode: bool = True) -> "StageTwoGenerator":
        """Stage-I stays in eval mode (frozen batch-norm statistics) whatever this module's mode."""
        super().train(mode)
        self.stage1.eval()
        return self

    def stages(self, z: Tensor | None, condition: Tensor | None = None) -> dict[str, Tensor]:
        """Both stages' images: ``stage1`` (resolution / 4) and ``stage2`` (resolution)."""
        if z is None or condition is None:
            raise ValueError("stackgan-stage2 generator needs noise z and a caption embedding")
        with torch.no_grad():
            coarse = self.stage1(z, condition)
        features = self.encode(coarse)
        code = replicate(self.augment(condition), features.shape[-1])
        refined = self.refine(self.join(torch.cat([features, code], dim=1)))
        return {"stage1": coarse, "stage2": self.to_image(self.upsample(refined))}

    def forward(self, z: Tensor | None, condition: Tensor | None = None) -> Tensor:
        return self.stages(z, condition)["stage2"]

    def extra_losses(self) -> dict[str, Tensor]:
        return {"kl": self.augment.weighted_kl()}
