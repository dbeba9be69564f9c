"""The fast training path: the whole training step as one static function, replayed as a CUDA graph.

The step the trainer runs eagerly (every phase, ``n_critic`` repeats, EMA, statistics) is written
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
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

if TYPE_CHECKING:
    from ganzoo.train.loop import Trainer

#: eager steps on a side stream before capture: cuDNN autotuning, lazy optimiser state, allocator.
WARMUP_STEPS = 3

log = logging.getLogger("ganzoo")


def capture_blocker(trainer: "Trainer") -> str | None:
    """Why this run's step cannot be captured into a CUDA graph, or None when it can."""
    if trainer.runtime.device.type != "cuda":
        return f"no CUDA graphs on {trainer.runtime.device.type}; the static step runs eagerly"
    if trainer.runtime.world > 1:
        return "data-parallel runs all-reduce gradients between phases; the static step runs eagerly"
    if not hasattr(trainer.dataset, "batch"):
        return "the dataset assembles items on the host (it has no device `batch`); the static step runs eagerly"
    if getattr(trainer.dataset, "captions", None) is not None:
        return "captions are Python strings encoded on the host every step; the static step runs eagerly"
    augments = trainer.config.augment.flip or trainer.config.augment.jitter > trainer.config.resolution
    if augments and not hasattr(torch.cuda.CUDAGraph, "register_generator_state"):
        return f"torch {torch.__version__} cannot replay a private augmentation generator in a graph; the static step runs eagerly"
    return None


def host_batches(trainer: "Trainer") -> bool:
    """Whether batches must be assembled on the host (captions, or a dataset without ``batch``)."""
    return not hasattr(trainer.dataset, "batch") or getattr(trainer.dataset, "captions", None) is not None


class StaticStep:
    """One training step of ``trainer`` with static inputs and outputs; a CUDA graph where possible.

    The trainer owns the step body (``Trainer.step_body``); this class owns where its batch comes
    from and whether it is replayed from a graph. A graph is keyed by what the body decides on the
    host (whether the EMA is past ``ema_start``), so at most one is held and a change recaptures.
    """

    def __init__(self, trainer: "Trainer") -> None:
        self.trainer = trainer
        device = trainer.runtime.device
        self.note = capture_blocker(trainer)
        self.graphed = self.note is None
        self.on_host = host_batches(trainer)
        self.index = torch.zeros(trainer.config.batch_size, dtype=torch.long, device=device)
        self.graph: torch.cuda.CUDAGraph | None = None
        self.graph_key: Any = None
        self.warmup_left = WARMUP_STEPS
        self.replays = 0

    # ------------------------------------------------------------------------------------------
    def _load(self, indices: Tensor) -> None:
        """Fill the device index buffer from the host without waiting for the copy."""
        if self.index.device.type == "cuda":
            indices = indices.pin_memory()  # the caching host allocator keeps it until the copy is done
        self.index.copy_(indices, non_blocking=True)

    def _device_batch(self) -> dict[str, Any]:
        """The step's batch, gathered and augmented on the device from the index buffer."""
        return self.trainer.prepare_batch(self.trainer.dataset.batch(self.index))

    def run(self) -> None:
        """Train one step (the trainer advances its counters and schedules)."""
        trainer = self.trainer
        indices, epochs = trainer.stream.indices(trainer.step, trainer.config.batch_size, trainer.runtime.rank, trainer.runtime.world)
        if self.on_host:
            trainer.step_body(trainer._batch(indices, epochs), graphed=False)
            return
        self._load(indices)
        if not self.graphed:
            trainer.step_body(self._device_batch(), graphed=False)
            return
        key = trainer.ema_active() if trainer.ema else None
        if self.warmup_left > 0:
            self._warmup()
            return
        if self.graph is None or key != self.graph_key:
            self.graph = None  # one graph at a time: its memory pool goes with it
            try:
                self.graph, self.graph_key = self._capture(), key
            except Exception as error:  # noqa: BLE001 - any capture failure falls back to eager
                self.fallback(f"CUDA graph capture failed ({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''})")
                trainer.step_body(self._device_batch(), graphed=False)
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
            self.trainer.step_body(self._device_batch(), graphed=False)
        torch.cuda.current_stream().wait_stream(side)
        self.warmup_left -= 1

    def _capture(self) -> torch.cuda.CUDAGraph:
        trainer = self.trainer
        graph = torch.cuda.CUDAGraph()
        if trainer.augment_rng.device.type == "cuda" and hasattr(graph, "register_generator_state"):
            graph.register_generator_state(trainer.augment_rng)
        for optimizer in trainer.optimizers.values():
            optimizer.zero_grad(set_to_none=True)  # gradients are allocated in the graph's pool
        torch.cuda.synchronize(self.index.device)
        with torch.cuda.graph(graph):
            trainer.step_body(self._device_batch(), graphed=True)
        return graph


# ----------------------------------------------------------------------------------------------
# Optimiser state the static step reads by address: a learning-rate tensor per parameter group
# ----------------------------------------------------------------------------------------------

def tensor_lr(lr: float, device: torch.device) -> Tensor:
    """The learning rate as a device tensor that the schedule fills in place (graph-safe)."""
    return torch.tensor(lr, dtype=torch.float32 if device.type == "cuda" else torch.float64, device=device)


def settle_lr(optimizer: torch.optim.Optimizer, scheduler: torch.optim.lr_scheduler.LRScheduler,
              keep: list[Tensor | float]) -> None:
    """After loading a checkpoint: each group's lr back into the object it had (``keep``).

    A loaded state dict replaces the group values, so a tensor lr would become a new (CPU) tensor
    that a captured graph never reads, and an eager run could inherit a tensor. The schedule's
    base rates stay Python floats, so its update is a fill with no host sync.
    """
    for group, held in zip(optimizer.param_groups, keep):
        value = float(group["lr"])
        if isinstance(held, Tensor):
            held.fill_(value)
            group["lr"] = held
        else:
            group["lr"] = value
        if isinstance(group.get("initial_lr"), Tensor):
            group["initial_lr"] = float(group["initial_lr"])
    scheduler.base_lrs = [float(lr) for lr in scheduler.base_lrs]
