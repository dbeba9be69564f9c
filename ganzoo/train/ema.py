"""The exponential moving average of the generators' weights, and its own BatchNorm statistics."""

from __future__ import annotations

import contextlib
import copy
from typing import Any, Callable

import torch
from torch import nn

from ganzoo.layers import evaluating


class EMA:
    """Averaged copies of the networks in ``roles`` (none when ``decay`` is 0).

    Before ``start`` the copies follow the live weights exactly; from then on they average.
    """

    def __init__(self, nets: dict[str, nn.Module], roles: list[str], decay: float, start: int) -> None:
        self.decay, self.start = decay, start
        #: role -> averaged network (eval mode, no gradients).
        self.nets = {role: copy.deepcopy(nets[role]).eval().requires_grad_(False) for role in roles} if decay > 0 else {}

    def __bool__(self) -> bool:
        return bool(self.nets)

    def averaging(self, step: int) -> bool:
        """Whether ``step`` averages (past ``start``) rather than copies."""
        return step >= self.start

    @torch.no_grad()
    def update(self, live: dict[str, nn.Module], step: int) -> None:
        """One step of the average; buffers are copied. No host synchronisation (graph-safe)."""
        decay = self.decay if self.averaging(step) else 0.0
        for role, ema in self.nets.items():
            net = live[role]
            torch._foreach_lerp_(list(ema.parameters()), list(net.parameters()), 1.0 - decay)
            for ema_buffer, buffer in zip(ema.buffers(), net.buffers()):
                ema_buffer.copy_(buffer)

    @torch.no_grad()
    def refresh_batchnorm(self, render: Callable[[dict[str, nn.Module]], Any], live: dict[str, nn.Module],
                          device: torch.device, autocast: Callable[[], contextlib.AbstractContextManager]) -> None:
        """Give each averaged network BatchNorm statistics of its own ("standing statistics", BigGAN).

        Averaged weights with statistics copied from the live network do not match: sampled in eval
        mode they give washed-out images. The statistics are recomputed by ``render(nets)`` (the
        run's fixed sample inputs), in train mode, without touching the training random state.
        """
        for ema in self.nets.values():
            ema.train()  # parts that stay in eval mode (a frozen Stage-I) keep their statistics
            norms = [m for m in ema.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats and m.training]
            ema.eval()
            if not norms:
                continue
            momenta = [m.momentum for m in norms]
            for m in norms:
                m.reset_running_stats()
                m.momentum = None  # cumulative average over the passes below
            nets = {**live, **self.nets}
            devices = [device] if device.type == "cuda" else []
            with torch.random.fork_rng(devices=devices), evaluating(nets.values()), autocast():
                ema.train()
                render(nets)
            for m, momentum in zip(norms, momenta):
                m.momentum = momentum

    def state_dict(self) -> dict[str, Any]:
        return {role: net.state_dict() for role, net in self.nets.items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for role, net in self.nets.items():
            net.load_state_dict(state[role])
