"""The dcgan plugin: DCGAN networks at every declared geometry and condition, their paper details,
conditional heads, the timm backbone discriminator, and what the mix check refuses."""

from __future__ import annotations

from pathlib import Path

import pytest
import timm
import torch
from torch import nn

from ganzoo.config import ComponentConfig, TrainConfig
from ganzoo.interfaces import Condition
from ganzoo.mix import MixError, check_mix, resolve
from ganzoo.plugins import registry
from ganzoo.testing import check_discriminator, check_generator, components_of, declared_cases, example_condition

#: small widths keep every case fast; the architecture is the same at any width.
TINY = {"dcgan": {"width": 4}, "dcgan-sn": {"width": 4}, "timm": {"variant": "resnet10t"}}
CASES = {kind: [(item, *case) for item in components_of("ganzoo-dcgan", kind) for case in declared_cases(item)]
         for kind in ("generator", "discriminator")}


def case_id(case: tuple) -> str:
    item, resolution, channels, condition = case
    return f"{item.name}-{resolution}px-{channels}ch-{condition}"


def test_the_family_is_registered() -> None:
    assert [c.name for c in components_of("ganzoo-dcgan", "generator")] == ["dcgan"]
    assert [c.name for c in components_of("ganzoo-dcgan", "discriminator")] == ["dcgan", "dcgan-sn", "timm"]


@pytest.mark.parametrize("case", CASES["generator"], ids=case_id)
def test_generator_conforms(case: tuple) -> None:
    item, resolution, channels, condition = case
    check_generator(item, resolution, channels, condition, **TINY.get(item.name, {}))


@pytest.mark.parametrize("case", CASES["discriminator"], ids=case_id)
def test_discriminator_conforms(case: tuple) -> None:
    item, resolution, channels, condition = case
    check_discriminator(item, resolution, channels, condition, **TINY.get(item.name, {}))


@pytest.mark.parametrize(("resolution", "blocks"), [(32, 3), (64, 4), (128, 5)])
def test_resolution_sets_the_number_of_blocks(resolution: int, blocks: int) -> None:
    generator = registry().create("generator", "dcgan", resolution=resolution, width=4)
    discriminator = registry().create("discriminator", "dcgan", resolution=resolution, width=4)
    upsampling = [m for m in generator.modules() if isinstance(m, nn.ConvTranspose2d) and m.stride == (2, 2)]
    downsampling = [m for m in discriminator.modules() if isinstance(m, nn.Conv2d) and m.stride == (2, 2)]
    assert len(upsampling) == len(downsampling) == blocks


@pytest.mark.parametrize("condition", [None, "embedding:8"])
def test_nearest_upsampling_replaces_every_transposed_convolution(condition: str | None) -> None:
    """``upsampling="nearest"``: each doubling is nearest-neighbour upsampling + 3x3 convolution,
    the same geometry and output range as the paper's transposed convolutions."""
    generator = registry().create("generator", "dcgan", resolution=32, width=4, condition=condition, upsampling="nearest")
    layers = list(generator.modules())
    assert [m for m in layers if isinstance(m, nn.ConvTranspose2d) and m.stride == (2, 2)] == []
    assert len([m for m in layers if isinstance(m, nn.Upsample)]) == 3
    check_generator(registry().get("generator", "dcgan"), 32, 3, Condition.parse(condition), width=4, upsampling="nearest")
    with pytest.raises(ValueError, match="upsampling must be 'transposed' or 'nearest', not 'bilinear'"):
        registry().create("generator", "dcgan", resolution=32, upsampling="bilinear")


