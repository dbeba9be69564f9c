"""When a run's state is saved, and when it refuses to be: the rolling checkpoint, numbered
snapshots, ``best.pt`` after an evaluation, and the finite check before every save."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from ganzoo.runs.checkpoint import CHECKPOINT, save_checkpoint
from ganzoo.runs.snapshots import Snapshots, snapshot_path
from ganzoo.train.errors import TrainingError
from ganzoo.train.runtime import Runtime
from ganzoo.train.stats import Stats


class Checkpointer:
    """Saves ``state()`` into ``run_dir`` after ``settle()`` (which makes the state worth saving:
    EMA BatchNorm statistics). ``nets`` and the running ``stats`` are checked to be finite first;
    ``saved_step`` is the step of the last rolling checkpoint, the one a non-finite run keeps."""

    def __init__(self, run_dir: Path, runtime: Runtime, nets: dict[str, nn.Module], stats: Stats, snapshots: Snapshots,
                 state: Callable[[], dict[str, Any]], settle: Callable[[], None],
                 rng: Callable[[], dict[str, torch.Tensor]] | None = None) -> None:
        self.run_dir, self.runtime, self.nets, self.stats, self.snapshots = Path(run_dir), runtime, nets, stats, snapshots
        self.state, self.settle, self.rng = state, settle, rng
        self.saved_step: int | None = None
        self.judged: dict[str, float] = {}  # the evaluation keep_best judged last

    @torch.no_grad()
    def check_finite(self, step: int, values: dict[str, float] | None = None) -> None:
        """Stop, naming the step and the part, when a logged statistic (``values``, else the running
        sums) or a network's parameters are NaN or infinite."""
        values = self.stats.totals() if values is None else values
        parts = [f"{key} is {value}" for key, value in values.items() if not math.isfinite(value)]
        roles = [role for role, net in self.nets.items() for p in net.parameters()]
        finite = torch.stack([torch.isfinite(p).all() for net in self.nets.values() for p in net.parameters()]).tolist()
        broken = [role for role in self.nets if not all(ok for r, ok in zip(roles, finite) if r == role)]
        parts += [f"the parameters of {role} are not finite" for role in broken]
        if not parts:
            return
        kept = (f"the last good checkpoint (step {self.saved_step}) is kept" if self.saved_step is not None
                else "no checkpoint was saved")
        raise TrainingError(f"step {step}: training went non-finite ({'; '.join(parts)}); stopped, {kept} in {self.run_dir}. "
                            "Lower the learning rate (optim.PHASE.lr) or check the data")

    def save(self, step: int, path: Path | None = None) -> Path:
        """The rolling ``checkpoint.pt``, or another file such as a numbered snapshot; a non-finite
        state is never saved, so the last good checkpoint stays."""
        self.check_finite(step)
        self.runtime.broadcast(self.nets.values())  # BatchNorm statistics as rank 0 has them
        self.settle()
        rolling = path is None
        path = path or self.run_dir / CHECKPOINT
        # every process's random generators, so that each draws on after a resume as it would have
        ranks = self.runtime.gather(self.rng()) if self.rng is not None and self.runtime.world > 1 else None
        if self.runtime.is_main:
            state = self.state()
            if ranks is not None:
                state["rng"]["ranks"] = ranks
            save_checkpoint(path, state)
        if rolling:
            self.saved_step = step
        self.runtime.barrier()
        return path

    def snapshot(self, step: int) -> Path:
        """A numbered snapshot of ``step``; older ones beyond ``keep_snapshots`` go."""
        path = self.save(step, snapshot_path(self.run_dir, step))
        if self.runtime.is_main:
            self.snapshots.prune()
        return path

    def keep_best(self, step: int, scores: dict[str, float]) -> None:
        """After an evaluation (``scores``), keep ``step``'s weights as ``best.pt`` if they score best."""
        if not scores or scores == self.judged:
            return
        self.judged = dict(scores)
        if self.snapshots.improves(scores):
            def write(path: Path) -> None:
                self.settle()
                save_checkpoint(path, self.state())

            self.snapshots.keep_best(step, scores, write)
