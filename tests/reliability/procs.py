"""Real ``ganzoo`` processes (tiny plugin) for the tests that kill, signal or race them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def start(args: list[str], cwd: Path, **env: str) -> subprocess.Popen:
    environment = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", **env}
    return subprocess.Popen([sys.executable, "-m", "tests.reliability.tinyrun", *map(str, args)], cwd=cwd, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(process: subprocess.Popen, timeout: float = 300) -> tuple[int, str]:
    output, _ = process.communicate(timeout=timeout)
    return process.returncode, output


def wait_for_lock(run_dir: Path, process: subprocess.Popen, timeout: float = 300) -> bool:
    """Wait until ``process`` holds the lock of ``run_dir`` (it is training); False if it ended first."""
    deadline = time.monotonic() + timeout
    lock = run_dir / ".lock"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if json.loads(lock.read_text()).get("pid") == process.pid:
                return True
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    raise TimeoutError(f"process {process.pid} did not lock {run_dir}")


def wait_for_step(run_dir: Path, process: subprocess.Popen, step: int, timeout: float = 300) -> bool:
    """Wait until the metrics log of ``run_dir`` reaches ``step``; False if ``process`` ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            last = (run_dir / "metrics.jsonl").read_text().splitlines()[-1]
            if json.loads(last)["step"] >= step:
                return True
        except (OSError, ValueError, IndexError, KeyError):
            pass
        time.sleep(0.01)
    raise TimeoutError(f"process {process.pid} did not reach step {step}")
