"""UGATIT networks (Kim et al. 2020, "U-GAT-IT: Unsupervised Generative Attentional Networks with
Adaptive Layer-Instance Normalization for Image-to-Image Translation").

Both the generator and the discriminators carry a CAM (class activation map) attention: a one-logit
classifier on the globally average- and max-pooled encoder features, whose weights re-weight the
feature maps so that the rest of the network concentrates on the regions that tell the domains
apart. The generator decodes with AdaLIN, a learned mix (``rho``) of instance and layer
normalisation whose affine parameters come from an MLP, so the amount of shape versus texture
change is learned per data set.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

from ganzoo.interfaces import NO_CONDITION, Condition, Discriminator, Generator, Ports
from ganzoo.registry import component


class CamOutput(NamedTuple):
    """A UGATIT network's main output with its CAM logits ``[B, 2]`` and heat-map ``[B, 1, h, w]``."""

    output: Tensor
    cam_logit: Tensor
    heatmap: Tensor


def mix_instance_layer(x: Tensor, rho: Tensor, eps: float) -> Tensor:
    """``rho * instance_norm(x) + (1 - rho) * layer_norm(x)``, without affine parameters."""
    var_in, mean_in = torch.var_mean(x, dim=(2, 3), keepdim=True, correction=0)
    var_ln, mean_ln = torch.var_mean(x, dim=(1, 2, 3), keepdim=True, correction=0)
    instance = (x - mean_in) * torch.rsqrt(var_in + eps)
    layer = (x - mean_ln) * torch.rsqrt(var_ln + eps)
    return rho * instance + (1.0 - rho) * layer


class AdaLIN(nn.Module):
    """Adaptive layer-instance normalisation: learned ``rho``, ``gamma``/``beta`` given per sample."""

    def __init__(self, channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        # The paper starts the bottleneck close to instance normalisation.
        self.rho = nn.Parameter(torch.full((1, channels, 1, 1), 0.9))

    def forward(self, x: Tensor, gamma: Tensor, beta: Tensor) -> Tensor:
        return mix_instance_layer(x, self.rho, self.eps) * gamma[:, :, None, None] + beta[:, :, None, None]


class LayerInstanceNorm(nn.Module):
    """LIN of the up-sampling path: learned ``rho`` and its own affine parameters."""

    def __init__(self, channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        # The paper starts the up-sampling path at layer normalisation.
        self.rho = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.gamma = nn.Parameter(torch.ones(1, channels, 1, 1))
        self.beta = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        return mix_instance_layer(x, self.rho, self.eps) * self.gamma + self.beta


class ClassActivationMap(nn.Module):
    """CAM attention: pooled-feature classifiers whose weights re-weight the feature maps.

    Returns the attended features (``channels`` wide), the two logits (average, max) and the
    heat-map (the channel sum of the attended features).
    """

    def __init__(self, channels: int, activation: nn.Module, spectral: bool = False) -> None:
        super().__init__()
        wrap = spectral_norm if spectral else (lambda module: module)
        self.avg_fc = wrap(nn.Linear(channels, 1, bias=False))
        self.max_fc = wrap(nn.Linear(channels, 1, bias=False))
        self.fuse = nn.Conv2d(2 * channels, channels, kernel_size=1)
        self.activation = activation

    def forward(self, x: Tensor) -> CamOutput:
        avg_logit = self.avg_fc(x.mean(dim=(2, 3)))
        max_logit = self.max_fc(x.amax(dim=(2, 3)))
        attended = torch.cat(
            [x * self.avg_fc.weight[:, :, None, None], x * self.max_fc.weight[:, :, None, None]], dim=1
        )
        features = self.activation(self.fuse(attended))
        return CamOutput(features, torch.cat([avg_logit, max_logit], dim=1), features.sum(dim=1, keepdim=True))


def conv_in_relu(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1) -> list[nn.Module]:
    """Reflection-padded convolution, instance norm, ReLU: the encoder's unit."""
    return [
        nn.ReflectionPad2d(kernel_size // 2),
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, bias=False),
        nn.InstanceNorm2d(out_channels),
        nn.ReLU(inplace=True),
    ]


class ResidualBlock(nn.Module):
    """Encoder bottleneck block: two 3x3 convolutions with instance norm and a skip connection."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            *conv_in_relu(channels, channels, 3),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3, bias=False),
            nn.InstanceNorm2d(channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class AdaLINResidualBlock(nn.Module):
    """Decoder bottleneck block: two 3x3 convolutions normalised by AdaLIN, with a skip connection."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3))
        self.norm1 = AdaLIN(channels)
        self.conv2 = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3))
        self.norm2 = AdaLIN(channels)

    def forward(self, x: Tensor, gamma: Tensor, beta: Tensor) -> Tensor:
        h = torch.relu(self.norm1(self.conv1(x), gamma, beta))
        return x + self.norm2(self.conv2(h), gamma, beta)


