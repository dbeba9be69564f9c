"""A throwaway plugin with tiny networks, so core tests need no family plugin."""

from __future__ import annotations

import zlib

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganzoo.hookspecs import hookimpl
from ganzoo.interfaces import NO_CONDITION, Condition, Discriminator, Generator, Loss, Ports
from ganzoo.metrics.extractors import FeatureExtractor
from ganzoo.registry import collect, component


def _condition_features(condition: Condition, features: int) -> nn.Module | None:
    if condition.kind == "class":
        return nn.Embedding(condition.dim, features)
    if condition.kind == "embedding":
        return nn.Linear(condition.dim, features)
    return None


class TinyGenerator(Generator):
    def __init__(self, resolution: int, channels: int, condition: Condition, latent_dim: int = 8, width: int = 16) -> None:
        super().__init__()
        self.resolution, self.channels, self.latent_dim = resolution, channels, latent_dim
        self.embed = _condition_features(condition, latent_dim)
        self.fc = nn.Linear(latent_dim, width * 4 * 4)
        self.width = width
        blocks = []
        size = 4
        while size < resolution:
            blocks += [nn.Upsample(scale_factor=2), nn.Conv2d(width, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU()]
            size *= 2
        self.body = nn.Sequential(*blocks, nn.Conv2d(width, channels, 3, padding=1), nn.Tanh())

    def forward(self, z: Tensor | None, condition: Tensor | None = None) -> Tensor:
        assert z is not None
        if self.embed is not None:
            z = z * self.embed(condition)
        return self.body(self.fc(z).view(-1, self.width, 4, 4))


class TinyTranslator(Generator):
    def __init__(self, channels: int, condition: Condition, width: int = 8) -> None:
        super().__init__()
        self.channels = channels
        self.net = nn.Sequential(nn.Conv2d(condition.dim, width, 3, padding=1), nn.ReLU(), nn.Dropout(0.1),
                                 nn.Conv2d(width, channels, 3, padding=1), nn.Tanh())

    def forward(self, z: Tensor | None, condition: Tensor | None = None) -> Tensor:
        return self.net(condition)


class TinyDiscriminator(Discriminator):
    def __init__(self, channels: int, condition: Condition = NO_CONDITION, width: int = 16) -> None:
        super().__init__()
        extra = condition.dim if condition.kind == "image" else 0
        self.kind = condition.kind
        self.body = nn.Sequential(nn.Conv2d(channels + extra, width, 4, 2, 1), nn.LeakyReLU(0.2),
                                  nn.Conv2d(width, width, 4, 2, 1), nn.LeakyReLU(0.2), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(width, 1)
        self.embed = _condition_features(condition, width)

    def forward(self, image: Tensor, condition: Tensor | None = None) -> Tensor:
        if self.kind == "image":
            image = torch.cat([image, condition], 1)
        h = self.body(image)
        out = self.head(h).squeeze(1)
        if self.embed is not None:
            out = out + (self.embed(condition) * h).sum(1)
        return out


class TinyBCE(Loss):
    def real(self, logits: Tensor) -> Tensor:
        return F.softplus(-logits).mean()

    def fake(self, logits: Tensor) -> Tensor:
        return F.softplus(logits).mean()

    def generator(self, logits: Tensor) -> Tensor:
        return F.softplus(-logits).mean()


tiny_gen = component("generator", "tiny-gen", ports=Ports(conditions=("none", "class", "embedding")))(TinyGenerator)
tiny_translator = component("generator", "tiny-translator", ports=Ports(conditions=("image",), input="image"))(TinyTranslator)
tiny_disc = component("discriminator", "tiny-disc", ports=Ports(conditions=("none", "class", "embedding", "image")))(TinyDiscriminator)
tiny_bce = component("loss", "tiny-bce")(TinyBCE)


class TinyExtractor(FeatureExtractor):
    """A stand-in for Inception and CLIP: a fixed random projection of 4x4-pooled images, logits from
    a second one, and captions embedded as a fixed random vector each (seeded by the text)."""

    embeds_text = True

    def __init__(self, logits: bool = True) -> None:
        super().__init__("tiny" if logits else "tiny-features", digest="tiny-random-seed-0", resize="area to 4x4", comparable=False,
                         has_logits=logits)
        generator = torch.Generator().manual_seed(0)
        self.register_buffer("projection", torch.randn(48, 16, generator=generator))
        self.register_buffer("classes", torch.randn(16, 10, generator=generator))

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor | None]:
        features = F.adaptive_avg_pool2d(images.float() / 255, 4).flatten(1) @ self.projection
        return features, features @ self.classes if self.has_logits else None

    def embed_text(self, captions) -> Tensor:
        return torch.stack([torch.randn(16, generator=torch.Generator().manual_seed(zlib.crc32(c.encode()))) for c in captions])


tiny_extractor = component("extractor", "tiny")(TinyExtractor)


@component("extractor", "tiny-features")
def tiny_features() -> FeatureExtractor:
    """The tiny extractor without logits, like inception-torchscript (Inception Score cannot use it)."""
    return TinyExtractor(logits=False)

PRESETS = """
[tiny]
description = "tiny unconditional GAN on shapes"
task = "unconditional"
dataset = { name = "shapes", count = 64 }
resolution = 16
batch_size = 8
steps = 6
log_every = 2
sample_every = 3
checkpoint_every = 3
sample_count = 8
nets.generator = { name = "tiny-gen" }
nets.discriminator = { name = "tiny-disc" }
loss = "tiny-bce"

[tiny-class]
extends = "tiny"
task = "class-conditional"
ema = 0.9
augment = { flip = true, jitter = 20 }

[tiny-paired]
extends = "tiny"
plugins = ["ganzoo-pix2pix"]  # its `paired` task
task = "paired"
dataset = { name = "shapes-paired", count = 32 }
nets.generator = { name = "tiny-translator" }
"""


@hookimpl
def ganzoo_components():
    return collect(globals())


@hookimpl
def ganzoo_presets():
    return PRESETS
