"""DCGAN (Radford et al. 2015), with class and text conditions.

Generator: the noise (joined with the encoded condition) is projected to a 4x4 map, then each block
doubles the resolution with a stride-2 transposed convolution + BatchNorm + ReLU; the last one
outputs the image through tanh (``upsampling="nearest"``: nearest-neighbour upsampling + 3x3
convolution in place of each transposed convolution). Discriminator: the mirror image, strided
convolutions with LeakyReLU(0.2), BatchNorm everywhere except on the first layer, down to a 4x4 map
scored by a 4x4 convolution. Resolution 32, 64 or 128 only changes the number of blocks. Weights start from
N(0, 0.02) as in the paper.

``spectral_norm=True`` (registered as ``dcgan-sn``) swaps the discriminator's BatchNorm for
spectral normalisation (Miyato et al. 2018): each weight is divided by its largest singular value
(one power iteration per forward pass), making every layer 1-Lipschitz.
"""

from __future__ import annotations

import math
from typing import Literal, get_args

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrizations

from ganzoo.interfaces import NO_CONDITION, Condition, Discriminator, Generator, Ports
from ganzoo.layers import dcgan_init
from ganzoo.registry import component, with_defaults
from ganzoo_dcgan.heads import NETWORK_CONDITIONS, ConditionEncoder, ProjectionHead, checked_condition

RESOLUTIONS = (32, 64, 128)
CHANNELS = (1, 3)
EmbeddingHead = Literal["concat", "projection"]
Upsampling = Literal["transposed", "nearest"]
UPSAMPLINGS: tuple[str, ...] = get_args(Upsampling)


def resolution_blocks(resolution: int, channels: int, network: str) -> int:
    """Stride-2 blocks between 4x4 and ``resolution`` (3, 4 or 5); refuses other geometries."""
    if resolution not in RESOLUTIONS:
        raise ValueError(f"{network} works at resolution {', '.join(map(str, RESOLUTIONS))}, not {resolution}")
    if channels not in CHANNELS:
        raise ValueError(f"{network} works with {' or '.join(map(str, CHANNELS))} channels, not {channels}")
    return int(math.log2(resolution)) - 2


def down_block(in_channels: int, out_channels: int, batch_norm: bool) -> list[nn.Module]:
    """Stride-2 4x4 convolution (+ BatchNorm) + LeakyReLU(0.2): halves the resolution."""
    layers: list[nn.Module] = [nn.Conv2d(in_channels, out_channels, 4, 2, 1, bias=not batch_norm)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_channels))
    return [*layers, nn.LeakyReLU(0.2, inplace=True)]


def upsampling_layer(in_channels: int, out_channels: int, upsampling: Upsampling, bias: bool) -> list[nn.Module]:
    """Doubles the resolution: the paper's stride-2 4x4 transposed convolution, or nearest-neighbour
    upsampling + 3x3 convolution, which cannot paint the checkerboard that transposed convolutions
    leave while they learn (Odena et al. 2016, "Deconvolution and Checkerboard Artifacts")."""
    if upsampling == "transposed":
        return [nn.ConvTranspose2d(in_channels, out_channels, 4, 2, 1, bias=bias)]
    return [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(in_channels, out_channels, 3, 1, 1, bias=bias)]


def up_block(in_channels: int, out_channels: int, upsampling: Upsampling) -> list[nn.Module]:
    """Upsampling (see :func:`upsampling_layer`) + BatchNorm + ReLU."""
    return [*upsampling_layer(in_channels, out_channels, upsampling, bias=False), nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True)]


