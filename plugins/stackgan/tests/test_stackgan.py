"""StackGAN networks: shapes at every declared size, gradients, the text joined at 4x4,
conditioning augmentation's KL, the frozen Stage-I inside Stage-II, and the two-stage sampling chain."""

from __future__ import annotations

import pytest
import torch
from ganzoo_stackgan.stage1 import StageOneGenerator, TextMatchingDiscriminator
from ganzoo_stackgan.stage2 import StageTwoGenerator
from ganzoo_stackgan.task import StackedTextConditionalTask

from ganzoo.interfaces import Condition
from ganzoo.plugins import registry
from ganzoo.registry import RegistryError
from ganzoo.testing import check_discriminator, check_generator, declared_cases

EMBEDDING = Condition("embedding", 12)
TINY_STAGE1 = {"name": "stackgan-stage1", "base_channels": 4, "latent_dim": 8, "condition_dim": 6}


def stage1(resolution: int = 16) -> StageOneGenerator:
    return StageOneGenerator(resolution, 3, EMBEDDING, latent_dim=8, condition_dim=6, base_channels=4)


def stage2(resolution: int = 64) -> StageTwoGenerator:
    return StageTwoGenerator(resolution, 3, EMBEDDING, stage1=TINY_STAGE1, condition_dim=6, base_channels=4, residual_blocks=2)


@pytest.mark.parametrize(("resolution", "channels", "condition"), declared_cases(registry().get("generator", "stackgan-stage1")))
def test_stage1_generator_conforms(resolution: int, channels: int, condition: Condition) -> None:
    check_generator(registry().get("generator", "stackgan-stage1"), resolution, channels, condition, base_channels=2, latent_dim=4)


@pytest.mark.parametrize(("resolution", "channels", "condition"), declared_cases(registry().get("generator", "stackgan-stage2")))
def test_stage2_generator_conforms(resolution: int, channels: int, condition: Condition) -> None:
    tiny = {"name": "stackgan-stage1", "base_channels": 1, "latent_dim": 4}
    check_generator(registry().get("generator", "stackgan-stage2"), resolution, channels, condition, stage1=tiny, base_channels=2, residual_blocks=1)


@pytest.mark.parametrize(("resolution", "channels", "condition"), declared_cases(registry().get("discriminator", "stackgan")))
def test_discriminator_conforms(resolution: int, channels: int, condition: Condition) -> None:
    check_discriminator(registry().get("discriminator", "stackgan"), resolution, channels, condition, base_channels=2, text_dim=4)


def test_stage1_matches_the_paper_at_64_px() -> None:
    G = StageOneGenerator(64, 3, Condition("embedding", 1024))
    assert G.project[0].out_features == 1024 * 4 * 4  # 4x4 x 8 N_g
    assert [block[1].out_channels for block in G.upsample] == [512, 256, 128, 64]
    assert G.augment.out_dim == 128 and G.latent_dim == 100
    D = TextMatchingDiscriminator(64, 3, Condition("embedding", 1024))
    assert [block[0].out_channels for block in D.encode] == [64, 128, 256, 512]
    assert D.join[0].in_channels == 512 + 128  # image features joined with the 128-d text code


def test_discriminator_uses_the_text_at_4x4() -> None:
    D = TextMatchingDiscriminator(16, 3, EMBEDDING, base_channels=4, text_dim=4).eval()
    image = torch.rand(2, 3, 16, 16) * 2 - 1
    caption = torch.randn(1, 12).expand(2, 12)
    sizes = []
    D.join.register_forward_hook(lambda module, args, out: sizes.append(args[0].shape[-2:]))
    same, other = D(image, caption), D(image, torch.randn(2, 12))
    assert sizes[0] == (4, 4)
    assert not torch.allclose(same, other)


def test_stage2_discriminator_reduces_width_back_to_8x_base() -> None:
    D = TextMatchingDiscriminator(256, 3, EMBEDDING, base_channels=2, text_dim=4)
    assert D.score.in_channels == 16
    assert D(torch.zeros(1, 3, 256, 256), torch.zeros(1, 12)).shape == (1,)


