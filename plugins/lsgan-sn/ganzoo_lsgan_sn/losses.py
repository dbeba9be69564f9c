"""Adversarial objectives beyond the original GAN's: least squares, hinge and Wasserstein.

Each is a set of per-logit terms (see :class:`ganzoo.interfaces.Loss`), so any of them mixes with
any family: ``ganzoo train dcgan --loss lsgan``.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from ganzoo.interfaces import Loss
from ganzoo.registry import component


class LeastSquares(Loss):
    """LSGAN (Mao et al. 2017), a-b-c coding: D pushes fakes to ``a`` and reals to ``b``; G pushes
    fakes to ``c``. ``0/1/1`` is the paper's common choice; ``-1/1/0`` minimises the Pearson
    chi-squared divergence."""

    def __init__(self, a: float, b: float, c: float) -> None:
        super().__init__()
        self.a, self.b, self.c = a, b, c

    def real(self, logits: Tensor) -> Tensor:
        return 0.5 * (logits - self.b).pow(2).mean()

    def fake(self, logits: Tensor) -> Tensor:
        return 0.5 * (logits - self.a).pow(2).mean()

    def generator(self, logits: Tensor) -> Tensor:
        return 0.5 * (logits - self.c).pow(2).mean()


class Hinge(Loss):
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018): D stops pushing once a margin of 1 is met."""

    def real(self, logits: Tensor) -> Tensor:
        return F.relu(1.0 - logits).mean()

    def fake(self, logits: Tensor) -> Tensor:
        return F.relu(1.0 + logits).mean()

    def generator(self, logits: Tensor) -> Tensor:
        return -logits.mean()


class Wasserstein(Loss):
    """WGAN critic loss (Arjovsky et al. 2017). Needs a Lipschitz critic: use a spectrally
    normalised discriminator (or a gradient penalty) with it."""

    def real(self, logits: Tensor) -> Tensor:
        return -logits.mean()

    def fake(self, logits: Tensor) -> Tensor:
        return logits.mean()

    def generator(self, logits: Tensor) -> Tensor:
        return -logits.mean()


@component("loss", "lsgan")
def lsgan(a: float = 0.0, b: float = 1.0, c: float = 1.0) -> Loss:
    """Least squares GAN (Mao et al. 2017): fakes -> a, reals -> b for D; fakes -> c for G."""
    return LeastSquares(a, b, c)


@component("loss", "hinge")
def hinge() -> Loss:
    """Hinge loss (Lim & Ye 2017), the SN-GAN / projection discriminator objective."""
    return Hinge()


@component("loss", "wgan")
def wgan() -> Loss:
    """Wasserstein critic loss (Arjovsky et al. 2017); pair it with a Lipschitz (SN) discriminator."""
    return Wasserstein()
