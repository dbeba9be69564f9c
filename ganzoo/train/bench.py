"""Timing of training steps: step time, images per second, peak memory and achieved FLOP/s.

The same preset is timed with the eager step and with the fast (static) step, each on a fresh
trainer built from the same seed, so both read the same data. FLOPs are counted once, on an eager
step, with :class:`torch.utils.flop_counter.FlopCounterMode` (forward and backward of every
network; optimiser and elementwise work are not counted), so the figure is a lower bound.
"""

from __future__ import annotations

import dataclasses
import platform
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from torch.utils.flop_counter import FlopCounterMode

from ganzoo.config import TrainConfig
from ganzoo.interfaces import ReportProgress
from ganzoo.registry import Registry
from ganzoo.train.fast import WARMUP_STEPS
from ganzoo.train.loop import Trainer

MODES = {"eager": "off", "fast": "on"}


@dataclass
class StepTiming:
    """One mode's figures; ``note`` says why the fast step ran without a graph, if it did."""

    mode: str
    graphed: bool
    step_ms: float
    images_per_s: float
    tflops: float
    peak_memory_mib: float | None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def device_name(device: torch.device) -> str:
    """A readable name of the device the figures come from (GPU model, or CPU and its threads)."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU {platform.processor() or platform.machine()} ({torch.get_num_threads()} threads)"


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def step_flops(step: Callable[[], None]) -> float:
    """FLOPs of one call of ``step`` (a training step, which it trains)."""
    with FlopCounterMode(display=False) as counter:
        step()
    return float(counter.get_total_flops())


def time_mode(config: TrainConfig, mode: str, steps: int, warmup: int, registry: Registry | None = None,
              flops: float | None = None, progress: ReportProgress | None = None) -> tuple[StepTiming, float, dict[str, str]]:
    """Time ``steps`` training steps after ``warmup`` untimed ones: the timing, FLOPs/step and the
    device and precision they ran with (``progress`` hears ``(mode, steps done, all steps)``)."""
    total = warmup + steps + (flops is None)

    def done(count: int) -> None:
        if progress is not None:
            progress(mode, count, total)

    config = dataclasses.replace(config, fast=MODES[mode], steps=warmup + steps + 1, epochs=None)
    with tempfile.TemporaryDirectory(prefix="ganzoo-bench-") as folder:
        trainer = Trainer(config, Path(folder) / "run", registry=registry)
        device, train_step = trainer.runtime.device, trainer.train_step
        trainer.train_mode()  # as `run` does: frozen parts (a Stage-I) stay in eval mode
        for step in range(warmup):
            train_step()
            done(step + 1)
        if flops is None:
            flops = step_flops(train_step)
            done(warmup + 1)
        synchronize(device)
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        start = time.perf_counter()
        for step in range(steps):
            train_step()
            done(total - steps + step + 1)  # no device sync: a queued step counts as done
        synchronize(device)
        seconds = (time.perf_counter() - start) / steps
        graphed = trainer.fast is not None and trainer.fast.graph is not None
        note = trainer.fast.note if trainer.fast is not None else None
        peak = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None
        precision = trainer.runtime.precision
    images = config.batch_size * trainer.runtime.world
    timing = StepTiming(mode, graphed, seconds * 1e3, images / seconds, flops / seconds / 1e12, peak, note)
    return timing, flops, {"device": device_name(device), "precision": precision}


def bench(config: TrainConfig, steps: int, warmup: int, modes: tuple[str, ...] = ("eager", "fast"),
          registry: Registry | None = None, progress: ReportProgress | None = None) -> dict[str, Any]:
    """Every mode's :class:`StepTiming` of ``config``, with the FLOPs per step and the device."""
    timings, flops, context = [], None, {}
    if "fast" in modes:
        warmup = max(warmup, WARMUP_STEPS + 1)  # the fast step warms up, then captures; eager gets as many
    for mode in modes:
        timing, flops, context = time_mode(config, mode, steps, warmup, registry, flops, progress)
        timings.append(timing)
    return {
        "preset": config.preset,
        **context,
        "batch_size": config.batch_size,
        "resolution": config.resolution,
        "steps": steps,
        "gflop_per_step": (flops or 0.0) / 1e9,
        "results": [t.to_dict() for t in timings],
    }
