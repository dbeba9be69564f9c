"""The core's default losses: binary cross-entropy in its minimax and non-saturating forms."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from ganzoo.plugins import PluginHost
from ganzoo.version import CORE_DISTRIBUTION


@pytest.fixture(scope="module")
def registry():
    """Only the core: the default losses need no plugin."""
    return PluginHost(autoload=False).registry


def test_the_losses_are_the_cores(registry) -> None:
    assert {c.name: c.provider.distribution for c in registry.list("loss")} == {"bce": CORE_DISTRIBUTION, "nonsaturating": CORE_DISTRIBUTION}


LOGITS = torch.tensor([3.0, -1.5, 0.0, 12.0])


def test_bce_terms_match_binary_cross_entropy(registry) -> None:
    loss = registry.create("loss", "bce")
    ones, zeros = torch.ones_like(LOGITS), torch.zeros_like(LOGITS)
    torch.testing.assert_close(loss.real(LOGITS), F.binary_cross_entropy_with_logits(LOGITS, ones))
    torch.testing.assert_close(loss.fake(LOGITS), F.binary_cross_entropy_with_logits(LOGITS, zeros))
    torch.testing.assert_close(loss.generator(LOGITS), -F.binary_cross_entropy_with_logits(LOGITS, zeros))
    assert loss.real(torch.zeros(1)).item() == pytest.approx(math.log(2))


def test_nonsaturating_generator_term(registry) -> None:
    loss = registry.create("loss", "nonsaturating")
    torch.testing.assert_close(loss.generator(LOGITS), F.binary_cross_entropy_with_logits(LOGITS, torch.ones_like(LOGITS)))
    torch.testing.assert_close(loss.fake(LOGITS), registry.create("loss", "bce").fake(LOGITS))


def test_minimax_saturates_where_nonsaturating_does_not(registry) -> None:
    """When D confidently rejects a sample (logit -10) the minimax G gradient all but vanishes."""
    gradients = {}
    for name in ("bce", "nonsaturating"):
        logits = torch.tensor([-10.0], requires_grad=True)
        registry.create("loss", name).generator(logits).backward()
        gradients[name] = logits.grad.abs().item()
    assert gradients["bce"] < 1e-4 < 0.9 < gradients["nonsaturating"]
