"""Two CPU processes (gloo) under torchrun: data-parallel training whose replicas stay identical."""

import json
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
