"""One optimiser and one learning-rate schedule per phase of the task.

For the fast step the learning rate is a device tensor that the schedule fills in place, so a
captured CUDA graph reads each step's rate from the same memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Iterator

import torch
from torch import Tensor, nn

from ganzoo.config import OptimConfig, TrainConfig
from ganzoo.interfaces import Task
from ganzoo.train.errors import TrainingError


def lr_factor(config: TrainConfig, steps: int) -> Callable[[int], float]:
    """The schedule as a factor of the base learning rate at each step."""
    schedule = config.schedule

    def factor(step: int) -> float:
        if schedule.kind == "linear":
            start = int(schedule.decay_start * steps)
            return 1.0 if step < start else max(0.0, (steps - step) / max(1, steps - start))
        if schedule.kind == "step" and schedule.every > 0:
            return schedule.gamma ** (step // schedule.every)
        return 1.0

    return factor


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


class PhaseOptimizers(Mapping[str, torch.optim.Optimizer]):
    """Phase name -> its Adam over the trainable parameters of the phase's roles, with its schedule.

    ``tensor_lrs``: learning rates are device tensors (the fast step); on CUDA Adam is then
    capturable too.
    """

    def __init__(self, task: Task, nets: dict[str, nn.Module], config: TrainConfig, steps: int,
                 device: torch.device, tensor_lrs: bool) -> None:
        phases = [phase.name for phase in task.phases]
        unknown = sorted(set(config.optim) - set(phases))
        if unknown:
            raise TrainingError(f"optim.{unknown[0]}: the task has no phase {unknown[0]!r}; phases: {', '.join(phases)}")
        role_params = {role: [p for p in net.parameters() if p.requires_grad] for role, net in nets.items()}
        #: every parameter some phase trains; the others are frozen.
        self.trainable = [p for params in role_params.values() for p in params]
        self.params: dict[str, list[nn.Parameter]] = {}
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.schedulers: dict[str, torch.optim.lr_scheduler.LambdaLR] = {}
        factor = lr_factor(config, steps)
        for phase in task.phases:
            roles = list(phase.roles) + (["conditioner"] if phase.name == task.conditioner_phase and "conditioner" in nets else [])
            params = [p for role in roles for p in role_params.get(role, [])]
            if not params:
                raise TrainingError(f"phase {phase.name} has nothing to train (roles {', '.join(phase.roles)} are frozen)")
            settings = config.optim.get(phase.name, OptimConfig())
            lr = tensor_lr(settings.lr, device) if tensor_lrs else settings.lr
            optimizer = torch.optim.Adam(params, lr=lr, betas=tuple(settings.betas), weight_decay=settings.weight_decay,
                                         fused=True, capturable=tensor_lrs and device.type == "cuda")
            self.params[phase.name], self.optimizers[phase.name] = params, optimizer
            self.schedulers[phase.name] = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
            settle_lr(optimizer, self.schedulers[phase.name], [lr])

    def __getitem__(self, phase: str) -> torch.optim.Optimizer:
        return self.optimizers[phase]

    def __iter__(self) -> Iterator[str]:
        return iter(self.optimizers)

    def __len__(self) -> int:
        return len(self.optimizers)

    def train_only(self, phase: str | None) -> None:
        """Gradients for ``phase``'s parameters only (``None``: for every trainable one again)."""
        active = {id(p) for p in (self.params[phase] if phase is not None else self.trainable)}
        for p in self.trainable:
            p.requires_grad_(id(p) in active)

    def advance(self) -> None:
        """The schedules' step at the end of a training step."""
        for scheduler in self.schedulers.values():
            scheduler.step()

    def learning_rates(self) -> dict[str, float]:
        """``{"lr/PHASE": rate}`` for the metrics log."""
        return {f"lr/{name}": float(opt.param_groups[0]["lr"]) for name, opt in self.optimizers.items()}

    def zero_grad(self) -> None:
        for optimizer in self.optimizers.values():
            optimizer.zero_grad(set_to_none=True)

    def unfuse(self) -> None:
        """Plain kernels (the meta device has no fused Adam)."""
        for optimizer in self.optimizers.values():
            for group in optimizer.param_groups:
                group["fused"] = False

    def state_dict(self) -> dict[str, Any]:
        """The checkpoint's ``optim`` and ``sched`` entries."""
        return {"optim": {name: opt.state_dict() for name, opt in self.optimizers.items()},
                "sched": {name: sched.state_dict() for name, sched in self.schedulers.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore from a checkpoint; learning-rate tensors keep their identity (:func:`settle_lr`)."""
        held = {name: [group["lr"] for group in opt.param_groups] for name, opt in self.optimizers.items()}
        for name, opt in self.optimizers.items():
            opt.load_state_dict(state["optim"][name])
        for name, sched in self.schedulers.items():
            sched.load_state_dict(state["sched"][name])
            settle_lr(self.optimizers[name], sched, held[name])
