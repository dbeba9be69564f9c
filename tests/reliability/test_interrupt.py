"""Ctrl-C saves a checkpoint at the step boundary and says how to resume (a second one stops at
once); training that goes non-finite stops naming the step and the part, keeping the last good
checkpoint."""

from __future__ import annotations

import json
import signal

import pytest
import torch

from ganzoo.presets import load_book
from ganzoo.runs.checkpoint import load_checkpoint
from ganzoo.train.loop import Trainer, TrainingError
from tests.reliability.procs import finish, start, wait_for_step

#: a run whose only checkpoint would come at its end (like a short StackGAN run)
LONG = ["--quiet", "--device", "cpu", "--steps", 100000, "--set", "checkpoint_every=100000", "--set", "sample_every=100000"]


def test_ctrl_c_saves_and_says_how_to_resume(tmp_path):
    run = tmp_path / "run"
    process = start(["train", "tiny", "--out", run, *LONG], tmp_path)
    assert wait_for_step(run, process, 4)
    process.send_signal(signal.SIGINT)
    code, output = finish(process)
    assert code == 130, output
    assert "Traceback" not in output and len(output.strip().splitlines()) == 1, output
    step = load_checkpoint(run)["step"]
    assert f"interrupted at step {step} of 100000; checkpoint saved. Continue with: ganzoo train --resume {run}" in output
    code, output = finish(start(["train", "--resume", run, "--quiet", "--steps", step + 2], tmp_path))
    assert code == 0, output
    assert load_checkpoint(run)["step"] == step + 2


def test_second_ctrl_c_stops_at_once(tmp_path):
    run = tmp_path / "run"
    process = start(["train", "tiny", "--out", run, *LONG], tmp_path)
    assert wait_for_step(run, process, 2)
    process.send_signal(signal.SIGINT)
    process.send_signal(signal.SIGINT)
    code, output = finish(process)
    assert code == 130, output
    assert "Traceback" not in output, output
    assert not (run / ".lock").exists() and not list(run.glob(".*.tmp"))


def poisoned(trainer: Trainer, from_step: int, what: str) -> None:
    """From ``from_step`` on, make the generator's loss NaN (``loss``) or put an infinity into its
    parameters after its optimiser step (``params``)."""
    phase_loss, after_step = trainer.task.phase_loss, trainer.task.after_step

    def loss_of(phase, nets, batch):
        loss, stats = phase_loss(phase, nets, batch)
        if what == "loss" and phase == "G" and trainer.step >= from_step:
            loss = loss * float("nan")
            stats = {**stats, "G/loss": loss.detach()}
        return loss, stats

    def after(phase, nets):
        after_step(phase, nets)
        if what == "params" and phase == "G" and trainer.step >= from_step:
            with torch.no_grad():
                next(nets["generator"].parameters()).view(-1)[0] = float("inf")

    trainer.task.phase_loss, trainer.task.after_step = loss_of, after


@pytest.mark.parametrize(("what", "part"), [("loss", "G/loss is nan"), ("params", "the parameters of generator are not finite")])
def test_non_finite_training_stops_and_keeps_the_last_good_checkpoint(tiny_host, in_tmp, what, part):
    # tiny: log every 2 steps, checkpoint every 3; poisoned from the 5th step, seen at the log of step 6
    trainer = Trainer(load_book().resolve("tiny", {"steps": 12}), in_tmp / "run")
    poisoned(trainer, 4, what)
    with pytest.raises(TrainingError) as error:
        trainer.run()
    message = str(error.value)
    assert message.startswith("step 6: training went non-finite (") and part in message, message
    assert "the last good checkpoint (step 3) is kept" in message
    state = load_checkpoint(in_tmp / "run")
    assert state["step"] == 3
    assert all(torch.isfinite(t).all() for t in state["nets"]["generator"].values())
    assert not (in_tmp / "run" / ".lock").exists()
    logged = [json.loads(line)["step"] for line in (in_tmp / "run" / "metrics.jsonl").read_text().splitlines()]
    assert logged == [2, 4]
