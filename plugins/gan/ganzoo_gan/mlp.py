"""The fully-connected GAN (Goodfellow et al. 2014), conditioned by concatenation (Mirza & Osindero 2014).

Both networks work on flattened images, so any resolution and channel count fits (the parameter
count grows with ``channels * resolution**2``). A condition is joined to the input vector: class
labels as one-hot vectors, embeddings as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganzoo.interfaces import Condition, Discriminator, Generator, Ports
from ganzoo.registry import component

CONDITIONS = ("none", "class", "embedding")


def condition_width(condition: Condition) -> int:
    """How many features a condition adds to the input vector."""
    return 0 if condition.kind == "none" else condition.dim


def condition_vector(condition: Condition, value: Tensor | None) -> Tensor | None:
    """The condition as a float vector per sample: one-hot labels or the embedding itself."""
    if condition.kind == "none":
        return None
    if value is None:
        raise ValueError(f"this network was built for condition {condition} but got none")
    if condition.kind == "class":
        return F.one_hot(value.long(), condition.dim).float()
    return value.float()


def checked_condition(condition: Condition | str | None) -> Condition:
    condition = Condition.parse(condition)
    if condition.kind not in CONDITIONS:
        raise ValueError(f"the MLP networks take condition {', '.join(CONDITIONS)}, not {condition}")
    return condition


class MLPGenerator(Generator):
    """``[z, condition] -> Linear+BN+ReLU layers -> tanh image``; BN keeps the short runs stable."""

    def __init__(self, resolution: int, channels: int, condition: Condition, latent_dim: int, hidden: Sequence[int]) -> None:
        super().__init__()
        self.resolution, self.channels, self.latent_dim, self.condition = resolution, channels, latent_dim, condition
        layers: list[nn.Module] = []
        width = latent_dim + condition_width(condition)
        for features in hidden:
            layers += [nn.Linear(width, features), nn.BatchNorm1d(features), nn.ReLU(inplace=True)]
            width = features
        layers += [nn.Linear(width, channels * resolution * resolution), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor | None, condition: Tensor | None = None) -> Tensor:
        if z is None:
            raise ValueError("the MLP generator needs noise z")
        extra = condition_vector(self.condition, condition)
        inputs = z if extra is None else torch.cat([z, extra], dim=1)
        return self.net(inputs).view(-1, self.channels, self.resolution, self.resolution)


class MLPDiscriminator(Discriminator):
    """``[flattened image, condition] -> Linear+LeakyReLU(0.2)+Dropout layers -> one logit``.

    Dropout stands in for the paper's maxout+dropout discriminator.
    """

    def __init__(self, resolution: int, channels: int, condition: Condition, hidden: Sequence[int], dropout: float) -> None:
        super().__init__()
        self.resolution, self.channels, self.condition = resolution, channels, condition
        layers: list[nn.Module] = []
        width = channels * resolution * resolution + condition_width(condition)
        for features in hidden:
            layers += [nn.Linear(width, features), nn.LeakyReLU(0.2, inplace=True), nn.Dropout(dropout)]
            width = features
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, image: Tensor, condition: Tensor | None = None) -> Tensor:
        extra = condition_vector(self.condition, condition)
        inputs = image.flatten(1)
        if extra is not None:
            inputs = torch.cat([inputs, extra], dim=1)
        return self.net(inputs).squeeze(1)


PORTS = Ports(conditions=CONDITIONS)


@component("generator", "mlp", ports=PORTS)
def mlp_generator(
    resolution: int = 28,
    channels: int = 1,
    condition: Condition | str | None = None,
    latent_dim: int = 100,
    hidden: Sequence[int] = (256, 512, 1024),
) -> Generator:
    """Fully-connected generator (Goodfellow et al. 2014); conditions join the noise vector."""
    return MLPGenerator(resolution, channels, checked_condition(condition), latent_dim, tuple(hidden))


@component("discriminator", "mlp", ports=PORTS)
def mlp_discriminator(
    resolution: int = 28,
    channels: int = 1,
    condition: Condition | str | None = None,
    hidden: Sequence[int] = (1024, 512, 256),
    dropout: float = 0.3,
) -> Discriminator:
    """Fully-connected discriminator (Goodfellow et al. 2014); conditions join the flattened image."""
    return MLPDiscriminator(resolution, channels, checked_condition(condition), tuple(hidden), dropout)