def test_generators_expose_weighted_kl() -> None:
    G = stage1()
    G.augment.kl_weight = 3.0
    G(torch.randn(4, 8), torch.randn(4, 12))
    losses = G.extra_losses()
    assert set(losses) == {"kl"}
    assert losses["kl"].item() == pytest.approx(3.0 * G.augment._kl.item())
    losses["kl"].backward()
    assert G.augment.project[0].weight.grad.abs().sum() > 0


def test_generators_refuse_raw_captions_and_bad_resolutions() -> None:
    with pytest.raises(ValueError, match="embedding condition .*--cond learned"):
        StageOneGenerator(64, 3, Condition("text"))
    with pytest.raises(ValueError, match="resolution of 8 x a power of two.*got 48"):
        StageOneGenerator(48, 3, EMBEDDING)
    with pytest.raises(ValueError, match="stackgan-stage2 generator needs a resolution of 32 x a power of two"):
        StageTwoGenerator(16, 3, EMBEDDING, stage1=TINY_STAGE1)


def test_stage2_refuses_an_unknown_stage1() -> None:
    with pytest.raises(RegistryError, match="unknown generator 'stackgan-stage0'"):
        StageTwoGenerator(64, 3, EMBEDDING, stage1={"name": "stackgan-stage0"})
    with pytest.raises(RegistryError, match="'stackgan-stage1' has no parameter 'depth'"):
        StageTwoGenerator(64, 3, EMBEDDING, stage1={"name": "stackgan-stage1", "depth": 3})


def test_stage2_keeps_stage1_frozen_through_a_training_step() -> None:
    G = stage2().train()
    before = {k: v.clone() for k, v in G.stage1.state_dict().items()}
    assert not G.stage1.training and not any(p.requires_grad for p in G.stage1.parameters())
    optimiser = torch.optim.Adam(G.parameters(), lr=0.1)
    z, caption = torch.randn(4, 8), torch.randn(4, 12)
    loss = G(z, caption).square().mean() + sum(G.extra_losses().values())
    loss.backward()
    optimiser.step()
    after = G.stage1.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # weights and batch-norm statistics
    assert G.refine[0].body[0].weight.grad.abs().sum() > 0  # Stage-II itself did learn


def test_sampling_chains_both_stages() -> None:
    G = stage2().eval()
    z, caption = torch.randn(3, 8), torch.randn(3, 12)
    torch.manual_seed(1)
    images = G.stages(z, caption)
    assert images["stage1"].shape == (3, 3, 16, 16) and images["stage2"].shape == (3, 3, 64, 64)
    torch.manual_seed(1)
    assert torch.allclose(images["stage1"], G.stage1(z, caption))  # Stage-II refines Stage-I's own sample
    assert G.latent_dim == 8


def test_stacked_task_renders_both_stages() -> None:
    loss = registry().create("loss", "bce")
    task = StackedTextConditionalTask(loss, Condition("text"))
    conditioner = registry().create("conditioner", "learned", source=Condition("text"), dim=12, width=4)
    nets = {"generator": stage2().eval(), "conditioner": conditioner}
    grids = task.render(nets, {"z": torch.randn(2, 8), "raw": ["a red circle", "a blue square"]})
    assert {k: tuple(v.shape) for k, v in grids.items()} == {"stage1": (2, 3, 16, 16), "stage2": (2, 3, 64, 64)}


def test_stage2_builds_its_stage1_through_the_registry_in_use() -> None:
    """A Stage-I registered only in a private registry is found: the builder's context, not the
    process-wide registry, builds the nested generator."""
    from ganzoo.build import BuildContext
    from ganzoo.registry import Registry, component

    private = Registry()
    private.add(registry().get("generator", "stackgan-stage2"))
    private.add(component("generator", "private-stage1")(StageOneGenerator))
    assert "private-stage1" not in registry().names("generator")
    build = BuildContext(private)
    generator = build("generator", {"name": "stackgan-stage2", "stage1": {**TINY_STAGE1, "name": "private-stage1"},
                                    "condition_dim": 6, "base_channels": 4, "residual_blocks": 1},
                      resolution=64, channels=3, condition=EMBEDDING)
    assert isinstance(generator.stage1, StageOneGenerator) and generator.stage1.resolution == 16
    with pytest.raises(RegistryError, match="private-stage1"):
        StageTwoGenerator(64, 3, EMBEDDING, stage1={**TINY_STAGE1, "name": "private-stage1"})  # outside any builder: the installed plugins
