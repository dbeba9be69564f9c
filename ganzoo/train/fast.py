"""The fast training path: the whole training step as one static function, replayed as a CUDA graph.

The step the loop runs eagerly (every phase, ``n_critic`` repeats, EMA, statistics) is written
so that nothing in it depends on the host: noise is drawn inside it, the batch is gathered on the
device from an index buffer the host fills with a non-blocking copy, augmentation draws from a
device generator, Adam is fused and capturable with a learning-rate tensor the schedule updates in
place, and statistics accumulate into buffers read every ``log_every`` steps. On CUDA that step is
captured once into a CUDA graph, after a few warm-up steps on a side stream, and replayed; on the
CPU (and wherever capture is impossible) the same function runs eagerly, which is how the tests
prove it agrees with the eager step.

What cannot be captured falls back to the eager run of the same step, with one line saying why.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Hashable

import torch
from torch import Tensor

from ganzoo.errors import first_line
from ganzoo.train.batches import Batches

#: eager steps on a side stream before capture: cuDNN autotuning, lazy optimiser state, allocator.
WARMUP_STEPS = 3
#: the first NCCL whose collectives a CUDA graph can capture (torch's CUDA graphs notes): a
#: data-parallel step's gradient all-reduce is then replayed with the rest of the step.
NCCL_CAPTURES = (2, 9, 6)

log = logging.getLogger("ganzoo")

#: the step body: every phase and the EMA on a batch; ``graphed`` while it is being captured.
StepBody = Callable[[dict[str, Any], bool], None]


def nccl_version() -> tuple[int, ...]:
    """The NCCL torch was built with, ``()`` when it has none."""
    try:
        return tuple(torch.cuda.nccl.version())
    except (AttributeError, RuntimeError):
        return ()


def capture_blocker(device: torch.device, world: int, batches: Batches) -> str | None:
    """Why a step on ``device`` over ``batches`` cannot be captured into a CUDA graph, or None when it can."""
    if device.type != "cuda":
        return f"no CUDA graphs on {device.type}; the static step runs eagerly"
    if world > 1 and nccl_version() < NCCL_CAPTURES:
        have = ".".join(map(str, nccl_version())) if nccl_version() else "none"
        return (f"data-parallel runs all-reduce gradients inside the step, which NCCL {have} cannot capture "
                f"({'.'.join(map(str, NCCL_CAPTURES))} or later can); the static step runs eagerly")
    if not batches.on_device:
        return "the dataset assembles items on the host (it is no DeviceBatching dataset); the static step runs eagerly"
    if batches.host_fields:
        return (f"batches hold host data ({', '.join(batches.host_fields)}: Python strings made on the host every step, "
                "for a conditioner with no host part to prepare them once); the static step runs eagerly")
    if batches.augments and not hasattr(torch.cuda.CUDAGraph, "register_generator_state"):
        return f"torch {torch.__version__} cannot replay a private augmentation generator in a graph; the static step runs eagerly"
    return None


class StaticStep:
    """One training step with static inputs and outputs; a CUDA graph where possible.

    The loop owns the step ``body`` and passes it here with the ``batches`` it reads and the
    ``zero_grad`` of its optimisers; this class owns where the batch comes from and whether the
    body is replayed from a graph. A graph is keyed by what the body decides on the host (the
    ``key`` of :meth:`run`, e.g. whether the EMA averages yet), so at most one is held and a change
    recaptures.
    """

    def __init__(self, body: StepBody, batches: Batches, zero_grad: Callable[[], None], world: int = 1) -> None:
        self.body, self.batches, self.zero_grad = body, batches, zero_grad
        self.note = capture_blocker(batches.device, world, batches)
        self.graphed = self.note is None
        #: the step's dataset indices and the epoch of each (which picks among an image's captions).
        self.index = torch.zeros(2, batches.batch_size, dtype=torch.long, device=batches.device)
        self.graph: torch.cuda.CUDAGraph | None = None
        self.graph_key: Hashable = None
        self.warmup_left = WARMUP_STEPS
        self.replays = 0

    # ------------------------------------------------------------------------------------------
    def _load(self, indices: Tensor, epochs: Tensor) -> None:
        """Fill the device index buffer from the host without waiting for the copy."""
        both = torch.stack([indices, epochs])
        if self.index.device.type == "cuda":
            both = both.pin_memory()  # the caching host allocator keeps it until the copy is done
        self.index.copy_(both, non_blocking=True)

    def _batch(self) -> dict[str, Any]:
        return self.batches.on_device_indices(self.index[0], self.index[1])

    def run(self, step: int, key: Hashable = None) -> None:
        """Train training step ``step`` (the loop advances its counters and schedules)."""
        indices, epochs = self.batches.indices(step)
        if self.batches.on_host:
            self.body(self.batches.gather(indices, epochs), False)
            return
        self._load(indices, epochs)
        if not self.graphed:
            self.body(self._batch(), False)
            return
        if self.warmup_left > 0:
            self._warmup()
            return
        if self.graph is None or key != self.graph_key:
            self.graph = None  # one graph at a time: its memory pool goes with it
            try:
                self.graph, self.graph_key = self._capture(), key
            except Exception as error:  # noqa: BLE001 - any capture failure falls back to eager
                self.fallback(f"CUDA graph capture failed ({type(error).__name__}: {first_line(error) if str(error) else ''})")
                self.body(self._batch(), False)
                return
        self.graph.replay()
        self.replays += 1

    def fallback(self, why: str) -> None:
        self.graph, self.graphed = None, False
        self.note = f"{why}; the static step runs eagerly"
        log.warning("fast: %s", self.note)

    def invalidate(self) -> None:
        """Drop the graph (after new optimiser state is loaded, its tensors are new ones)."""
        self.graph, self.graph_key = None, None
        self.warmup_left = max(self.warmup_left, 1)

    def _warmup(self) -> None:
        side = torch.cuda.Stream(self.index.device)
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            self.body(self._batch(), False)
        torch.cuda.current_stream().wait_stream(side)
        self.warmup_left -= 1

    def _capture(self) -> torch.cuda.CUDAGraph:
        graph = torch.cuda.CUDAGraph()
        if self.batches.rng.device.type == "cuda" and hasattr(graph, "register_generator_state"):
            graph.register_generator_state(self.batches.rng)
        self.zero_grad()  # gradients are allocated in the graph's pool
        torch.cuda.synchronize(self.index.device)
        with torch.cuda.graph(graph):
            self.body(self._batch(), True)
        return graph
