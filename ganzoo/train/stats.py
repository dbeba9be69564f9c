"""Per-step statistics, summed on the device and read every ``log_every`` steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor


@dataclass
class Stats:
    """Running sums of per-step statistics, kept on the device between log points.

    The sums are buffers updated in place (a captured step keeps adding into the same memory);
    reading them zeroes them.
    """

    sums: dict[str, Tensor] = field(default_factory=dict)
    count: int = 0

    def add(self, values: dict[str, Tensor]) -> None:
        for key, value in values.items():
            value = value.detach().float()
            if key in self.sums:
                self.sums[key].add_(value)
            else:
                self.sums[key] = value.clone()

    def read(self, reset: bool = True) -> dict[str, float]:
        """The means since the last reset. ``reset=False`` (a run ending between log points) keeps
        the sums, so a resumed run's next log line averages the same steps as an uninterrupted one.
        Sums are zeroed in place: a captured fast step keeps adding into the same tensors."""
        if not self.sums or not self.count:
            return {}
        keys = list(self.sums)
        values = torch.stack([self.sums[k] for k in keys]).div(self.count).tolist()  # one sync
        if reset:
            for total in self.sums.values():
                total.zero_()
            self.count = 0
        return dict(zip(keys, values))

    def totals(self) -> dict[str, float]:
        """The raw sums (to check them for NaN and infinity)."""
        return {key: total.float().sum().item() for key, total in self.sums.items()}

    def state_dict(self) -> dict[str, Any]:
        return {"sums": dict(self.sums), "count": self.count}

    def load_state_dict(self, state: dict[str, Any], device: torch.device) -> None:
        self.sums = {key: value.to(device) for key, value in state["sums"].items()}
        self.count = int(state["count"])
