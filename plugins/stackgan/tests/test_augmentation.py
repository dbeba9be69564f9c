"""Conditioning augmentation: reparameterised samples, the KL term and its weight."""

from __future__ import annotations

import pytest
import torch
from ganzoo_stackgan.augmentation import ConditioningAugmentation, kl_divergence


def test_kl_is_zero_for_the_standard_normal_and_positive_otherwise() -> None:
    zeros = torch.zeros(4, 3)
    assert kl_divergence(zeros, zeros).item() == pytest.approx(0.0)
    # KL(N(1, 1) || N(0, 1)) = 0.5 per dimension
    assert kl_divergence(torch.ones(4, 3), zeros).item() == pytest.approx(0.5)
    assert kl_divergence(zeros, torch.full((4, 3), 2.0)).item() > 0


def test_samples_follow_mu_and_sigma() -> None:
    torch.manual_seed(0)
    ca = ConditioningAugmentation(in_dim=5, out_dim=2, kl_weight=2.0)
    embedding = torch.randn(1, 5).expand(20000, 5)
    samples = ca(embedding)
    mu, logvar = ca.project(embedding[:1]).chunk(2, dim=1)
    assert samples.shape == (20000, 2)
    assert torch.allclose(samples.mean(0), mu[0], atol=0.05)
    assert torch.allclose(samples.std(0), logvar[0].mul(0.5).exp(), rtol=0.05)
    assert ca.weighted_kl().item() == pytest.approx(2.0 * kl_divergence(mu, logvar).item(), rel=1e-5)


def test_weighted_kl_trains_the_projection() -> None:
    ca = ConditioningAugmentation(in_dim=5, out_dim=2)
    ca(torch.randn(3, 5))
    ca.weighted_kl().backward()
    assert ca.project[0].weight.grad is not None and ca.project[0].weight.grad.abs().sum() > 0


def test_kl_before_forward_and_bad_sizes_are_refused() -> None:
    with pytest.raises(RuntimeError, match="before any forward pass"):
        ConditioningAugmentation(4).weighted_kl()
    with pytest.raises(ValueError, match="kl_weight must be >= 0"):
        ConditioningAugmentation(4, kl_weight=-1)
    with pytest.raises(ValueError, match="positive sizes"):
        ConditioningAugmentation(0)
