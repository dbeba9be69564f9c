"""UGATIT networks and task: shapes, CAM, rho clipping, spectral norm, one full training step."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from ganzoo_ugatit.nets import AdaLIN, LayerInstanceNorm, UGATITDiscriminator, UGATITGenerator, heatmap_image
from ganzoo_ugatit.task import DISCRIMINATORS, GENERATORS, UGATITTask
from PIL import Image
from torch import nn
from torch.nn.utils import parametrize

from ganzoo import plugins
from ganzoo.build import build_model
from ganzoo.cli import cli
from ganzoo.config import ComponentConfig, TrainConfig
from ganzoo.interfaces import Condition
from ganzoo.mix import MixError, check_mix
from ganzoo.registry import Component
from ganzoo.resolve import checked
from ganzoo.testing import check_discriminator, components_of, declared_cases

RES = 16
TINY_GENERATOR = {"base_channels": 4, "n_blocks": 1}
TINY_NETS = {
    "gen_ab": {"name": "ugatit-light", **TINY_GENERATOR},
    "gen_ba": {"name": "ugatit", **TINY_GENERATOR},
    "disc_ga": {"name": "ugatit-global", "n_layers": 4, "base_channels": 4},
    "disc_la": {"name": "ugatit-local", "n_layers": 3, "base_channels": 4},
    "disc_gb": {"name": "ugatit-global", "n_layers": 4, "base_channels": 4},
    "disc_lb": {"name": "ugatit-local", "n_layers": 3, "base_channels": 4},
}


def tiny_config(**nets: dict) -> TrainConfig:
    chosen = {**TINY_NETS, **nets}
    return TrainConfig(
        preset="test",
        task=ComponentConfig("ugatit"),
        dataset=ComponentConfig("shapes-unpaired"),
        nets={role: ComponentConfig.parse(value, role) for role, value in chosen.items()},
        loss=ComponentConfig("lsgan"),
        resolution=RES,
    )


def build_tiny() -> tuple[UGATITTask, dict[str, nn.Module]]:
    model = build_model(checked(tiny_config(), plugins.registry()), source=Condition())
    assert isinstance(model.task, UGATITTask)
    return model.task, model.nets


def images(batch: int = 2) -> torch.Tensor:
    return torch.rand(batch, 3, RES, RES) * 2 - 1


@pytest.mark.parametrize("light", [False, True])
def test_generator_outputs_image_cam_logits_and_heatmap(light: bool) -> None:
    torch.manual_seed(0)
    generator = UGATITGenerator(RES, 3, Condition("image", 3), base_channels=4, n_blocks=2, light=light)
    source = images(3)
    out = generator.forward_with_cam(source)
    assert out.output.shape == (3, 3, RES, RES)
    assert out.output.abs().max() <= 1
    assert out.cam_logit.shape == (3, 2)
    assert out.heatmap.shape == (3, 1, RES // 4, RES // 4)
    torch.testing.assert_close(generator(None, source), out.output)


def test_generator_refuses_a_missing_source_and_odd_resolution() -> None:
    with pytest.raises(ValueError, match="condition"):
        UGATITGenerator(RES, 3, base_channels=4, n_blocks=1)(None, None)
    with pytest.raises(ValueError, match="multiple of 4"):
        UGATITGenerator(18, 3)


@pytest.mark.parametrize("n_layers, patch", [(3, 6), (4, 2)])
def test_discriminator_patch_logits_and_cam(n_layers: int, patch: int) -> None:
    disc = UGATITDiscriminator(RES, 3, n_layers, base_channels=4)
    out = disc.forward_with_cam(images(2))
    assert out.output.shape == (2, 1, patch, patch)
    assert out.cam_logit.shape == (2, 2)
    assert out.heatmap.shape == (2, 1, patch + 1, patch + 1)


def test_discriminator_refuses_a_depth_the_resolution_cannot_hold() -> None:
    with pytest.raises(ValueError, match=r"n_layers=7 does not fit 32 px; use 3 <= n_layers <= 5"):
        UGATITDiscriminator(32, 3, 7)


def test_discriminators_are_spectrally_normalised() -> None:
    disc = UGATITDiscriminator(RES, 3, 4, base_channels=4)
    weighted = [m for m in disc.modules() if isinstance(m, (nn.Conv2d, nn.Linear)) and m is not disc.cam.fuse]
    assert len(weighted) == 6  # 3 encoder convs, 2 CAM classifiers, the output conv
    assert all(parametrize.is_parametrized(m, "weight") for m in weighted)


def test_heatmap_image_fills_the_range_per_sample() -> None:
    heat = torch.stack([torch.arange(16.0).view(1, 4, 4), -torch.arange(16.0).view(1, 4, 4) * 5])
    image = heatmap_image(heat, (16, 16), 3)
    assert image.shape == (2, 3, 16, 16)
    for sample in image:
        assert sample.min() == pytest.approx(-1) and sample.max() == pytest.approx(1)


def test_task_refuses_networks_without_cam() -> None:
    with pytest.raises(MixError, match="needs cam from its gen_ab"):
        check_mix(tiny_config(gen_ab={"name": "resnet"}), plugins.registry())


def test_one_step_updates_all_six_networks_with_finite_gradients() -> None:
    torch.manual_seed(0)
    task, nets = build_tiny()
    before = {role: [p.detach().clone() for p in net.parameters()] for role, net in nets.items()}
    optimisers = {
        phase.name: torch.optim.Adam([p for role in phase.roles for p in nets[role].parameters()], lr=1e-2)
        for phase in task.phases
    }
    batch = {"a": images(2), "b": images(2)}
    assert [phase.name for phase in task.phases] == ["D", "G"]
    for phase in task.phases:
        for net in nets.values():
            net.zero_grad(set_to_none=True)
        loss, stats = task.phase_loss(phase.name, nets, batch)
        assert torch.isfinite(loss)
        loss.backward()
        for role in phase.roles:
            grads = [p.grad for p in nets[role].parameters() if p.grad is not None]
            assert grads, f"{role} got no gradient in phase {phase.name}"
            assert all(torch.isfinite(g).all() for g in grads)
        optimisers[phase.name].step()
        task.after_step(phase.name, nets)
    assert {"G/cycle", "G/identity", "G/cam", "G/adv"} <= set(stats)
    for role in (*GENERATORS, *DISCRIMINATORS):
        changed = any(not torch.equal(old, new) for old, new in zip(before[role], nets[role].parameters()))
        assert changed, f"{role} was not updated"


def test_rho_is_clipped_to_unit_interval_after_generator_steps_only() -> None:
    task, nets = build_tiny()
    norms = [m for role in GENERATORS for m in nets[role].modules() if isinstance(m, (AdaLIN, LayerInstanceNorm))]
    assert norms
    with torch.no_grad():
        for index, norm in enumerate(norms):
            norm.rho.fill_(1.7 if index % 2 else -0.4)
    task.after_step("D", nets)
    assert any(norm.rho.min() < 0 for norm in norms)
    task.after_step("G", nets)
    assert all(0 <= norm.rho.min() and norm.rho.max() <= 1 for norm in norms)
    assert {float(norm.rho.detach().flatten()[0]) for norm in norms} == {0.0, 1.0}


def test_render_shows_both_directions_with_heatmaps() -> None:
    task, nets = build_tiny()
    fixed = task.fixed_inputs({"a": images(3), "b": images(3)}, 0, torch.Generator())
    grid = task.render(nets, fixed)
    assert list(grid) == ["a", "a_to_b", "a_heatmap", "b", "b_to_a", "b_heatmap"]
    assert all(column.shape == (3, 3, RES, RES) for column in grid.values())


@pytest.mark.parametrize("direction, role", [("AtoB", "gen_ab"), ("BtoA", "gen_ba")])
def test_translate_picks_the_generator_of_the_direction(direction: str, role: str) -> None:
    task, nets = build_tiny()
    source = images(2)
    out = task.translate(nets, source, direction)
    assert list(out.extras) == [extra.name for extra in task.extras] == ["heatmap"]
    torch.testing.assert_close(out.output, nets[role](None, source))
    assert out.extras["heatmap"].shape == source.shape


def test_translate_refuses_an_unknown_direction() -> None:
    task, nets = build_tiny()
    with pytest.raises(ValueError, match="AtoB or BtoA, not direction 'AB'"):
        task.translate(nets, images(1), "AB")


def test_negative_loss_weight_is_refused() -> None:
    with pytest.raises(ValueError, match="cycle_weight must be >= 0"):
        UGATITTask(plugins.registry().create("loss", "lsgan"), cycle_weight=-1)


@pytest.mark.parametrize("item", components_of("ganzoo-ugatit", "discriminator"), ids=lambda item: item.name)
def test_discriminators_pass_the_conformance_checks(item: Component) -> None:
    for resolution, channels, condition in declared_cases(item):
        check_discriminator(item, resolution, channels, condition, n_layers=4, base_channels=4)


def test_train_then_translate_both_ways_with_heatmaps(tmp_path: Path) -> None:
    tiny = [f"nets.{role}.base_channels=4" for role in UGATITTask.roles]
    tiny += [f"nets.{role}.n_blocks=1" for role in GENERATORS]
    run = tmp_path / "run"
    result = CliRunner().invoke(
        cli, ["train", "ugatit", "--device", "cpu", "--steps", "2", "--batch-size", "2", "--resolution", "16",
              "--set", "dataset.count=8", "--set", "nets.disc_ga.n_layers=4", "--set", "nets.disc_gb.n_layers=4",
              *(arg for option in tiny for arg in ("--set", option)), "--out", str(run), "--quiet"],
    )
    assert result.exit_code == 0, result.output
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    Image.new("RGB", (20, 20), (220, 40, 40)).save(inputs / "red.png")
    for direction in ("AtoB", "BtoA"):
        out = tmp_path / direction
        result = CliRunner().invoke(cli, ["translate", str(run), str(inputs), "--direction", direction, "--heatmap",
                                          "-o", str(out), "--device", "cpu"])
        assert result.exit_code == 0, result.output
        assert Image.open(out / "red.png").size == (16, 16)
        assert Image.open(out / "red-heatmap.png").size == (16, 16)
    # --heatmap is short for --extra heatmap; an extra the model does not declare is refused with those it does
    result = CliRunner().invoke(cli, ["translate", str(run), str(inputs), "--extra", "heatmap", "-o", str(tmp_path / "x"), "--device", "cpu"])
    assert result.exit_code == 0 and (tmp_path / "x" / "red-heatmap.png").is_file(), result.output
    result = CliRunner().invoke(cli, ["translate", str(run), str(inputs), "--extra", "depth", "-o", str(tmp_path / "y"), "--device", "cpu"])
    assert result.exit_code == 1 and "--extra depth: this model has no such extra output; it declares: heatmap (where" in result.output
    assert not (tmp_path / "y").exists()
