"""A run killed (SIGKILL) at random moments, some of them halfway through a checkpoint write, and
resumed each time ends exactly where an uninterrupted run does: weights, EMA, optimiser state,
random state, running statistics and every line of metrics.jsonl."""

from __future__ import annotations

import json
import random
import signal
import time

import torch

from ganzoo.runs.checkpoint import load_checkpoint
from tests.reliability.procs import finish, start, wait_for_lock, wait_for_step

STEPS = 45
#: tiny-class: class labels, EMA, random crops and flips; statistics logged every 3 steps and
#: checkpoints every 4, so resumes land between log points.
SETTINGS = ["--set", "log_every=3", "--set", "checkpoint_every=4", "--set", "sample_every=1000"]
RANDOM_KILLS = 6
#: attempts (by number) that kill themselves halfway through writing their first checkpoint
DIE_IN_SAVE = {1, 4}


def metrics(run_dir):
    """The log without its one timing field."""
    lines = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [{k: v for k, v in line.items() if k != "img_per_s"} for line in lines]


def assert_same(a, b, where="checkpoint"):
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b), where
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), (where, sorted(a), sorted(b))
        for key in a:
            assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for index, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{index}]")
    else:
        assert a == b, (where, a, b)


def test_killed_and_resumed_run_equals_an_uninterrupted_one(tmp_path):
    code, output = finish(start(["train", "tiny-class", "--quiet", "--device", "cpu", "--steps", STEPS, "--out", "straight", *SETTINGS], tmp_path))
    assert code == 0, output
    run = tmp_path / "killed"
    rng = random.Random(15)
    kills = orphans = 0
    for attempt in range(RANDOM_KILLS + len(DIE_IN_SAVE) + 10):
        if (run / "checkpoint.pt").exists():
            args = ["train", "--resume", run, "--quiet", "--device", "cpu"]
        else:
            args = ["train", "tiny-class", "--quiet", "--device", "cpu", "--steps", STEPS, "--out", run, *SETTINGS]
        dies = attempt in DIE_IN_SAVE
        process = start(args, tmp_path, **({"GANZOO_TEST_DIE_IN_SAVE": "1"} if dies else {}))
        if not dies and kills < RANDOM_KILLS and wait_for_lock(run, process):
            done = load_checkpoint(run)["step"] if (run / "checkpoint.pt").exists() else 0
            if wait_for_step(run, process, rng.randint(done, STEPS - 2)):
                time.sleep(rng.uniform(0, 0.2))
                process.send_signal(signal.SIGKILL)
        code, output = finish(process)
        if code == 0:
            break
        assert code == -signal.SIGKILL, output
        kills += 1
        orphans += len(list(run.glob(".*.tmp")))
        if (run / "checkpoint.pt").exists():
            load_checkpoint(run)  # whatever the moment of death, the checkpoint on disk is whole
        if attempt == 2 and (run / "metrics.jsonl").exists():
            with open(run / "metrics.jsonl", "a") as handle:
                handle.write('{"step": 2')  # a line cut short by the kill
    assert code == 0, output
    assert kills >= RANDOM_KILLS // 2 + len(DIE_IN_SAVE), kills
    assert orphans >= len(DIE_IN_SAVE)  # the deaths in mid-write left temporary files ...
    assert not list(run.glob(".*.tmp")) and not (run / ".lock").exists()  # ... which the next writer removed
    straight, resumed = load_checkpoint(tmp_path / "straight"), load_checkpoint(run)
    assert resumed["step"] == STEPS
    assert_same(straight, resumed)
    assert metrics(tmp_path / "straight") == metrics(run)
