"""The ResNet-block generator of Johnson et al. (2016), pix2pix's alternative to the U-Net.

Two stride-2 downsamplings, a stack of residual blocks at 1/4 resolution and two transposed
convolutions back up, with reflection padding at the borders. It has no skip connections across
scales, so it suits translations that change appearance more than layout. Any resolution divisible
by 4 works.
"""

from __future__ import annotations

from torch import Tensor, nn

from ganzoo.interfaces import Condition, Generator, Ports
from ganzoo.layers import dcgan_init
from ganzoo.registry import component, with_defaults
from ganzoo_pix2pix.layers import NoiseDropout, Norm, check_norm, norm_layer

DOWNSAMPLINGS = 2


class ResidualBlock(nn.Module):
    """x + (pad, conv3, norm, ReLU, [dropout], pad, conv3, norm)(x)."""

    def __init__(self, width: int, norm: Norm, dropout: float) -> None:
        super().__init__()
        bias = norm != "batch"
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(1),
            nn.Conv2d(width, width, 3, bias=bias),
            norm_layer(norm, width, per_image_at_test=True),
            nn.ReLU(),
        ]
        if dropout > 0:
            layers.append(NoiseDropout(dropout))
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(width, width, 3, bias=bias), norm_layer(norm, width, per_image_at_test=True)]
        self.body = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class ResNetGenerator(Generator):
    """Encoder, ``blocks`` residual blocks, decoder; translates the ``condition`` image."""

    def __init__(
        self,
        resolution: int,
        channels: int = 3,
        condition: Condition | None = None,
        blocks: int = 9,
        base_channels: int = 64,
        norm: Norm = "batch",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        check_norm(norm)
        if resolution % 2**DOWNSAMPLINGS:
            raise ValueError(f"a ResNet generator needs a resolution divisible by {2**DOWNSAMPLINGS}, got {resolution}")
        if blocks < 1:
            raise ValueError(f"a ResNet generator needs at least one residual block, got blocks={blocks}")
        condition = Condition.parse(condition)
        if condition.kind != "image" or condition.dim <= 0:
            raise ValueError(f"a ResNet generator translates an image: it needs an image condition, got {condition}")
        self.resolution, self.channels = resolution, channels
        bias = norm != "batch"

        def stage(conv: nn.Module, width: int) -> list[nn.Module]:
            return [conv, norm_layer(norm, width, per_image_at_test=True), nn.ReLU()]

        layers = [nn.ReflectionPad2d(3), *stage(nn.Conv2d(condition.dim, base_channels, 7, bias=bias), base_channels)]
        width = base_channels
        for _ in range(DOWNSAMPLINGS):
            layers += stage(nn.Conv2d(width, width * 2, 3, 2, 1, bias=bias), width * 2)
            width *= 2
        layers += [ResidualBlock(width, norm, dropout) for _ in range(blocks)]
        for _ in range(DOWNSAMPLINGS):
            layers += stage(nn.ConvTranspose2d(width, width // 2, 3, 2, 1, output_padding=1, bias=bias), width // 2)
            width //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(width, channels, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        dcgan_init(self)

    def forward(self, z: Tensor | None, condition: Tensor | None = None) -> Tensor:
        if condition is None:
            raise ValueError("a ResNet generator needs its input image as the condition")
        return self.net(condition)


_PORTS = Ports(conditions=("image",), input="image")


resnet = component(
    "generator", "resnet", description="ResNet-block generator with a chosen number of residual blocks", ports=_PORTS
)(ResNetGenerator)
resnet_9blocks = component(
    "generator", "resnet-9blocks", description="ResNet generator with 9 residual blocks (the usual choice at 256x256)", ports=_PORTS
)(with_defaults(ResNetGenerator, blocks=9))
resnet_6blocks = component(
    "generator", "resnet-6blocks", description="ResNet generator with 6 residual blocks (the usual choice at 128x128)", ports=_PORTS
)(with_defaults(ResNetGenerator, blocks=6))
