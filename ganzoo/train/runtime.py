"""A thin runtime: device choice, mixed precision, and data-parallel gradient averaging.

Under ``torchrun`` (``WORLD_SIZE`` > 1) every process holds a full replica; gradients of each
phase are averaged with one all-reduce over a flattened buffer, as stylegan2-ada does, which works
with any number of networks and phases and with parameters frozen per phase (where wrapping each
network in ``DistributedDataParallel`` would need unused-parameter detection).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import platform
from dataclasses import dataclass
from typing import Any, Iterable

import torch
import torch.distributed as dist
from torch import nn

from ganzoo.config import FAST_AUTO_ON_CUDA, FAST_MODES, PRECISIONS
from ganzoo.errors import GanzooError


class RuntimeConfigError(GanzooError):
    pass


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """``auto`` | ``cpu`` | ``cuda`` | ``cuda:N`` -> a usable device, or a one-line error."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(name)
    except RuntimeError:
        raise RuntimeConfigError(f"--device {name!r} is not a device; valid: auto, cpu, cuda, cuda:N") from None
    if device.type not in ("cpu", "cuda"):
        raise RuntimeConfigError(f"--device {name!r} is not supported; valid: auto, cpu, cuda, cuda:N")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeConfigError(f"--device {name}: CUDA is not available on this machine; use --device cpu")
        index = device.index if device.index is not None else local_rank
        if index >= torch.cuda.device_count():
            raise RuntimeConfigError(f"--device {name}: only {torch.cuda.device_count()} CUDA device(s) here")
        device = torch.device("cuda", index)
        torch.cuda.set_device(device)
    return device


def fast_enabled(mode: str, device: torch.device) -> bool:
    """``on``/``off`` as said; ``auto``: on for CUDA once parity is shown (:data:`ganzoo.config.FAST_AUTO_ON_CUDA`)."""
    if mode not in FAST_MODES:
        raise RuntimeConfigError(f"fast {mode!r} is not one of {', '.join(FAST_MODES)}; set --fast/--no-fast or fast = \"auto\"")
    return mode == "on" or (mode == "auto" and FAST_AUTO_ON_CUDA and device.type == "cuda")


@dataclass
class Runtime:
    device: torch.device
    precision: str
    rank: int = 0
    world: int = 1

    @classmethod
    def create(cls, device: str = "auto", precision: str = "auto", fast: str = "auto") -> "Runtime":
        """``precision="auto"``: bf16 on CUDA when the fast step is on, else fp32.

        Measured on an H200 (issue 13): eager bf16 autocast made DCGAN slower than fp32 (0.88x vs
        1.03x the reference), while the whole-step graph gained most with bf16.
        """
        if precision not in PRECISIONS:
            raise RuntimeConfigError(f"--precision {precision!r} is not one of {', '.join(PRECISIONS)}")
        world = int(os.environ.get("WORLD_SIZE", "1"))
        rank, local_rank = 0, int(os.environ.get("LOCAL_RANK", "0"))
        resolved = resolve_device(device, local_rank)
        if world > 1:
            if not dist.is_initialized():
                # torch.optim imports torch._dynamo when the first optimiser is made; imported after the
                # process group exists, it keeps that group alive past destroy_process_group, and its gloo
                # threads then abort the process at exit ("terminate called without an active exception")
                importlib.import_module("torch._dynamo")
                dist.init_process_group(backend="nccl" if resolved.type == "cuda" else "gloo")
            rank = dist.get_rank()
        if precision == "auto":
            precision = "bf16" if resolved.type == "cuda" and fast_enabled(fast, resolved) else "fp32"
        if resolved.type == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
            torch.backends.cudnn.benchmark = True
        return cls(resolved, precision, rank, world)

    def environment(self) -> dict[str, Any]:
        """Where a run trains, for its report: device and its name, precision, processes, versions."""
        if self.device.type == "cuda":
            name = torch.cuda.get_device_name(self.device)
        else:
            name = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {torch.get_num_threads()} threads"
        return {"device": str(self.device), "device_name": name, "precision": self.precision, "processes": self.world,
                "torch": torch.__version__, "python": platform.python_version()}

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def autocast(self, cache: bool = True) -> contextlib.AbstractContextManager:
        """bf16 autocast when asked; ``cache=False`` while capturing a CUDA graph (casts are redone)."""
        if self.precision == "bf16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16, cache_enabled=cache)
        return contextlib.nullcontext()

    def average_gradients(self, params: Iterable[nn.Parameter]) -> None:
        """Average the gradients of ``params`` over all processes (one collective)."""
        if self.world == 1:
            return
        grads = [p.grad for p in params if p.grad is not None]
        if not grads:
            return
        flat = torch.cat([g.flatten() for g in grads])
        dist.all_reduce(flat)
        flat /= self.world
        offset = 0
        for grad in grads:
            grad.copy_(flat[offset:offset + grad.numel()].view_as(grad))
            offset += grad.numel()

    def broadcast(self, modules: Iterable[nn.Module]) -> None:
        """Make every process hold rank 0's parameters and buffers (BatchNorm statistics)."""
        if self.world == 1:
            return
        for module in modules:
            for tensor in list(module.parameters()) + list(module.buffers()):
                dist.broadcast(tensor.data, src=0)

    def all_equal(self, value: torch.Tensor) -> bool:
        """Whether ``value`` is identical on every process (used by tests and sanity checks)."""
        if self.world == 1:
            return True
        gathered = [torch.empty_like(value) for _ in range(self.world)]
        dist.all_gather(gathered, value)
        return all(torch.equal(gathered[0], g) for g in gathered[1:])

    def gather(self, tensors: dict[str, torch.Tensor]) -> list[dict[str, torch.Tensor]]:
        """Every process's ``tensors`` (the same keys and shapes on each), by rank, on the CPU."""
        if self.world == 1:
            return [tensors]
        ranks: list[dict[str, torch.Tensor]] = [{} for _ in range(self.world)]
        for key, value in tensors.items():
            local = value.to(self.device)  # NCCL gathers device tensors only
            gathered = [torch.empty_like(local) for _ in range(self.world)]
            dist.all_gather(gathered, local)
            for rank, tensor in enumerate(gathered):
                ranks[rank][key] = tensor.cpu()
        return ranks

    def barrier(self) -> None:
        if self.world > 1:
            dist.barrier()

    def close(self) -> None:
        """Leave the process group together, so that no process tears gloo down under another."""
        if self.world > 1 and dist.is_initialized():
            dist.barrier()
            dist.destroy_process_group()
