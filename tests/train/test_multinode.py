"""Two torchrun agents on this machine as two "nodes" (gloo, CPU, loopback rendezvous): the launch
line of docs/training.md works unchanged, one process writes the run folder, a machine lost
(``kill -9`` of one agent and its worker) stops the run with the last checkpoint whole, and the
run resumed from it ends exactly where an uninterrupted one does."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from ganzoo.runs.checkpoint import load_checkpoint

pytestmark = [pytest.mark.distributed,
              pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed is not available")]

ZOO = """
[mn]
task = "unconditional"
dataset = { name = "shapes", count = 64 }
resolution = 8
channels = 1
batch_size = 4
steps = 100000
log_every = 2
sample_every = 100000
checkpoint_every = 2
sample_count = 4
nets.generator = { name = "mlp", latent_dim = 8, hidden = [16] }
nets.discriminator = { name = "mlp", hidden = [16], dropout = 0.0 }
loss = "nonsaturating"
"""
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "GLOO_SOCKET_IFNAME": "lo"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_nodes(folder: Path, *args: str) -> list[subprocess.Popen]:
    """Two agents of ``torchrun --nnodes 2 --nproc-per-node 1 ... -m ganzoo train ARGS`` (two "machines")."""
    port = free_port()
    command = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "2", "--nproc-per-node", "1", "--rdzv-backend", "c10d",
               "--rdzv-endpoint", f"127.0.0.1:{port}", "--rdzv-id", "test", "--local-addr", "127.0.0.1", "--max-restarts", "0",
               "-m", "ganzoo", "train", *args, "--device", "cpu", "--quiet"]
    return [subprocess.Popen(command, cwd=folder, env=ENV, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True) for _ in range(2)]


def machine(agent: int) -> list[int]:
    """The agent's pid and its workers' (torchrun starts each worker in a session of its own)."""
    children = []
    for task in Path(f"/proc/{agent}/task").glob("*"):
        try:
            children += [int(pid) for pid in (task / "children").read_text().split()]
        except OSError:
            pass
    return [agent, *children]


def lose(agent: int) -> None:
    """What a machine lost (power, ``kill -9``) does to the run: its agent and workers die at once."""
    for pid in reversed(machine(agent)):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def finish(nodes: list[subprocess.Popen], timeout: float = 60) -> list[tuple[int, str]]:
    try:
        return [(node.wait(timeout), node.stdout.read()) for node in nodes]
    finally:
        for node in nodes:
            if node.poll() is None:
                lose(node.pid)
                node.wait()


def test_two_nodes_train_resume_after_a_lost_machine_and_end_exactly(tmp_path):
    (tmp_path / "zoo.toml").write_text(ZOO)
    run = tmp_path / "run"
    nodes = start_nodes(tmp_path, "mn", "--out", "run")
    try:
        deadline = time.monotonic() + 60
        while not (run / "checkpoint.pt").exists():
            assert time.monotonic() < deadline and all(n.poll() is None for n in nodes), [n.communicate() for n in nodes]
            time.sleep(0.2)
        time.sleep(0.5)
        assert len(machine(nodes[1].pid)) == 2
        lose(nodes[1].pid)
        (code, output), _ = finish(nodes)
    finally:
        finish(nodes, timeout=1)
    assert code != 0, output  # the other one stops too, rather than training alone
    saved = load_checkpoint(run)  # whole: the last checkpoint written before the loss
    step = saved["step"]
    assert step >= 2 and step % 2 == 0 and len(saved["rng"]["ranks"]) == 2

    results = finish(start_nodes(tmp_path, "--resume", "run", "--steps", str(step + 4)))
    assert all(code == 0 for code, _ in results) and any(f"done: step {step + 4}" in output for _, output in results), results
    assert load_checkpoint(run)["step"] == step + 4
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines][-2:] == [step + 2, step + 4]  # one writer: no step logged twice
    assert len({line["step"] for line in lines}) == len(lines) and lines[-1]["ranks_agree"] is True
    assert json.loads((run / "environment.json").read_text())["processes"] == 2

    straight = [sys.executable, "-m", "ganzoo", "train", "mn", "--nproc", "2", "--steps", str(step + 4), "--device", "cpu",
                "--out", "straight", "--quiet"]
    done = subprocess.run(straight, cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and f"done: step {step + 4}" in done.stdout, done.stdout + done.stderr
    resumed, uninterrupted = load_checkpoint(run), load_checkpoint(tmp_path / "straight")
    for role, weights in uninterrupted["nets"].items():
        assert all(torch.equal(weights[key], resumed["nets"][role][key]) for key in weights), role
    for phase, state in uninterrupted["optim"].items():
        for index, slots in state["state"].items():
            assert all(torch.equal(torch.as_tensor(v), torch.as_tensor(resumed["optim"][phase]["state"][index][k])) for k, v in slots.items())
