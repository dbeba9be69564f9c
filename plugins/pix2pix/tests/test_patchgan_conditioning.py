"""How a PatchGAN takes its condition: a source image joins the input as in pix2pix; a text
embedding is projected to a few channels and joins after the first layer, at little cost."""

from __future__ import annotations

import pytest
import torch
from ganzoo_pix2pix.patchgan import PatchDiscriminator
from torch.nn.utils import parametrize
from torch.utils.flop_counter import FlopCounterMode

from ganzoo.interfaces import Condition


def flops(D: PatchDiscriminator, condition: torch.Tensor | None) -> int:
    with FlopCounterMode(display=False) as counter:
        D(torch.randn(2, D.channels, 64, 64), condition)
    return counter.get_total_flops()


def test_an_image_condition_joins_the_input_unchanged() -> None:
    D = PatchDiscriminator(64, 3, Condition("image", 3))
    shapes = {name: tuple(p.shape) for name, p in D.named_parameters()}
    assert shapes["net.0.weight"] == (64, 6, 4, 4) and shapes["net.2.weight"] == (128, 64, 4, 4)
    assert not any(name.startswith("input.") for name in shapes)  # pix2pix checkpoints load as before


def test_an_embedding_is_projected_and_joined_after_the_first_layer() -> None:
    D = PatchDiscriminator(64, 3, Condition("embedding", 256), embedding_channels=16)
    assert D.net[0].in_channels == 3 and D.net[2].in_channels == 64 + 16
    assert D.input.project[0].in_features == 256 and D.input.project[0].out_features == 16
    image, text = torch.randn(2, 3, 64, 64), torch.randn(2, 256)
    assert D(image, text).shape == (2, 1, 6, 6)
    assert not torch.allclose(D(image, text), D(image, text.roll(1, 0)))  # the logits depend on the text


def test_text_conditioning_costs_little_over_an_unconditional_patchgan() -> None:
    plain = flops(PatchDiscriminator(64, 3), None)
    text = flops(PatchDiscriminator(64, 3, Condition("embedding", 256)), torch.randn(2, 256))
    tiled = flops(PatchDiscriminator(64, 3 + 256), None)  # the whole embedding tiled at full resolution
    assert text < 1.2 * plain < tiled / 2


def test_spectral_norm_covers_the_projection_and_gradients_reach_it() -> None:
    D = PatchDiscriminator(32, 3, Condition("embedding", 8), n_layers=2, base_channels=4, norm="none", spectral_norm=True)
    assert parametrize.is_parametrized(D.input.project[0], "weight")
    D(torch.randn(2, 3, 32, 32), torch.randn(2, 8)).mean().backward()
    assert D.input.project[0].parametrizations.weight.original.grad.abs().sum() > 0


def test_pixelgan_joins_the_embedding_after_its_first_layer() -> None:
    D = PatchDiscriminator(32, 3, Condition("embedding", 8), n_layers=0, base_channels=4, embedding_channels=2)
    assert D.net[0].in_channels == 3 and D.net[2].in_channels == 4 + 2
    assert D(torch.randn(2, 3, 32, 32), torch.randn(2, 8)).shape == (2, 1, 32, 32)


def test_bad_embedding_width_and_missing_embedding_are_refused() -> None:
    with pytest.raises(ValueError, match="embedding_channels must be > 0"):
        PatchDiscriminator(32, 3, Condition("embedding", 8), embedding_channels=0)
    D = PatchDiscriminator(32, 3, Condition("embedding", 8), base_channels=4)
    with pytest.raises(ValueError, match="built for a embedding condition but got none"):
        D(torch.randn(1, 3, 32, 32))
