"""Conditioning Augmentation (Zhang et al. 2017, StackGAN section 3.1).

A text embedding is mapped to a Gaussian ``N(mu, diag(sigma^2))`` and the generator is fed a
sample of it instead of the embedding itself. Sampling makes the conditioning manifold smooth
(small perturbations of the caption give similar images, and the few captions per image cover
more of the space); the KL divergence to ``N(0, I)``, weighted, keeps the Gaussian from
collapsing onto a point.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ConditioningAugmentation(nn.Module):
    """``embedding [B, in_dim] -> c [B, out_dim]`` sampled with the reparameterisation trick.

    ``kl_weight`` is the paper's lambda; :meth:`weighted_kl` returns the weighted term of the
    last forward pass, which a generator hands to the training loop through ``extra_losses()``.
    """

    def __init__(self, in_dim: int, out_dim: int = 128, kl_weight: float = 2.0) -> None:
        super().__init__()
        if in_dim < 1 or out_dim < 1:
            raise ValueError(f"conditioning augmentation needs positive sizes, got in_dim={in_dim}, out_dim={out_dim}")
        if kl_weight < 0:
            raise ValueError(f"kl_weight must be >= 0, got {kl_weight}")
        self.in_dim = in_dim
        self.out_dim = out_dim
        self.kl_weight = kl_weight
        # one layer gives mu and log-variance together; GLU gates it as the reference code does.
        self.project = nn.Sequential(nn.Linear(in_dim, out_dim * 4), nn.GLU(dim=1))
        self._kl: Tensor | None = None

    def forward(self, embedding: Tensor) -> Tensor:
        mu, logvar = self.project(embedding).chunk(2, dim=1)
        self._kl = kl_divergence(mu, logvar)
        # the paper samples at test time too: the Gaussian is the conditioning, not its mean.
        return mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)

    def weighted_kl(self) -> Tensor:
        """``kl_weight * KL(N(mu, sigma) || N(0, I))`` of the last forward pass."""
        if self._kl is None:
            raise RuntimeError("ConditioningAugmentation.weighted_kl() called before any forward pass")
        return self.kl_weight * self._kl


def kl_divergence(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL of ``N(mu, exp(logvar))`` to ``N(0, I)``, averaged over batch and dimensions."""
    return 0.5 * torch.mean(mu.pow(2) + logvar.exp() - 1.0 - logvar)
