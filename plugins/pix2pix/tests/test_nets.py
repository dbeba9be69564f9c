"""pix2pix networks: shapes, skip connections, receptive fields, gradients, spectral norm, conditions."""

from __future__ import annotations

import pytest
import torch
from ganzoo_pix2pix.layers import NoiseDropout
from ganzoo_pix2pix.patchgan import PatchDiscriminator
from ganzoo_pix2pix.unet import UNetGenerator
from torch import nn
from torch.nn.utils import parametrize

from ganzoo.interfaces import Condition
from ganzoo.plugins import registry

IMAGE = Condition("image", 3)
GENERATORS = ["unet", "unet-128", "unet-256", "resnet", "resnet-6blocks", "resnet-9blocks"]
DISCRIMINATORS = ["patchgan", "patchgan-sn", "pixelgan"]


def build(kind: str, name: str, **kwargs):
    """Build through the registry, passing only the context arguments the factory names."""
    item = registry().get(kind, name)
    context = {k: v for k, v in kwargs.items() if k in item.parameters()}
    return item.create(**context)


def native_resolution(name: str) -> int:
    return {"unet-128": 128, "unet-256": 256}.get(name, 32)


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_translates_to_image_of_target_shape(name: str) -> None:
    resolution = native_resolution(name)
    G = build("generator", name, resolution=resolution, channels=3, condition=Condition("image", 1), base_channels=4)
    out = G(None, torch.randn(2, 1, resolution, resolution))
    assert out.shape == (2, 3, resolution, resolution)
    assert out.abs().max() <= 1  # tanh output
    assert registry().get("generator", name).ports.input == "image"


@pytest.mark.parametrize("resolution", [8, 16, 64])
def test_unet_depth_reaches_a_one_pixel_bottleneck(resolution: int) -> None:
    G = UNetGenerator(resolution, 3, IMAGE, base_channels=4)
    sizes = []
    G.downs[-1].register_forward_hook(lambda module, args, out: sizes.append(out.shape[-1]))
    G(None, torch.randn(1, 3, resolution, resolution))
    assert sizes == [1]


def test_unet_refuses_resolution_that_is_not_a_power_of_two() -> None:
    with pytest.raises(ValueError, match="power-of-two resolution"):
        UNetGenerator(48, 3, IMAGE)


def test_unet_skip_connections_carry_the_input_past_a_blocked_bottleneck() -> None:
    G = UNetGenerator(32, 3, IMAGE, base_channels=4, dropout=0.0)
    G.downs[-1].register_forward_hook(lambda module, args, out: torch.zeros_like(out))
    x = torch.randn(1, 3, 32, 32, requires_grad=True)
    G(None, x)[0, :, 16, 16].sum().backward()
    # with nothing passing the bottleneck, the input still reaches the output through the skips
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_generator_dropout_is_noise_that_stays_on_at_test_time() -> None:
    source = torch.randn(1, 3, 32, 32)
    noisy = UNetGenerator(32, 3, IMAGE, base_channels=4).eval()
    assert not torch.equal(noisy(None, source), noisy(None, source))
    quiet = UNetGenerator(32, 3, IMAGE, base_channels=4, dropout=0.0).eval()
    assert torch.equal(quiet(None, source), quiet(None, source))


@pytest.mark.parametrize("layers", [0, 2, 3, 9])
def test_unet_dropout_sits_on_the_decoder_layers_next_to_the_bottleneck(layers: int) -> None:
    G = UNetGenerator(32, 3, IMAGE, base_channels=4, dropout_layers=layers)
    with_dropout = [any(isinstance(m, NoiseDropout) for m in up.modules()) for up in G.ups]
    # the outermost layer (to the image) never has dropout
    assert with_dropout == [step < layers and step < len(G.ups) - 1 for step in range(len(G.ups))]


def test_unet_refuses_a_negative_count_of_dropout_layers() -> None:
    with pytest.raises(ValueError, match="dropout_layers must be >= 0, got -1"):
        UNetGenerator(32, 3, IMAGE, dropout_layers=-1)


@pytest.mark.parametrize("name", ["unet", "resnet-6blocks"])
def test_generator_translates_each_image_alone_at_test_time(name: str) -> None:
    """BatchNorm uses each image's own statistics in eval mode (the paper's test batch of one)."""
    G = build("generator", name, resolution=32, channels=3, condition=IMAGE, base_channels=4, dropout=0.0)
    sources = torch.randn(3, 3, 32, 32)
    G.eval()
    together = G(None, sources)
    alone = torch.cat([G(None, source[None]) for source in sources])
    assert torch.allclose(together, alone, atol=1e-5)
    G.train()  # training normalises over the batch, as BatchNorm does
    assert not torch.allclose(G(None, sources), together, atol=1e-3)
    assert torch.allclose(G(None, sources[:1]), together[:1], atol=1e-5)  # a batch of one is the same


