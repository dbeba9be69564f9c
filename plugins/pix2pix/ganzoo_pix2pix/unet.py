"""The pix2pix U-Net generator (Isola et al. 2017, appendix 6.1.1).

An encoder of stride-2 4x4 convolutions down to a 1x1 bottleneck, a mirrored decoder, and a skip
connection from every encoder level to the decoder level of the same size, so low-level structure
(edges, layout) passes straight through. The first three decoder layers carry dropout 0.5 that
stays on at test time: the generator's only noise (``dropout_layers`` changes how many; the paper's
three at every depth, where pytorch-CycleGAN-and-pix2pix's ``unet_128`` has two, on the second and
third: see docs/zoo.md, "Side by side", for what the third one does to pixel errors and FID).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ganzoo.interfaces import Condition, Generator, Ports
from ganzoo.layers import dcgan_init
from ganzoo.registry import component, with_defaults
from ganzoo_pix2pix.layers import NoiseDropout, Norm, check_norm, norm_layer

#: decoder layers (counted from the bottleneck) that get dropout, as in the paper.
DROPOUT_LAYERS = 3
#: the resolutions the generic U-Net supports: powers of two, each halving down to 1x1.
POWER_OF_TWO_RESOLUTIONS = tuple(2**k for k in range(3, 11))


class UNetGenerator(Generator):
    """U-Net translating a ``condition`` image to an image; its depth reaches a 1x1 bottleneck.

    ``dropout_layers``: how many decoder layers, counted from the bottleneck, carry ``dropout`` (a
    shallow U-Net with fewer inner decoder layers gives it to all of them)."""

    def __init__(
        self,
        resolution: int,
        channels: int = 3,
        condition: Condition | None = None,
        base_channels: int = 64,
        norm: Norm = "batch",
        dropout: float = 0.5,
        dropout_layers: int = DROPOUT_LAYERS,
    ) -> None:
        super().__init__()
        check_norm(norm)
        if resolution not in POWER_OF_TWO_RESOLUTIONS:
            raise ValueError(f"a U-Net needs a power-of-two resolution from 8 to 1024, got {resolution}")
        condition = Condition.parse(condition)
        if condition.kind != "image" or condition.dim <= 0:
            raise ValueError(f"a U-Net translates an image: it needs an image condition, got {condition}")
        self.resolution, self.channels = resolution, channels
        depth = int(math.log2(resolution))
        if dropout_layers < 0:
            raise ValueError(f"dropout_layers must be >= 0, got {dropout_layers}")
        widths = [base_channels * min(2**level, 8) for level in range(depth)]

        self.downs = nn.ModuleList()
        for level, width in enumerate(widths):
            if level == 0:
                self.downs.append(nn.Conv2d(condition.dim, width, 4, 2, 1))
                continue
            innermost = level == depth - 1  # a 1x1 map: normalising it would erase it
            self.downs.append(
                nn.Sequential(
                    nn.LeakyReLU(0.2),
                    nn.Conv2d(widths[level - 1], width, 4, 2, 1, bias=innermost or norm != "batch"),
                    nn.Identity() if innermost else norm_layer(norm, width, per_image_at_test=True),
                )
            )

        self.ups = nn.ModuleList()
        for step, level in enumerate(reversed(range(depth))):
            in_width = widths[level] * (1 if level == depth - 1 else 2)
            if level == 0:
                self.ups.append(nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(in_width, channels, 4, 2, 1), nn.Tanh()))
                continue
            out_width = widths[level - 1]
            layers: list[nn.Module] = [
                nn.ReLU(),
                nn.ConvTranspose2d(in_width, out_width, 4, 2, 1, bias=norm != "batch"),
                norm_layer(norm, out_width, per_image_at_test=True),
            ]
            if step < dropout_layers and dropout > 0:
                layers.append(NoiseDropout(dropout))
            self.ups.append(nn.Sequential(*layers))
        dcgan_init(self)

    def forward(self, z: Tensor | None, condition: Tensor | None = None) -> Tensor:
        if condition is None:
            raise ValueError("a U-Net generator needs its input image as the condition")
        skips = []
        h = condition
        for down in self.downs:
            h = down(h)
            skips.append(h)
        skips.pop()  # the bottleneck feeds the decoder directly
        for up in self.ups[:-1]:
            h = torch.cat([up(h), skips.pop()], dim=1)
        return self.ups[-1](h)


def _ports(resolutions: tuple[int, ...]) -> Ports:
    return Ports(resolutions=resolutions, conditions=("image",), input="image")


unet = component(
    "generator", "unet", description="U-Net generator whose depth follows the resolution (log2 of it, down to 1x1)",
    ports=_ports(POWER_OF_TWO_RESOLUTIONS),
)(UNetGenerator)
unet_256 = component("generator", "unet-256", description="The paper's U-Net for 256x256 images (8 levels)", ports=_ports((256,)))(
    with_defaults(UNetGenerator, resolution=256)
)
unet_128 = component("generator", "unet-128", description="U-Net for 128x128 images (7 levels)", ports=_ports((128,)))(
    with_defaults(UNetGenerator, resolution=128)
)
