"""The lsgan-sn plugin: the LSGAN, hinge and WGAN losses, and the text-to-image LSGAN-SN mix."""

from __future__ import annotations

import pytest
import torch

from ganzoo.config import ComponentConfig, TrainConfig
from ganzoo.interfaces import Loss
from ganzoo.mix import check_mix
from ganzoo.plugins import registry
from ganzoo.testing import components_of


def test_the_family_is_registered() -> None:
    assert {c.name for c in components_of("ganzoo-lsgan-sn", "loss")} == {"lsgan", "hinge", "wgan"}


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
