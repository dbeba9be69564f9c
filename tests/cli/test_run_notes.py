"""What ``ganzoo train`` says about a run before its first step: a resume says where it resumes,
a schedule says when the learning rate decays, TensorBoard says where its events go (issue 22);
sample grids stay a readable size."""

from __future__ import annotations

import sys
import types

import torch
from click.testing import CliRunner
from PIL import Image

from ganzoo.cli import cli
from ganzoo.images import READABLE_SIDE, labelled_grid


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_a_resume_says_where_it_resumes(tiny_host, in_tmp):
    assert invoke("train", "tiny", "--device", "cpu", "--quiet", "--out", "run", "--steps", "3").exit_code == 0
    result = invoke("train", "--resume", "run", "--steps", "6")
    assert result.exit_code == 0, result.output
    assert " ".join(result.output.split()).startswith("resuming tiny at step 3 of 6 on cpu")
    assert "resuming tiny at step 3 of 6" in (in_tmp / "run" / "log.txt").read_text()


def test_a_linear_decay_squeezed_into_steps_is_said(tiny_host, in_tmp):
    result = invoke("train", "tiny", "--device", "cpu", "--out", "run", "--steps", "4", "--set", "schedule.kind=linear")
    assert result.exit_code == 0, result.output
    assert "lr: constant to step 2, then down linearly to 0 at step 4" in " ".join(result.output.split())
    assert "lr/D=0," in result.output  # what the note warned of
    quiet = invoke("train", "tiny", "--device", "cpu", "--out", "run2", "--steps", "4", "--quiet")
    assert "lr:" not in quiet.output  # a constant rate needs no note


def test_a_step_schedule_is_said_only_when_it_drops_within_the_run(tiny_host, in_tmp):
    step = ("--set", "schedule.kind=step", "--set", "schedule.every=2", "--set", "schedule.gamma=0.5")
    result = invoke("train", "tiny", "--device", "cpu", "--out", "run", "--steps", "4", *step)
    assert result.exit_code == 0, result.output
    assert "lr: x 0.5 every 2 steps (2 times in 4 steps)" in " ".join(result.output.split())
    never = invoke("train", "tiny", "--device", "cpu", "--out", "run2", "--steps", "2", *step)
    assert never.exit_code == 0 and "lr:" not in never.output  # the first drop would come after the last step


class FakeWriter:
    """Stands in for torch's SummaryWriter (the tensorboard package is optional)."""

    folders: list[str] = []

    def __init__(self, folder: str) -> None:
        self.folders.append(folder)

    def add_scalar(self, *args) -> None: ...
    def add_image(self, *args, **kwargs) -> None: ...
    def close(self) -> None: ...


def test_tensorboard_switch_says_where_the_events_go(tiny_host, in_tmp, monkeypatch):
    import importlib.util

    missing = invoke("train", "tiny", "--device", "cpu", "--quiet", "--out", "run", "--steps", "2", "--tensorboard")
    if importlib.util.find_spec("tensorboard") is None:
        assert missing.exit_code == 1 and "pip install 'ganzoo-core[tensorboard]'" in missing.output and "--no-tensorboard" in missing.output
    found = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: object() if name == "tensorboard" else found(name, *a))
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", types.SimpleNamespace(SummaryWriter=FakeWriter))
    FakeWriter.folders.clear()
    on = invoke("train", "tiny", "--device", "cpu", "--out", "on", "--steps", "2")
    assert on.exit_code == 0, on.output
    assert "tensorboard: events in on/tensorboard (view: tensorboard --logdir .; off: --no-tensorboard)" in " ".join(on.output.split())
    assert FakeWriter.folders == ["on/tensorboard"]
    off = invoke("train", "tiny", "--device", "cpu", "--out", "off", "--steps", "2", "--no-tensorboard")
    assert off.exit_code == 0 and "tensorboard" not in off.output and FakeWriter.folders == ["on/tensorboard"]


def test_grids_are_capped_to_a_readable_size():
    triples = {kind: torch.zeros(64, 3, 256, 256) for kind in ("input", "output", "target")}
    picture = labelled_grid(triples, max_side=READABLE_SIDE)
    assert max(picture.size) <= READABLE_SIDE + 200  # + the row labels' margin
    assert picture.height < picture.width * 2  # rows of input, output, target still line up: 2 groups of 7
    assert labelled_grid({"samples": torch.zeros(64, 3, 16, 16)}, max_side=READABLE_SIDE).size == Image.new("RGB", (146, 146)).size
