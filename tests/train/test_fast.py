"""The fast (static) step agrees with the eager step, falls back with one line, and resumes exactly.

On the CPU the static step runs eagerly: the batch comes from the device index buffer, Adam reads a
learning-rate tensor the schedule fills in place, statistics accumulate into in-place buffers. With
the same seed both paths must leave bit-identical weights, EMA, optimiser state and statistics.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch

from ganzoo.config import FAST_AUTO_ON_CUDA
from ganzoo.data.base import InMemoryDataset
from ganzoo.errors import GanzooError
from ganzoo.presets import load_book
from ganzoo.runs.checkpoint import load_checkpoint
from ganzoo.train import fast as fast_module
from ganzoo.train.batches import Batches
from ganzoo.train.fast import capture_blocker
from ganzoo.train.loop import Trainer
from ganzoo.train.runtime import fast_enabled

REPO = Path(__file__).resolve().parents[2]
TEXT = {"task": "text-conditional", "conditioner": {"name": "learned", "dim": 8, "width": 4}}


def flat_state(trainer: Trainer) -> dict[str, torch.Tensor]:
    """Every tensor a step changes: weights, buffers, EMA, optimiser slots and learning rates."""
    state = trainer.state_dict()
    out = {}
    for group in ("nets", "ema"):
        for role, tensors in state[group].items():
            out.update({f"{group}.{role}.{key}": value for key, value in tensors.items()})
    for phase, opt in state["optim"].items():
        for index, slots in opt["state"].items():
            out.update({f"optim.{phase}.{index}.{key}": torch.as_tensor(value) for key, value in slots.items()})
        out[f"lr.{phase}"] = torch.as_tensor(float(trainer.optimizers[phase].param_groups[0]["lr"]), dtype=torch.float64)
    return out


def assert_identical(eager: Trainer, fast: Trainer) -> None:
    a, b = flat_state(eager), flat_state(fast)
    assert a.keys() == b.keys()
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, different[:5]
    assert eager.stats.read() == fast.stats.read()


def train(preset: str, run_dir: Path, fast: str, steps: int = 4, cwd: Path | None = None, **overrides: Any) -> Trainer:
    config = load_book(cwd=cwd).resolve(preset, {"device": "cpu", "steps": steps, "fast": fast, **overrides})
    trainer = Trainer(config, run_dir)
    for _ in range(steps):
        trainer.train_step()
    return trainer


CORE_CASES = {
    "unconditional": ("tiny", {}),
    "class-ema-augment": ("tiny-class", {}),
    "text": ("tiny", TEXT),
    "paired": ("tiny-paired", {}),
    "n_critic-r1": ("tiny", {"n_critic": 2, "task.r1_gamma": 1.0}),
    "ema-start-linear-schedule": ("tiny-class", {"ema_start": 2, "schedule": {"kind": "linear", "decay_start": 0.25}}),
    "step-schedule": ("tiny", {"schedule": {"kind": "step", "every": 2, "gamma": 0.5}}),
}


@pytest.mark.parametrize("case", list(CORE_CASES))
def test_static_step_matches_the_eager_step(tiny_host, in_tmp, case):
    preset, overrides = CORE_CASES[case]
    eager = train(preset, in_tmp / "eager", "off", **overrides)
    fast = train(preset, in_tmp / "fast", "on", **overrides)
    assert eager.fast is None and fast.fast is not None
    assert isinstance(fast.optimizers["D"].param_groups[0]["lr"], torch.Tensor)
    assert_identical(eager, fast)


def test_schedule_updates_the_learning_rate_tensor_in_place(tiny_host, in_tmp):
    config = load_book().resolve("tiny", {"device": "cpu", "fast": "on", "schedule": {"kind": "step", "every": 1, "gamma": 0.5}})
    trainer = Trainer(config, in_tmp / "run")
    lr = trainer.optimizers["G"].param_groups[0]["lr"]
    trainer.train_step()
    trainer.train_step()
    assert trainer.optimizers["G"].param_groups[0]["lr"] is lr
    assert float(lr) == pytest.approx(2e-4 * 0.25)


def test_ugatit_static_step_matches_eager(in_tmp):
    pytest.importorskip("ganzoo_ugatit")
    overrides: dict[str, Any] = {"resolution": 32, "batch_size": 2, "sample_count": 2, "ema": 0.9}
    for role in ("gen_ab", "gen_ba", "disc_ga", "disc_gb", "disc_la", "disc_lb"):
        overrides[f"nets.{role}.base_channels"] = 4
    for role in ("gen_ab", "gen_ba"):
        overrides[f"nets.{role}.n_blocks"] = 1
    eager = train("ugatit", in_tmp / "eager", "off", steps=2, cwd=REPO, **overrides)
    fast = train("ugatit", in_tmp / "fast", "on", steps=2, cwd=REPO, **overrides)
    assert len(eager.nets) == 6
    assert_identical(eager, fast)


def test_stackgan_stage2_on_a_frozen_stage1_matches_eager(in_tmp):
    pytest.importorskip("ganzoo_stackgan")
    overrides = {
        "resolution": 64, "batch_size": 2, "sample_count": 2, "dataset.count": 8, "conditioner.dim": 8, "conditioner.width": 4,
        "nets.generator.stage1.base_channels": 2, "nets.generator.base_channels": 2, "nets.generator.residual_blocks": 1,
        "nets.discriminator.base_channels": 1, "nets.discriminator.text_dim": 4,
        "init_from": {}, "freeze": ["generator.stage1", "conditioner"], "ema": 0.5,
    }
    eager = train("stackgan-stage2", in_tmp / "eager", "off", steps=2, cwd=REPO, **overrides)
    fast = train("stackgan-stage2", in_tmp / "fast", "on", steps=2, cwd=REPO, **overrides)
    assert not any(p.requires_grad for p in fast.nets["generator"].stage1.parameters())
    assert_identical(eager, fast)


#: the text-conditional runs of the issue at toy sizes: the preset's own mix, shrunk.
STACKGAN_SMALL = {
    "resolution": 16, "batch_size": 4, "sample_count": 2, "dataset.count": 8, "conditioner.dim": 8, "conditioner.width": 4,
    "nets.generator.base_channels": 2, "nets.generator.condition_dim": 4, "nets.discriminator.base_channels": 2,
    "nets.discriminator.text_dim": 4,
}
TEXT_RUNS = {
    "stackgan": ("stackgan", STACKGAN_SMALL),
    "stackgan-patchgan-sn": ("stackgan", {**{k: v for k, v in STACKGAN_SMALL.items() if not k.startswith("nets.discriminator")},
                                          "nets.discriminator": {"name": "patchgan-sn", "base_channels": 2, "n_layers": 1,
                                                                 "embedding_channels": 2}}),
    "lsgan-sn-text": ("lsgan-sn-text", {"resolution": 32, "batch_size": 4, "sample_count": 2, "dataset.count": 8,
                                        "conditioner.dim": 8, "conditioner.width": 4, "nets.generator.width": 2, "nets.generator.latent_dim": 8,
                                        "nets.discriminator.width": 2, "augment": {"flip": True}}),
}


def tiny_clip_file(folder: Path) -> Path:
    """The tiny random CLIP of the conditioner tests, saved as a weights file (no download)."""
    from tests.conditioning.test_conditioners import tiny_clip

    path = folder / "tiny-clip.pt"
    torch.save(tiny_clip().state_dict(), path)
    return path


def text_run(case: str, folder: Path) -> tuple[str, dict[str, Any]]:
    if case == "clip":
        return "stackgan", {**STACKGAN_SMALL, "conditioner": {"name": "clip", "weights": str(tiny_clip_file(folder))}}
    return TEXT_RUNS[case]


@pytest.mark.parametrize("case", [*TEXT_RUNS, "clip"])
def test_text_conditional_runs_take_the_static_step_and_match_eager(in_tmp, case):
    """The captions are prepared once, so nothing but the CPU keeps these runs from a CUDA graph,
    and the static step (eager here) leaves bit-identical weights, optimiser state and statistics."""
    pytest.importorskip("ganzoo_stackgan")
    pytest.importorskip("ganzoo_pix2pix")
    preset, overrides = text_run(case, in_tmp)
    eager = train(preset, in_tmp / "eager", "off", steps=3, cwd=REPO, **overrides)
    fast = train(preset, in_tmp / "fast", "on", steps=3, cwd=REPO, **overrides)
    assert not fast.batches.host_fields and isinstance(fast.batches.at(0)["caption"], dict)
    assert capture_blocker(torch.device("cuda"), 1, fast.batches) is None
    assert isinstance(fast.fixed["raw"], list)  # the sample grid keeps the captions' text
    assert_identical(eager, fast)


def test_text_run_resumes_exactly_with_the_fast_step(in_tmp):
    """A stackgan run stopped after 2 steps and resumed ends where an uninterrupted one does: which
    caption each image shows comes from the step, and the prepared captions come from the cache."""
    pytest.importorskip("ganzoo_stackgan")
    book = load_book(cwd=REPO)
    settings = {**STACKGAN_SMALL, "device": "cpu", "fast": "on", "checkpoint_every": 2, "sample_every": 100, "log_every": 2}
    straight = Trainer(book.resolve("stackgan", {**settings, "steps": 4}), in_tmp / "straight")
    straight.run()
    Trainer(book.resolve("stackgan", {**settings, "steps": 2}), in_tmp / "resumed").run()
    resumed = Trainer(book.resolve("stackgan", {**settings, "steps": 4}), in_tmp / "resumed", resume=True)
    resumed.run()
    a, b = flat_state(straight), flat_state(resumed)
    assert not [k for k in a if not torch.equal(a[k], b[k])]


@pytest.mark.parametrize("first", ["on", "off"])
def test_resume_with_the_fast_step_is_exact(tiny_host, in_tmp, first):
    """A run stopped and resumed (with the fast step, from a fast or an eager checkpoint) ends
    exactly where an uninterrupted fast run does."""
    config = load_book().resolve("tiny-class", {"device": "cpu", "steps": 6, "fast": "on"})
    straight = Trainer(config, in_tmp / "straight")
    straight.run()
    config = load_book().resolve("tiny-class", {"device": "cpu", "steps": 3, "fast": first})
    Trainer(config, in_tmp / "resumed").run()
    config = load_book().resolve("tiny-class", {"device": "cpu", "steps": 6, "fast": "on"})
    resumed = Trainer(config, in_tmp / "resumed")
    resumed.load_state_dict(load_checkpoint(in_tmp / "resumed"))
    held = resumed.optimizers["D"].param_groups[0]["lr"]
    resumed.run()
    assert resumed.optimizers["D"].param_groups[0]["lr"] is held  # the tensor a graph reads stays put
    a, b = flat_state(straight), flat_state(resumed)
    assert not [k for k in a if not torch.equal(a[k], b[k])]
    assert torch.equal(straight.batches.rng.get_state(), resumed.batches.rng.get_state())


def test_eager_run_resumes_a_fast_checkpoint_with_float_learning_rates(tiny_host, in_tmp):
    config = load_book().resolve("tiny", {"device": "cpu", "steps": 3, "fast": "on"})
    Trainer(config, in_tmp / "run").run()
    config = load_book().resolve("tiny", {"device": "cpu", "steps": 6, "fast": "off"})
    resumed = Trainer(config, in_tmp / "run", resume=True)
    assert all(type(opt.param_groups[0]["lr"]) is float for opt in resumed.optimizers.values())
    resumed.run()
    assert resumed.step == 6


def test_auto_is_on_for_cuda_only_and_bad_modes_are_refused():
    assert not fast_enabled("auto", torch.device("cpu"))
    assert fast_enabled("auto", torch.device("cuda")) == FAST_AUTO_ON_CUDA  # off until a GPU parity run
    assert fast_enabled("on", torch.device("cpu")) and not fast_enabled("off", torch.device("cuda"))
    with pytest.raises(GanzooError, match="auto, on, off"):
        fast_enabled("fastest", torch.device("cpu"))


class ItemsOnly(torch.utils.data.Dataset):
    """A map-style dataset of dict items that does not declare DeviceBatching."""

    def __init__(self, data: InMemoryDataset) -> None:
        self.data = data

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.data[index]


def batches(captions: Any = None, flip: bool = False, device_batching: bool = True) -> Batches:
    images = {"image": torch.arange(2 * 3 * 8 * 8).reshape(2, 3, 8, 8).to(torch.uint8)}
    data = InMemoryDataset(images, resolution=8, captions=captions, labels=torch.tensor([0, 1]), num_classes=2)
    config = SimpleNamespace(batch_size=2, resolution=8, seed=0, augment=SimpleNamespace(flip=flip, jitter=0))
    return Batches(data if device_batching else ItemsOnly(data), config, torch.device("cpu"))


@pytest.mark.parametrize(("device", "world", "kind", "reason"), [
    ("cpu", 1, {}, "no CUDA graphs on cpu"),
    ("cuda", 2, {"nccl": (2, 8, 4)}, "NCCL 2.8.4 cannot capture (2.9.6 or later can)"),
    ("cuda", 2, {"nccl": ()}, "NCCL none cannot capture"),
    ("cuda", 1, {"captions": [["a red square"], ["a blue circle"]]}, "(caption: Python strings made on the host"),
    ("cuda", 1, {"device_batching": False}, "no DeviceBatching dataset"),
])
def test_what_cannot_be_captured_says_why_in_one_line(device, world, kind, reason, monkeypatch):
    kind = dict(kind)
    if "nccl" in kind:
        version = kind.pop("nccl")
        monkeypatch.setattr(fast_module, "nccl_version", lambda: version)
    note = capture_blocker(torch.device(device), world, batches(**kind))
    assert reason in note and "\n" not in note and note.endswith("the static step runs eagerly")


def test_a_capturable_run_has_no_blocker(monkeypatch):
    assert capture_blocker(torch.device("cuda"), 1, batches(flip=True)) is None
    monkeypatch.setattr(fast_module, "nccl_version", lambda: (2, 21, 5))
    assert capture_blocker(torch.device("cuda"), 4, batches(flip=True)) is None  # the all-reduce is captured with the step


def test_a_dataset_without_device_batching_gives_the_same_batches_from_the_host():
    device, host = batches(), batches(device_batching=False)
    assert not device.on_host and host.on_host
    for step in range(3):
        a, b = device.at(step), host.at(step)
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_fast_on_the_cpu_notes_that_it_runs_eagerly(tiny_host, in_tmp):
    config = load_book().resolve("tiny", {"device": "cpu", "fast": "on"})
    assert "static step runs eagerly" in Trainer(config, in_tmp / "run").fast.note
    config = load_book().resolve("tiny", {"device": "cpu"})
    assert Trainer(config, in_tmp / "auto").fast is None


def test_train_flags_set_the_fast_mode(tiny_host, in_tmp):
    from click.testing import CliRunner

    from ganzoo.cli import cli

    for flag, mode in (("--fast", "on"), ("--no-fast", "off"), (None, "auto")):
        args = ["train", "tiny", "--dry-run"] + ([flag] if flag else [])
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        assert json.loads(result.output[:result.output.rindex("}") + 1])["fast"] == mode