class UGATITGenerator(Generator):
    """Encoder (7x7 conv, two stride-2 convs, residual blocks) -> CAM -> AdaLIN decoder -> tanh.

    ``light`` computes AdaLIN's gamma/beta from the globally pooled features instead of the
    flattened feature map, which removes most of the parameters at 256 px.
    """

    def __init__(
        self,
        resolution: int = 256,
        channels: int = 3,
        condition: Condition = NO_CONDITION,
        base_channels: int = 64,
        n_blocks: int = 4,
        light: bool = False,
    ) -> None:
        super().__init__()
        if resolution % 4:
            raise ValueError(f"resolution must be a multiple of 4 (two stride-2 stages), got {resolution}")
        if n_blocks < 1:
            raise ValueError(f"n_blocks must be >= 1, got {n_blocks}")
        self.resolution, self.channels, self.light = resolution, channels, light
        in_channels = condition.dim or channels
        width = base_channels * 4
        self.encoder = nn.Sequential(
            *conv_in_relu(in_channels, base_channels, 7),
            *conv_in_relu(base_channels, base_channels * 2, 3, stride=2),
            *conv_in_relu(base_channels * 2, width, 3, stride=2),
            *(ResidualBlock(width) for _ in range(n_blocks)),
        )
        self.cam = ClassActivationMap(width, nn.ReLU(inplace=True))
        style_in = width if light else width * (resolution // 4) ** 2
        self.style = nn.Sequential(
            nn.Linear(style_in, width, bias=False),
            nn.ReLU(inplace=True),
            nn.Linear(width, width, bias=False),
            nn.ReLU(inplace=True),
        )
        self.to_gamma = nn.Linear(width, width, bias=False)
        self.to_beta = nn.Linear(width, width, bias=False)
        self.bottleneck = nn.ModuleList(AdaLINResidualBlock(width) for _ in range(n_blocks))
        up: list[nn.Module] = []
        for scale in (1, 2):
            up += [
                nn.Upsample(scale_factor=2, mode="nearest"),
                nn.ReflectionPad2d(1),
                nn.Conv2d(width // scale, width // (2 * scale), 3, bias=False),
                LayerInstanceNorm(width // (2 * scale)),
                nn.ReLU(inplace=True),
            ]
        up += [nn.ReflectionPad2d(3), nn.Conv2d(base_channels, channels, 7, bias=False), nn.Tanh()]
        self.decoder = nn.Sequential(*up)

    def forward_with_cam(self, source: Tensor) -> CamOutput:
        """The translated image, the CAM logits (source-domain classifier) and the attention heat-map."""
        features, cam_logit, heatmap = self.cam(self.encoder(source))
        style = self.style(features.mean(dim=(2, 3)) if self.light else features.flatten(1))
        gamma, beta = self.to_gamma(style), self.to_beta(style)
        for block in self.bottleneck:
            features = block(features, gamma, beta)
        return CamOutput(self.decoder(features), cam_logit, heatmap)

    def forward(self, z: Tensor | None, condition: Tensor | None = None) -> Tensor:
        if condition is None:
            raise ValueError("ugatit generator translates an image: pass the source image as `condition`")
        return self.forward_with_cam(condition).output

    @torch.no_grad()
    def clip_rho(self) -> None:
        """Keep every (Ada)LIN ``rho`` in [0, 1], as the paper does after each generator update."""
        for module in self.modules():
            if isinstance(module, (AdaLIN, LayerInstanceNorm)):
                module.rho.clamp_(0.0, 1.0)


class UGATITDiscriminator(Discriminator):
    """Spectrally normalised PatchGAN with its own CAM; ``n_layers`` sets depth and receptive field.

    ``n_layers - 2`` stride-2 convolutions, one stride-1 convolution, CAM, then a 4x4 output
    convolution. The paper uses 7 (global: a 286 px receptive field, the whole 256 px image) and
    5 (local: 70 px patches).
    """

    def __init__(
        self,
        resolution: int = 256,
        channels: int = 3,
        n_layers: int = 7,
        base_channels: int = 64,
        condition: Condition = NO_CONDITION,
    ) -> None:
        super().__init__()
        if condition.kind != "none":
            raise ValueError(f"ugatit discriminators judge images alone; they take no {condition} condition")
        downsamples = n_layers - 2
        if downsamples < 1 or resolution // 2**downsamples < 3:
            largest = max((n for n in range(3, 12) if resolution // 2 ** (n - 2) >= 3), default=None)
            hint = f"use 3 <= n_layers <= {largest}" if largest else "use a resolution of at least 8"
            raise ValueError(f"n_layers={n_layers} does not fit {resolution} px; {hint}")
        self.resolution, self.channels = resolution, channels
        layers: list[nn.Module] = []
        width, in_width = base_channels, channels
        for index in range(downsamples + 1):
            stride = 1 if index == downsamples else 2
            layers += [
                nn.ReflectionPad2d(1),
                spectral_norm(nn.Conv2d(in_width, width, 4, stride)),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            in_width, width = width, width * 2
        self.encoder = nn.Sequential(*layers)
        self.cam = ClassActivationMap(in_width, nn.LeakyReLU(0.2, inplace=True), spectral=True)
        self.head = nn.Sequential(nn.ReflectionPad2d(1), spectral_norm(nn.Conv2d(in_width, 1, 4, bias=False)))

    def forward_with_cam(self, image: Tensor) -> CamOutput:
        """Patch logits ``[B, 1, h, w]``, CAM logits ``[B, 2]`` (real vs fake) and the heat-map."""
        features, cam_logit, heatmap = self.cam(self.encoder(image))
        return CamOutput(self.head(features), cam_logit, heatmap)

    def forward(self, image: Tensor, condition: Tensor | None = None) -> Tensor:
        return self.forward_with_cam(image).output


def heatmap_image(heatmap: Tensor, size: tuple[int, int], channels: int) -> Tensor:
    """A CAM heat-map ``[B, 1, h, w]`` as a viewable image ``[B, channels, *size]`` in [-1, 1].

    Each map is scaled to its own min..max (bright = attended), as the paper's figures show them.
    """
    upsampled = F.interpolate(heatmap.float(), size=size, mode="bilinear", align_corners=False)
    low = upsampled.amin(dim=(2, 3), keepdim=True)
    high = upsampled.amax(dim=(2, 3), keepdim=True)
    unit = (upsampled - low) / (high - low).clamp_min(1e-8)
    return (unit * 2 - 1).expand(-1, channels, -1, -1)


GENERATOR_PORTS = Ports(conditions=("image",), input="image", features=frozenset({"cam"}))
DISCRIMINATOR_PORTS = Ports(conditions=("none",), features=frozenset({"cam"}))


@component("generator", "ugatit", ports=GENERATOR_PORTS)
def ugatit(
    resolution: int = 256, channels: int = 3, condition: Condition = NO_CONDITION, base_channels: int = 64, n_blocks: int = 4
) -> UGATITGenerator:
    """UGATIT generator (Kim et al. 2020): CAM attention, AdaLIN decoder, MLP on the full feature map."""
    return UGATITGenerator(resolution, channels, condition, base_channels, n_blocks, light=False)


@component("generator", "ugatit-light", ports=GENERATOR_PORTS)
def ugatit_light(
    resolution: int = 256, channels: int = 3, condition: Condition = NO_CONDITION, base_channels: int = 64, n_blocks: int = 4
) -> UGATITGenerator:
    """UGATIT-light generator: AdaLIN parameters from globally pooled features (far fewer weights)."""
    return UGATITGenerator(resolution, channels, condition, base_channels, n_blocks, light=True)


@component("discriminator", "ugatit-global", ports=DISCRIMINATOR_PORTS)
def ugatit_global(
    resolution: int = 256, channels: int = 3, n_layers: int = 7, base_channels: int = 64, condition: Condition = NO_CONDITION
) -> UGATITDiscriminator:
    """UGATIT global discriminator: deep spectrally normalised CAM PatchGAN that sees the whole image."""
    return UGATITDiscriminator(resolution, channels, n_layers, base_channels, condition)


@component("discriminator", "ugatit-local", ports=DISCRIMINATOR_PORTS)
def ugatit_local(
    resolution: int = 256, channels: int = 3, n_layers: int = 5, base_channels: int = 64, condition: Condition = NO_CONDITION
) -> UGATITDiscriminator:
    """UGATIT local discriminator: shallower spectrally normalised CAM PatchGAN on image patches."""
    return UGATITDiscriminator(resolution, channels, n_layers, base_channels, condition)