class DCGANGenerator(Generator):
    """``[z, encoded condition] -> 4x4 -> ... -> tanh image`` (class labels: a learned embedding;
    text embeddings: compressed by Linear + LeakyReLU, as in Reed et al. 2016)."""

    def __init__(self, resolution: int, channels: int, condition: Condition, latent_dim: int, width: int, condition_features: int,
                 upsampling: Upsampling = "transposed") -> None:
        super().__init__()
        blocks = resolution_blocks(resolution, channels, "generator 'dcgan'")
        if upsampling not in UPSAMPLINGS:
            raise ValueError(f"generator 'dcgan': upsampling must be {' or '.join(map(repr, UPSAMPLINGS))}, not {upsampling!r}")
        self.resolution, self.channels, self.latent_dim, self.condition = resolution, channels, latent_dim, condition
        self.encode_condition = ConditionEncoder(condition, condition_features) if condition.kind != "none" else None
        inputs = latent_dim + (condition_features if self.encode_condition is not None else 0)
        features = width * 2 ** (blocks - 1)
        layers: list[nn.Module] = [nn.ConvTranspose2d(inputs, features, 4, 1, 0, bias=False), nn.BatchNorm2d(features), nn.ReLU(inplace=True)]
        for _ in range(blocks - 1):
            layers += up_block(features, features // 2, upsampling)
            features //= 2
        layers += [*upsampling_layer(features, channels, upsampling, bias=True), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        dcgan_init(self)

    def forward(self, z: Tensor | None, condition: Tensor | None = None) -> Tensor:
        if z is None:
            raise ValueError("generator 'dcgan' needs noise z")
        if self.encode_condition is not None:
            z = torch.cat([z, self.encode_condition(condition)], dim=1)
        return self.net(z[:, :, None, None])


class DCGANDiscriminator(Discriminator):
    """Strided convolutions down to 4x4, then a 4x4 convolution to one logit per image.

    Conditions: class labels (and embeddings with ``embedding_head="projection"``) add the
    projection term on the sum-pooled 4x4 features; with ``embedding_head="concat"`` (Reed et al.
    2016) the compressed embedding is replicated over the 4x4 map and joined by a 1x1 convolution.
    """

    def __init__(
        self,
        resolution: int,
        channels: int,
        condition: Condition,
        width: int,
        batch_norm: bool,
        embedding_head: EmbeddingHead,
        text_features: int,
        network: str = "discriminator 'dcgan'",
    ) -> None:
        super().__init__()
        if embedding_head not in ("concat", "projection"):
            raise ValueError(f"{network}: embedding_head must be 'concat' or 'projection', not {embedding_head!r}")
        blocks = resolution_blocks(resolution, channels, network)
        self.resolution, self.channels, self.condition = resolution, channels, condition
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True)]
        features = width
        for _ in range(blocks - 1):
            layers += down_block(features, features * 2, batch_norm)
            features *= 2
        self.features = nn.Sequential(*layers)
        joins_text = condition.kind == "embedding" and embedding_head == "concat"
        self.compress_text = ConditionEncoder(condition, text_features) if joins_text else None
        self.join_text = nn.Sequential(*_join_layers(features + text_features, features, batch_norm)) if joins_text else None
        self.projection = ProjectionHead(NO_CONDITION if joins_text else condition, features)
        self.logit = nn.Conv2d(features, 1, 4, 1, 0)
        dcgan_init(self)

    def forward(self, image: Tensor, condition: Tensor | None = None) -> Tensor:
        if image.shape[-2:] != (self.resolution, self.resolution):
            raise ValueError(f"discriminator built for {self.resolution}px images got {tuple(image.shape[-2:])}")
        h = self.features(image)
        projected = self.projection(h.sum(dim=(2, 3)), condition)
        if self.compress_text is not None and self.join_text is not None:
            text = self.compress_text(condition)[:, :, None, None].expand(-1, -1, *h.shape[2:])
            h = self.join_text(torch.cat([h, text], dim=1))
        return self.logit(h).flatten() + projected


def _join_layers(in_channels: int, out_channels: int, batch_norm: bool) -> list[nn.Module]:
    """1x1 convolution (+ BatchNorm) + LeakyReLU merging image features with the replicated text."""
    layers: list[nn.Module] = [nn.Conv2d(in_channels, out_channels, 1, bias=not batch_norm)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_channels))
    return [*layers, nn.LeakyReLU(0.2, inplace=True)]


PORTS = Ports(resolutions=RESOLUTIONS, channels=CHANNELS, conditions=NETWORK_CONDITIONS)


@component("generator", "dcgan", ports=PORTS)
def dcgan_generator(
    resolution: int = 64,
    channels: int = 3,
    condition: Condition | str | None = None,
    latent_dim: int = 100,
    width: int = 64,
    condition_features: int = 128,
    upsampling: Upsampling = "transposed",
) -> Generator:
    """DCGAN generator (Radford et al. 2015); a condition is encoded and joined to the noise.

    ``upsampling``: ``"transposed"`` (the paper's) or ``"nearest"`` (upsampling + 3x3 convolution)."""
    return DCGANGenerator(resolution, channels, checked_condition(condition, "generator 'dcgan'"), latent_dim, width, condition_features,
                          upsampling)


NORMALISED_LAYERS = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)


def spectrally_normalised(module: nn.Module) -> nn.Module:
    """Apply spectral normalisation to every convolution, linear and embedding layer, in place."""
    for layer in list(module.modules()):
        if isinstance(layer, NORMALISED_LAYERS):
            parametrizations.spectral_norm(layer)
    return module


def _discriminator(
    resolution: int = 64,
    channels: int = 3,
    condition: Condition | str | None = None,
    width: int = 64,
    embedding_head: EmbeddingHead = "concat",
    text_features: int = 128,
    spectral_norm: bool = False,
) -> Discriminator:
    """DCGAN discriminator (Radford et al. 2015); projection head for labels, Reed et al.'s 4x4 text join.

    ``spectral_norm``: spectral normalisation on every weight instead of BatchNorm (Miyato et al. 2018).
    """
    name = f"discriminator {'dcgan-sn' if spectral_norm else 'dcgan'!r}"
    network = DCGANDiscriminator(
        resolution, channels, checked_condition(condition, name), width, not spectral_norm, embedding_head, text_features, network=name
    )
    return spectrally_normalised(network) if spectral_norm else network


dcgan_discriminator = component("discriminator", "dcgan", ports=PORTS)(_discriminator)
dcgan_sn_discriminator = component(
    "discriminator",
    "dcgan-sn",
    description="DCGAN discriminator with spectral normalisation instead of BatchNorm (Miyato et al. 2018)",
    ports=PORTS,
)(with_defaults(_discriminator, spectral_norm=True))
