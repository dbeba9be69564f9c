"""PatchGAN discriminators (Isola et al. 2017, sec. 3.2.2 and appendix 6.1.2).

A fully convolutional net that classifies every overlapping patch as real or fake and returns the
map of patch logits ``[B, 1, h, w]``. With ``n_layers=3`` each logit sees a 70x70 patch; the
PixelGAN (``n_layers=0``) judges single pixels with 1x1 convolutions. A source image joins the
input before the first layer (pix2pix); a text embedding is projected to a few channels and joins
the features after the first layer, where it is cheap (:class:`ConditionedInput`).
"""

from __future__ import annotations

from torch import Tensor, nn
from torch.nn.utils import parametrizations

from ganzoo.interfaces import Condition, Discriminator, Ports
from ganzoo.layers import dcgan_init
from ganzoo.registry import component, with_defaults
from ganzoo_pix2pix.layers import ConditionedInput, Norm, check_norm, norm_layer

MAX_WIDTH_FACTOR = 8


class PatchDiscriminator(Discriminator):
    """C64-C128-C256-C512 (for ``n_layers=3``) then a 1-channel convolution: a map of patch logits.

    Each of the ``n_layers`` stride-2 4x4 convolutions doubles the width (at most 8x); two stride-1
    4x4 convolutions follow. ``n_layers=0`` gives the 1x1 PixelGAN. ``spectral_norm`` wraps every
    convolution and the embedding projection (SN-GAN style, usually with ``norm="none"``).
    ``embedding_channels``: the width an embedding condition is projected to.
    """

    def __init__(
        self,
        resolution: int,
        channels: int = 3,
        condition: Condition | None = None,
        n_layers: int = 3,
        base_channels: int = 64,
        norm: Norm = "batch",
        spectral_norm: bool = False,
        embedding_channels: int = 32,
    ) -> None:
        super().__init__()
        check_norm(norm)
        if n_layers < 0:
            raise ValueError(f"n_layers must be >= 0, got {n_layers}")
        # two stride-1 4x4 convolutions after n_layers halvings must leave at least one logit
        smallest = 3 * 2**n_layers if n_layers else 1
        if resolution < smallest:
            raise ValueError(f"a PatchGAN with n_layers={n_layers} needs a resolution >= {smallest}, got {resolution}")
        self.resolution, self.channels = resolution, channels
        self.input = ConditionedInput(channels, Condition.parse(condition), embedding_channels)
        joined = self.input.joined_channels
        self.net = _pixel_layers(self.input.out_channels, base_channels, norm, joined) if n_layers == 0 else _patch_layers(
            self.input.out_channels, base_channels, n_layers, norm, joined
        )
        dcgan_init(self)
        if spectral_norm:
            for name, layer in list(self.net.named_children()):
                if isinstance(layer, nn.Conv2d):
                    setattr(self.net, name, parametrizations.spectral_norm(layer))
            if self.input.project is not None:
                self.input.project[0] = parametrizations.spectral_norm(self.input.project[0])

    def forward(self, image: Tensor, condition: Tensor | None = None) -> Tensor:
        features = self.net[:FIRST_LAYER](self.input(image, condition))
        return self.net[FIRST_LAYER:](self.input.join(features, condition))


#: modules of the first layer (convolution, activation): an embedding condition joins after them.
FIRST_LAYER = 2


def _patch_layers(in_channels: int, width: int, n_layers: int, norm: str, joined: int = 0) -> nn.Sequential:
    bias = norm != "batch"
    layers: list[nn.Module] = [nn.Conv2d(in_channels, width, 4, 2, 1), nn.LeakyReLU(0.2)]
    previous = width + joined
    for layer in range(1, n_layers + 1):
        stride = 2 if layer < n_layers else 1
        current = width * min(2**layer, MAX_WIDTH_FACTOR)
        layers += [nn.Conv2d(previous, current, 4, stride, 1, bias=bias), norm_layer(norm, current), nn.LeakyReLU(0.2)]
        previous = current
    layers.append(nn.Conv2d(previous, 1, 4, 1, 1))
    return nn.Sequential(*layers)


def _pixel_layers(in_channels: int, width: int, norm: str, joined: int = 0) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, width, 1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(width + joined, width * 2, 1, bias=norm != "batch"),
        norm_layer(norm, width * 2),
        nn.LeakyReLU(0.2),
        nn.Conv2d(width * 2, 1, 1),
    )


_PORTS = Ports(conditions=("none", "image", "embedding"))


patchgan = component(
    "discriminator", "patchgan", description="PatchGAN: a logit per overlapping patch (70x70 at n_layers=3)", ports=_PORTS
)(PatchDiscriminator)
patchgan_sn = component(
    "discriminator", "patchgan-sn",
    description="PatchGAN with spectral normalisation on every convolution (no other norm by default)", ports=_PORTS,
)(with_defaults(PatchDiscriminator, norm="none", spectral_norm=True))
pixelgan = component(
    "discriminator", "pixelgan", description="PixelGAN: 1x1 convolutions, a logit per pixel (judges colour, not structure)",
    ports=_PORTS,
)(with_defaults(PatchDiscriminator, n_layers=0))
