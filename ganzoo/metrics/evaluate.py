"""Running a translator over paired data: metric scores and an input / output / target grid."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator

import torch
from torch import Tensor

from ganzoo.data.augment import centre_crop, to_float
from ganzoo.data.base import InMemoryDataset
from ganzoo.images import grid
from ganzoo.metrics.base import ImageMetric, MetricError

#: a translator: source images in [-1, 1] -> output images in [-1, 1].
Translate = Callable[[Tensor], Tensor]


@dataclass
class Evaluation:
    """Scores by metric name, how many pairs they cover, and the first pairs (for a grid)."""

    scores: dict[str, float]
    higher_is_better: dict[str, bool]
    count: int
    shown: dict[str, Tensor] = field(repr=False)

    def to_dict(self) -> dict[str, object]:
        return {"count": self.count, "scores": self.scores, "higher_is_better": self.higher_is_better}

    def grid(self) -> Tensor:
        """Rows of inputs, outputs and targets, a sample's three versions lined up vertically."""
        return grid(self.shown)


def paired_batches(dataset: InMemoryDataset, batch_size: int, device: torch.device) -> Iterator[tuple[Tensor, Tensor]]:
    """``(source, target)`` float batches in [-1, 1] at the dataset's resolution, in dataset order."""
    if dataset.layout != "paired":
        raise MetricError(f"evaluation needs paired data (source and target), got {dataset.name} with layout {dataset.layout!r}")
    total = len(dataset)
    for start in range(0, total, batch_size):
        batch = centre_crop(to_float(dataset.batch(torch.arange(start, min(start + batch_size, total))), device), dataset.resolution)
        yield batch["source"], batch["image"]


@torch.no_grad()
def evaluate(
    translate: Translate,
    dataset: InMemoryDataset,
    metrics: dict[str, ImageMetric],
    *,
    batch_size: int = 16,
    device: torch.device = torch.device("cpu"),
    grid_size: int = 8,
    seed: int = 0,
) -> Evaluation:
    """Translate every source of ``dataset`` and score the outputs against the targets."""
    if not metrics:
        raise MetricError("no metrics to compute")
    torch.manual_seed(seed)  # dropout stays on at test time: fix its draws
    for metric in metrics.values():
        metric.to(device)
    shown: dict[str, list[Tensor]] = {"input": [], "output": [], "target": []}
    count = 0
    for source, target in paired_batches(dataset, batch_size, device):
        output = translate(source)
        for metric in metrics.values():
            metric.update(output, target)
        if count < grid_size:
            for column, images in zip(shown.values(), (source, output, target)):
                column.append(images[: grid_size - count].cpu())
        count += len(source)
    scores = {name: metric.compute() for name, metric in metrics.items()}
    better = {name: m.higher_is_better for name, m in metrics.items()}
    return Evaluation(scores, better, count, {kind: torch.cat(images) for kind, images in shown.items()})
