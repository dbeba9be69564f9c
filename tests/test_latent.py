"""Latent interpolation and the truncation trick."""

import pytest
import torch

from ganzoo.errors import GanzooError
from ganzoo.latent import slerp, truncate


def test_slerp_starts_and_ends_at_the_keys_and_keeps_the_norm():
    start, end = torch.zeros(1, 4), torch.zeros(1, 4)
    start[0, 0], end[0, 1] = 2.0, 2.0
    path = slerp(start, end, torch.linspace(0, 1, 5))
    assert torch.allclose(path[0], start[0], atol=1e-6) and torch.allclose(path[-1], end[0], atol=1e-6)
    assert torch.allclose(path.norm(dim=1), torch.full((5,), 2.0), atol=1e-5)  # a straight line would dip to 1.41


def test_slerp_of_parallel_keys_falls_back_to_the_line():
    start = torch.ones(1, 3)
    assert torch.allclose(slerp(start, 3 * start, torch.tensor([0.5])), 2 * start)


def test_truncation_redraws_entries_beyond_psi_deterministically():
    noise = torch.randn(64, 16, generator=torch.Generator().manual_seed(0))
    a = truncate(noise, 0.5, torch.Generator().manual_seed(1))
    b = truncate(noise, 0.5, torch.Generator().manual_seed(1))
    assert a.abs().max() <= 0.5 and torch.equal(a, b)
    inside = noise.abs() <= 0.5
    assert torch.equal(a[inside], noise[inside])  # entries within the threshold stay


def test_truncation_threshold_must_be_positive():
    with pytest.raises(GanzooError, match="--truncation 0"):
        truncate(torch.randn(2, 2), 0, torch.Generator())
