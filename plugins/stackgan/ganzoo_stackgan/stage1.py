"""StackGAN Stage-I (Zhang et al. 2017, section 3.2): text + noise -> a coarse 64x64 image, and the
text-matching discriminator both stages use."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ganzoo.interfaces import NO_CONDITION, Condition, Discriminator, Generator
from ganzoo.layers import dcgan_init
from ganzoo_stackgan.augmentation import ConditioningAugmentation
from ganzoo_stackgan.layers import down_block, levels, replicate, require_embedding, up_block


class StageOneGenerator(Generator):
    """``[c, z] -> fc -> 4x4 x (8 base) -> x2 upsampling blocks -> image``.

    ``c`` is a conditioning-augmentation sample of the caption embedding (``condition_dim`` wide,
    the paper's N_g = 128); ``base_channels`` = 128 gives the authors' 1024 channels at 4x4.
    """

    def __init__(
        self,
        resolution: int = 64,
        channels: int = 3,
        condition: Condition = NO_CONDITION,
        latent_dim: int = 100,
        condition_dim: int = 128,
        base_channels: int = 128,
        kl_weight: float = 2.0,
    ) -> None:
        super().__init__()
        steps = levels(resolution, 4, "stackgan-stage1 generator")
        self.resolution, self.channels, self.latent_dim = resolution, channels, latent_dim
        self.augment = ConditioningAugmentation(require_embedding(condition, "stackgan-stage1 generator"), condition_dim, kl_weight)
        width = base_channels * 8
        self.project = nn.Sequential(
            nn.Linear(latent_dim + condition_dim, width * 16, bias=False),
            nn.BatchNorm1d(width * 16),
            nn.ReLU(inplace=True),
            nn.Unflatten(1, (width, 4, 4)),
        )
        widths = [max(width >> i, 1) for i in range(steps + 1)]  # halved at every upsampling
        self.upsample = nn.Sequential(*(up_block(a, b) for a, b in zip(widths, widths[1:])))
        self.to_image = nn.Sequential(nn.Conv2d(widths[-1], channels, 3, padding=1), nn.Tanh())
        dcgan_init(self)

    def forward(self, z: Tensor | None, condition: Tensor | None = None) -> Tensor:
        if z is None or condition is None:
            raise ValueError("stackgan-stage1 generator needs noise z and a caption embedding")
        c = self.augment(condition)
        return self.to_image(self.upsample(self.project(torch.cat([c, z], dim=1))))

    def extra_losses(self) -> dict[str, Tensor]:
        return {"kl": self.augment.weighted_kl()}


class TextMatchingDiscriminator(Discriminator):
    """Down-samples the image to 4x4, joins the compressed text code replicated spatially, and
    scores the pair with a 1x1 conv then a 4x4 conv (Stage-I and Stage-II alike).

    Blocks double the channels from ``base_channels`` (64 in the authors' code); higher resolutions
    (Stage-II) have more blocks and 3x3 convolutions that bring the width back to 8 x base, as in
    the paper. With no condition it scores the image alone.
    """

    def __init__(
        self,
        resolution: int = 64,
        channels: int = 3,
        condition: Condition = NO_CONDITION,
        base_channels: int = 64,
        text_dim: int = 128,  # the paper's N_d
    ) -> None:
        super().__init__()
        steps = levels(resolution, 4, "stackgan discriminator")
        self.resolution, self.channels = resolution, channels
        widths = [base_channels << i for i in range(steps)]
        blocks: list[nn.Module] = [down_block(channels, widths[0], normalise=False)]
        blocks += [down_block(a, b) for a, b in zip(widths, widths[1:])]
        width = widths[-1]
        while width > base_channels * 8:  # Stage-II: bring the deepest features back to 8 x base
            blocks += [nn.Conv2d(width, width // 2, 3, padding=1, bias=False), nn.BatchNorm2d(width // 2), nn.LeakyReLU(0.2, inplace=True)]
            width //= 2
        self.encode = nn.Sequential(*blocks)
        self.compress: nn.Module | None = None
        if condition.kind != "none":
            self.compress = nn.Sequential(nn.Linear(require_embedding(condition, "stackgan discriminator"), text_dim), nn.LeakyReLU(0.2, inplace=True))
            self.join = nn.Sequential(
                nn.Conv2d(width + text_dim, width, 1, bias=False), nn.BatchNorm2d(width), nn.LeakyReLU(0.2, inplace=True)
            )
        self.score = nn.Conv2d(width, 1, 4)
        dcgan_init(self)

    def forward(self, image: Tensor, condition: Tensor | None = None) -> Tensor:
        features = self.encode(image)
        if self.compress is not None:
            if condition is None:
                raise ValueError("this stackgan discriminator was built for captions but got no condition")
            features = self.join(torch.cat([features, replicate(self.compress(condition), features.shape[-1])], dim=1))
        return self.score(features).flatten()