def test_resnet_refuses_resolution_not_divisible_by_four() -> None:
    with pytest.raises(ValueError, match="divisible by 4"):
        build("generator", "resnet-6blocks", resolution=30, channels=3, condition=IMAGE)


def test_generators_refuse_a_non_image_condition() -> None:
    with pytest.raises(ValueError, match="needs an image condition"):
        build("generator", "unet", resolution=32, channels=3, condition=Condition("class", 10))


def receptive_field(D: nn.Module, size: int) -> tuple[int, int]:
    """Rows and columns of the input that the centre logit depends on (gradient support)."""
    D.eval()  # batch statistics would couple every pixel
    x = torch.randn(1, 3, size, size, requires_grad=True)
    logits = D(x)
    logits[0, 0, logits.shape[2] // 2, logits.shape[3] // 2].backward()
    support = x.grad[0].abs().sum(0) > 0
    return int(support.any(1).sum()), int(support.any(0).sum())


@pytest.mark.parametrize(("n_layers", "field"), [(0, 1), (1, 16), (2, 34), (3, 70)])
def test_patchgan_receptive_field(n_layers: int, field: int) -> None:
    D = PatchDiscriminator(128, 3, n_layers=n_layers, base_channels=4)
    assert receptive_field(D, 128) == (field, field)


def test_patchgan_returns_a_map_of_patch_logits() -> None:
    D = build("discriminator", "patchgan", resolution=256, channels=3, condition=IMAGE, base_channels=4)
    assert D(torch.randn(1, 3, 256, 256), torch.randn(1, 3, 256, 256)).shape == (1, 1, 30, 30)


def test_patchgan_refuses_a_resolution_too_small_for_its_layers() -> None:
    with pytest.raises(ValueError, match="needs a resolution >= 24"):
        PatchDiscriminator(16, 3, n_layers=3)


def test_patchgan_sn_normalises_every_convolution() -> None:
    D = build("discriminator", "patchgan-sn", resolution=32, channels=3, condition=IMAGE, base_channels=4)
    convs = [m for m in D.modules() if isinstance(m, nn.Conv2d)]
    assert convs and all(parametrize.is_parametrized(c, "weight") for c in convs)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in D.modules())
    D.train()
    for _ in range(20):  # power iterations converge on the largest singular value
        D(torch.randn(2, 3, 32, 32), torch.randn(2, 3, 32, 32))
    weight = convs[1].weight.detach().flatten(1)
    assert torch.linalg.matrix_norm(weight, ord=2) == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("name", DISCRIMINATORS)
@pytest.mark.parametrize(
    ("condition", "make"),
    [
        (Condition("image", 2), lambda: torch.randn(2, 2, 32, 32)),
        (Condition("embedding", 5), lambda: torch.randn(2, 5)),
        (Condition(), lambda: None),
    ],
)
def test_discriminator_conditions(name: str, condition: Condition, make) -> None:
    D = build("discriminator", name, resolution=32, channels=3, condition=condition, base_channels=4)
    logits = D(torch.randn(2, 3, 32, 32), make())
    assert logits.shape[:2] == (2, 1)
    assert condition.kind in registry().get("discriminator", name).ports.conditions


def test_discriminator_refuses_class_condition_and_a_missing_condition() -> None:
    with pytest.raises(ValueError, match="image, embedding or no condition"):
        PatchDiscriminator(32, 3, Condition("class", 10))
    D = PatchDiscriminator(32, 3, IMAGE, base_channels=4)
    with pytest.raises(ValueError, match="built for a image condition but got none"):
        D(torch.randn(1, 3, 32, 32))


@pytest.mark.parametrize("name", GENERATORS[:1] + GENERATORS[3:4] + DISCRIMINATORS)
def test_every_parameter_gets_a_gradient(name: str) -> None:
    kind = "generator" if name in GENERATORS else "discriminator"
    net = build(kind, name, resolution=32, channels=3, condition=IMAGE, base_channels=4)
    images = torch.randn(2, 3, 32, 32)
    out = net(None, images) if kind == "generator" else net(images, images)
    out.square().mean().backward()
    missing = [n for n, p in net.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing


def test_weights_follow_the_papers_initialisation() -> None:
    G = UNetGenerator(64, 3, IMAGE)
    weights = torch.cat([m.weight.detach().flatten() for m in G.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))])
    assert weights.mean().abs() < 1e-3
    assert weights.std() == pytest.approx(0.02, rel=0.05)
