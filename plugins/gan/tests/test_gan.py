"""The gan family: every MLP network at every declared condition, a tiny run that learns (with the core's BCE loss)."""

from __future__ import annotations

import pytest
import torch

from ganzoo.interfaces import Condition
from ganzoo.plugins import registry
from ganzoo.testing import check_discriminator, check_generator, components_of, declared_cases

TINY = {"hidden": (32, 16)}
CASES = {kind: [(item, *case) for item in components_of("ganzoo-gan", kind) for case in declared_cases(item, 16)]
         for kind in ("generator", "discriminator")}


def case_id(case: tuple) -> str:
    item, resolution, channels, condition = case
    return f"{item.name}-{resolution}px-{channels}ch-{condition}"


def test_the_family_is_registered() -> None:
    assert [c.name for c in components_of("ganzoo-gan", "generator")] == ["mlp"]
    assert [c.name for c in components_of("ganzoo-gan", "discriminator")] == ["mlp"]
    assert components_of("ganzoo-gan", "loss") == []  # its BCE losses are the core's defaults (tests/test_losses.py)


@pytest.mark.parametrize("case", CASES["generator"], ids=case_id)
def test_generator_conforms(case: tuple) -> None:
    item, resolution, channels, condition = case
    check_generator(item, resolution, channels, condition, **TINY)


@pytest.mark.parametrize("case", CASES["discriminator"], ids=case_id)
def test_discriminator_conforms(case: tuple) -> None:
    item, resolution, channels, condition = case
    check_discriminator(item, resolution, channels, condition, **TINY)


def test_any_geometry_fits() -> None:
    generator = registry().create("generator", "mlp", resolution=28, channels=1, hidden=(8,))
    assert generator(torch.randn(3, 100)).shape == (3, 1, 28, 28)


def test_refuses_conditions_it_cannot_take() -> None:
    with pytest.raises(ValueError, match="text"):
        registry().create("generator", "mlp", condition=Condition("text"))


def test_class_condition_is_one_hot_and_steers_the_output() -> None:
    generator = registry().create("generator", "mlp", resolution=8, channels=1, condition=Condition("class", 4), hidden=(16,)).eval()
    z = torch.randn(1, 100).repeat(2, 1)
    images = generator(z, torch.tensor([0, 3]))
    assert not torch.allclose(images[0], images[1])


def test_a_short_run_learns_a_simple_distribution() -> None:
    """Generated 4x4 images move from noise to the target pattern (a checkerboard of +-0.8)."""
    torch.manual_seed(0)
    target = (torch.arange(16).view(4, 4) + torch.arange(4).view(4, 1)) % 2 * 1.6 - 0.8
    generator = registry().create("generator", "mlp", resolution=4, channels=1, latent_dim=8, hidden=(32,))
    discriminator = registry().create("discriminator", "mlp", resolution=4, channels=1, hidden=(32,), dropout=0.0)
    loss = registry().create("loss", "nonsaturating")
    opt_g = torch.optim.Adam(generator.parameters(), 2e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), 2e-3, betas=(0.5, 0.999))

    def error() -> float:
        with torch.no_grad():
            return (generator(torch.randn(256, 8)) - target).abs().mean().item()

    before = error()
    for _ in range(150):
        real = target.expand(32, 1, 4, 4) + 0.05 * torch.randn(32, 1, 4, 4)
        fake = generator(torch.randn(32, 8))
        d_loss = loss.real(discriminator(real)) + loss.fake(discriminator(fake.detach()))
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        g_loss = loss.generator(discriminator(fake))
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
    assert error() < 0.25 < before
