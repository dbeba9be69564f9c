"""The default adversarial losses: the original GAN objective (Goodfellow et al. 2014) on raw
discriminator logits. They live in the core so that a preset's default loss (``bce``) and the
common ``nonsaturating`` exist with no family plugin installed.

The discriminator maximises ``log D(x) + log(1 - D(G(z)))`` with ``D = sigmoid(logits)``; written
with softplus, ``-log sigmoid(x) = softplus(-x)`` and ``-log(1 - sigmoid(x)) = softplus(x)``, which
is exact and stable for large logits.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from ganzoo.errors import GanzooError
from ganzoo.interfaces import Loss
from ganzoo.registry import component


class MinimaxBCE(Loss):
    """The two-player minimax game: the generator minimises ``log(1 - D(G(z)))``.

    Its gradient vanishes while the discriminator confidently rejects the samples (early
    training), which is why the paper itself recommends the non-saturating form.
    """

    def real(self, logits: Tensor) -> Tensor:
        return F.softplus(-logits).mean()

    def fake(self, logits: Tensor) -> Tensor:
        return F.softplus(logits).mean()

    def generator(self, logits: Tensor) -> Tensor:
        return -F.softplus(logits).mean()


class NonSaturatingBCE(MinimaxBCE):
    """Same discriminator; the generator maximises ``log D(G(z))`` instead (strong early gradients)."""

    def generator(self, logits: Tensor) -> Tensor:
        return F.softplus(-logits).mean()


@component("loss", "bce")
def bce() -> Loss:
    """Minimax binary cross-entropy (Goodfellow et al. 2014): G minimises log(1 - D(G(z)))."""
    return MinimaxBCE()


@component("loss", "nonsaturating")
def nonsaturating() -> Loss:
    """Binary cross-entropy with the non-saturating generator term: G maximises log D(G(z))."""
    return NonSaturatingBCE()


class UnloadedLoss(Loss):
    """Stands in for the training loss of a model rebuilt to sample or translate, which never
    calls it: loading an export needs no plugin of the loss it was trained with."""

    def _refuse(self, logits: Tensor) -> Tensor:
        raise GanzooError("this model was loaded to sample or translate; its training loss was not rebuilt")

    real = fake = generator = _refuse