def test_paper_details() -> None:
    """N(0, 0.02) weights, BN scales near 1, no BatchNorm after D's first convolution, LeakyReLU 0.2."""
    torch.manual_seed(0)
    generator = registry().create("generator", "dcgan", resolution=64)
    discriminator = registry().create("discriminator", "dcgan", resolution=64)
    convs = [m.weight for net in (generator, discriminator) for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    weights = torch.cat([w.flatten() for w in convs])
    assert weights.mean().abs() < 1e-3 and weights.std().item() == pytest.approx(0.02, rel=0.02)
    scales = torch.cat([m.weight for m in generator.modules() if isinstance(m, nn.BatchNorm2d)])
    assert scales.mean().item() == pytest.approx(1.0, abs=0.01)
    first, after_first = discriminator.features[0], discriminator.features[1]
    assert isinstance(first, nn.Conv2d) and isinstance(after_first, nn.LeakyReLU) and after_first.negative_slope == 0.2
    assert isinstance(generator.net[-1], nn.Tanh)


@pytest.mark.parametrize("name", ["dcgan", "timm"])
@pytest.mark.parametrize("condition", [Condition("class", 5), Condition("embedding", 7)])
def test_discriminator_condition_changes_the_score(name: str, condition: Condition) -> None:
    torch.manual_seed(0)
    discriminator = registry().create("discriminator", name, resolution=32, condition=condition, **TINY[name]).eval()
    image = torch.rand(1, 3, 32, 32).repeat(2, 1, 1, 1)
    values = example_condition(condition, 2)
    logits = discriminator(image, values)
    assert not torch.allclose(logits[0], logits[1])


def test_embedding_head_choice() -> None:
    concat = registry().create("discriminator", "dcgan", resolution=32, condition="embedding:8", width=4)
    projection = registry().create("discriminator", "dcgan", resolution=32, condition="embedding:8", width=4, embedding_head="projection")
    assert concat.compress_text is not None and concat.projection.embed is None
    assert projection.compress_text is None and projection.projection.embed is not None
    with pytest.raises(ValueError, match="embedding_head"):
        registry().create("discriminator", "dcgan", condition="embedding:8", embedding_head="sum")


@pytest.mark.parametrize(("resolution", "channels"), [(48, 3), (256, 3), (64, 2)])
def test_refuses_undeclared_geometry(resolution: int, channels: int) -> None:
    for kind in ("generator", "discriminator"):
        with pytest.raises(ValueError, match="'dcgan' works"):
            registry().create(kind, "dcgan", resolution=resolution, channels=channels)


def config(resolution: int = 64, disc: str = "dcgan", task: str = "unconditional") -> TrainConfig:
    return TrainConfig(
        preset="test",
        task=ComponentConfig(task),
        nets={"generator": ComponentConfig("dcgan"), "discriminator": ComponentConfig(disc)},
        resolution=resolution,
    )


def test_mix_check_refuses_resolution_48() -> None:
    with pytest.raises(MixError, match="generator 'dcgan' works at 32/64/128 px.*48 px"):
        check_mix(config(48), registry())
    check_mix(config(64), registry())


def test_timm_discriminator_mixes_with_dcgan_and_a_class_task() -> None:
    mix = check_mix(config(32, "timm:resnet18", "class-conditional"), registry())
    assert mix.nets["discriminator"].name == "timm"


def test_disc_timm_variant_syntax_resolves_to_the_timm_component() -> None:
    resolved = resolve(registry(), "discriminator", ComponentConfig("timm:resnet18"))
    assert resolved.name == "timm" and resolved.kwargs == {"variant": "resnet18"}
    assert resolved.component.create(**resolved.kwargs, resolution=32).variant == "resnet18"


def test_timm_pretrained_weights_come_from_a_local_file(tmp_path: Path) -> None:
    torch.manual_seed(0)
    source = timm.create_model("resnet10t")
    weights = tmp_path / "resnet10t.pth"
    torch.save(source.state_dict(), weights)
    discriminator = registry().create("discriminator", "timm", variant="resnet10t", pretrained=str(weights), resolution=32)
    torch.testing.assert_close(discriminator.backbone.layer1[0].conv1.weight, source.layer1[0].conv1.weight)


def test_timm_refuses_missing_weights_and_unknown_models() -> None:
    with pytest.raises(ValueError, match="pretrained='/no/such.pth' is not a file") as error:
        registry().create("discriminator", "timm", pretrained="/no/such.pth")
    assert "\n" not in str(error.value)
    with pytest.raises(ValueError, match="unknown timm model 'resnet1800'; did you mean resnet18"):
        registry().create("discriminator", "timm", variant="resnet1800")


def test_timm_fixed_size_models_are_built_for_the_resolution() -> None:
    discriminator = registry().create("discriminator", "timm", variant="test_vit", resolution=32, channels=1)
    assert discriminator(torch.rand(2, 1, 32, 32)).shape == (2,)


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


def test_dcgan_sn_is_the_dcgan_discriminator_with_its_spectral_norm_switch() -> None:
    """``dcgan-sn`` is a registered variant, not a copy: same parameters, same weights' names."""
    dcgan, variant = registry().get("discriminator", "dcgan"), registry().get("discriminator", "dcgan-sn")
    assert variant.parameters() == {**dcgan.parameters(), "spectral_norm": True}
    torch.manual_seed(0)
    switched = dcgan.create(resolution=32, width=4, spectral_norm=True)
    torch.manual_seed(0)
    named = variant.create(resolution=32, width=4)
    assert switched.state_dict().keys() == named.state_dict().keys()
    assert all(torch.equal(a, b) for a, b in zip(switched.state_dict().values(), named.state_dict().values()))
