"""Two CPU processes (gloo) under torchrun: data-parallel training whose replicas stay identical."""

import json
import os
import re
import subprocess
import sys

import pytest
import torch

from ganzoo.runs.checkpoint import load_checkpoint

ZOO = """
[ddp]
task = "unconditional"
dataset = { name = "shapes", count = 64 }
resolution = 8
channels = 1
batch_size = 4
steps = 4
log_every = 2
sample_every = 4
checkpoint_every = 4
sample_count = 4
nets.generator = { name = "mlp", latent_dim = 8, hidden = [32] }
nets.discriminator = { name = "mlp", hidden = [32], dropout = 0.0 }
loss = "nonsaturating"
"""


@pytest.mark.distributed
@pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed is not available")
def test_two_processes_train_identical_replicas(tmp_path):
    (tmp_path / "zoo.toml").write_text(ZOO)
    command = [sys.executable, "-m", "ganzoo", "train", "ddp", "--nproc", "2", "--device", "cpu", "--out", "run", "--quiet"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [2, 4]
    assert lines[-1]["ranks_agree"] is True
    state = load_checkpoint(tmp_path / "run")
    assert state["step"] == 4
    assert all(torch.isfinite(t).all() for t in state["nets"]["generator"].values())


LEAVE = """
import os
import torch
from ganzoo.train.runtime import Runtime

runtime = Runtime.create("cpu", "fp32")
torch.optim.Adam([torch.zeros(1, requires_grad=True)])  # the first optimiser imports torch._dynamo
runtime.close()
threads = []
for task in os.listdir("/proc/self/task"):
    try:
        threads.append(open(f"/proc/self/task/{task}/comm").read().strip())
    except FileNotFoundError:  # a thread that ended between the listing and the read
        pass
threads.sort()
print(f"rank {os.environ['RANK']} threads after close: {threads}")
"""


@pytest.mark.distributed
@pytest.mark.skipif(not torch.distributed.is_available() or not os.path.isdir("/proc/self/task"), reason="needs torch.distributed and /proc")
def test_leaving_the_process_group_stops_its_threads(tmp_path):
    """A process group left alive past destroy_process_group keeps gloo threads that abort the
    process at exit, now and then, after a run that succeeded (torchrun then reports it failed)."""
    (tmp_path / "leave.py").write_text(LEAVE)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", "leave.py"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    said = re.findall(r"rank \d threads after close: \[[^]]*\]", result.stdout)  # the two ranks' lines may interleave
    assert len(said) == 2 and not any("gloo" in line for line in said), result.stdout
