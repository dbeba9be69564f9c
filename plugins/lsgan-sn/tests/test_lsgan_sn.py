"""The lsgan-sn plugin: spectrally normalised discriminators and the LSGAN, hinge and WGAN losses."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganzoo.interfaces import Loss
from ganzoo.mix import check_mix
from ganzoo.plugins import registry
from ganzoo.presets import ComponentConfig, TrainConfig
from ganzoo.testing import check_discriminator, components_of, declared_cases

CASES = [(item, *case) for item in components_of("ganzoo-lsgan-sn", "discriminator") for case in declared_cases(item)]


def case_id(case: tuple) -> str:
    item, resolution, channels, condition = case
    return f"{item.name}-{resolution}px-{channels}ch-{condition}"


def test_the_family_is_registered() -> None:
    assert [c.name for c in components_of("ganzoo-lsgan-sn", "discriminator")] == ["dcgan-sn"]
    assert {c.name for c in components_of("ganzoo-lsgan-sn", "loss")} == {"lsgan", "hinge", "wgan"}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_discriminator_conforms(case: tuple) -> None:
    item, resolution, channels, condition = case
    check_discriminator(item, resolution, channels, condition, width=4)


@pytest.mark.parametrize("condition", [None, "class:4", "embedding:8"])
def test_every_weight_is_spectrally_normalised_and_batchnorm_is_gone(condition: str | None) -> None:
    torch.manual_seed(0)
    discriminator = registry().create("discriminator", "dcgan-sn", resolution=32, condition=condition, width=8)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in discriminator.modules())
    layers = [m for m in discriminator.modules() if isinstance(m, (nn.Conv2d, nn.Linear, nn.Embedding))]
    assert layers and all(torch.nn.utils.parametrize.is_parametrized(m, "weight") for m in layers)
    for _ in range(30):  # power iterations converge during training forwards
        discriminator(torch.randn(2, 3, 32, 32), None if condition is None else _values(condition))
    conv = discriminator.features[2]
    sigma = torch.linalg.matrix_norm(conv.weight.detach().flatten(1), ord=2)
    assert sigma.item() == pytest.approx(1.0, abs=0.05)


def _values(condition: str) -> torch.Tensor:
    kind, _, dim = condition.partition(":")
    return torch.tensor([0, 1]) if kind == "class" else torch.randn(2, int(dim))


def test_text_variant_mixes_with_the_dcgan_generator_and_a_text_conditioner() -> None:
    """LSGAN-SN text-to-image: dcgan G (text joined to the noise) + dcgan-sn D, matching-aware task."""
    config = TrainConfig(
        preset="test",
        task=ComponentConfig("text-conditional"),
        conditioner=ComponentConfig("learned"),
        nets={"generator": ComponentConfig("dcgan"), "discriminator": ComponentConfig("dcgan-sn")},
        loss=ComponentConfig("lsgan"),
        resolution=64,
    )
    mix = check_mix(config, registry())
    assert mix.fed == "embedding"


LOGITS = torch.tensor([2.0, -1.0, 0.5, 0.0])


def make(name: str, **kwargs: float) -> Loss:
    return registry().create("loss", name, **kwargs)


def test_lsgan_default_coding_is_0_1_1() -> None:
    loss = make("lsgan")
    assert loss.real(LOGITS).item() == pytest.approx(0.5 * (1 + 4 + 0.25 + 1) / 4)
    assert loss.fake(LOGITS).item() == pytest.approx(0.5 * (4 + 1 + 0.25 + 0) / 4)
    assert loss.generator(LOGITS).item() == pytest.approx(loss.real(LOGITS).item())


def test_lsgan_abc_parameters() -> None:
    loss = make("lsgan", a=-1.0, b=1.0, c=0.0)
    assert loss.fake(torch.tensor([-1.0])).item() == 0.0
    assert loss.real(torch.tensor([1.0])).item() == 0.0
    assert loss.generator(torch.tensor([2.0])).item() == pytest.approx(2.0)


def test_hinge_terms() -> None:
    loss = make("hinge")
    assert loss.real(LOGITS).item() == pytest.approx((0 + 2 + 0.5 + 1) / 4)
    assert loss.fake(LOGITS).item() == pytest.approx((3 + 0 + 1.5 + 1) / 4)
    assert loss.generator(LOGITS).item() == pytest.approx(-0.375)


def test_wgan_terms() -> None:
    loss = make("wgan")
    assert loss.real(LOGITS).item() == pytest.approx(-0.375)
    assert loss.fake(LOGITS).item() == pytest.approx(0.375)
    assert loss.generator(LOGITS).item() == pytest.approx(-0.375)


@pytest.mark.parametrize("name", ["lsgan", "hinge", "wgan"])
def test_losses_give_scalars_with_gradients(name: str) -> None:
    logits = torch.randn(3, 1, 4, 4, requires_grad=True)  # patch logits work as well as [B]
    loss = make(name)
    total = loss.real(logits) + loss.fake(logits) + loss.generator(logits)
    assert total.ndim == 0
    total.backward()
    assert torch.isfinite(logits.grad).all()
