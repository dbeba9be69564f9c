"""The data side of a step: which items it reads, how they are gathered, and their augmentation."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch.utils.data import Dataset

from ganzoo.conditioning.base import prepare_cached
from ganzoo.config import TrainConfig
from ganzoo.data.augment import centre_crop, crop_and_flip, to_float
from ganzoo.data.base import DeviceBatching
from ganzoo.interfaces import Conditioner


class IndexStream:
    """Which dataset items each step reads: epoch ``e`` is a permutation seeded by ``(seed, e)``.

    Derived from the step alone, so resuming needs no saved data-loader state, and each process of a
    distributed run reads its own slice of the same global order.
    """

    def __init__(self, size: int, seed: int) -> None:
        self.size, self.seed = size, seed
        self._cache: dict[int, Tensor] = {}

    def permutation(self, epoch: int) -> Tensor:
        if epoch not in self._cache:
            self._cache = {k: v for k, v in self._cache.items() if k >= epoch - 1}
            generator = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            self._cache[epoch] = torch.randperm(self.size, generator=generator)
        return self._cache[epoch]

    def indices(self, step: int, batch_size: int, rank: int = 0, world: int = 1) -> tuple[Tensor, Tensor]:
        start = (step * world + rank) * batch_size
        positions = torch.arange(start, start + batch_size)
        epochs = positions // self.size
        offsets = positions % self.size
        indices = torch.empty_like(positions)
        for epoch in epochs.unique().tolist():
            mask = epochs == epoch
            indices[mask] = self.permutation(epoch)[offsets[mask]]
        return indices, epochs


class Batches:
    """The batches of one process of a run: float images on ``device``, cropped and flipped.

    A :class:`DeviceBatching` dataset is moved to the device once and gathers there; any other
    dataset of dict items is assembled item by item on the host. ``augment=False`` centre-crops
    instead (the fixed sample inputs, and the meta device, where random crops cannot be drawn).
    """

    def __init__(self, dataset: Dataset, config: TrainConfig, device: torch.device, rank: int = 0, world: int = 1,
                 augment: bool = True) -> None:
        self.dataset, self.device, self.rank, self.world = dataset, device, rank, world
        self.batch_size, self.resolution, self.settings = config.batch_size, config.resolution, config.augment
        self.augment = augment
        self.stream = IndexStream(len(dataset), config.seed)
        self.on_device = isinstance(dataset, DeviceBatching)
        if isinstance(dataset, DeviceBatching):
            dataset.to(device)  # no loader, no host copies
        #: draws the random crops and flips; part of the checkpoint, so a resumed run crops alike.
        self.rng = torch.Generator(device=device if device.type != "meta" else "cpu").manual_seed(config.seed + 1)

    @property
    def host_fields(self) -> tuple[str, ...]:
        """Keys of a device-gathered batch that hold host objects (captions not prepared)."""
        return self.dataset.host_fields if isinstance(self.dataset, DeviceBatching) else ()

    @property
    def on_host(self) -> bool:
        """Whether any part of a batch is assembled on the host every step."""
        return not self.on_device or bool(self.host_fields)

    @property
    def augments(self) -> bool:
        """Whether batches draw random numbers (flips, or crops from a larger jitter size)."""
        return self.augment and (self.settings.flip or self.settings.jitter > self.resolution)

    def indices(self, step: int) -> tuple[Tensor, Tensor]:
        """This process's dataset indices at ``step`` and the epoch each belongs to."""
        return self.stream.indices(step, self.batch_size, self.rank, self.world)

    def at(self, step: int) -> dict[str, Any]:
        """The batch of ``step``."""
        return self.gather(*self.indices(step))

    def gather(self, indices: Tensor, epochs: Tensor | None = None, augment: bool = True) -> dict[str, Any]:
        """The batch of dataset ``indices`` (augmented unless ``augment=False``)."""
        if isinstance(self.dataset, DeviceBatching):
            raw = self.dataset.batch(indices, epochs)
        else:
            items = [self.dataset[int(i)] for i in indices]
            raw = {k: [it[k] for it in items] if isinstance(items[0][k], str) else torch.stack([torch.as_tensor(it[k]) for it in items])
                   for k in items[0]}
        return self.prepare(raw, augment)

    def on_device_indices(self, index: Tensor, epochs: Tensor) -> dict[str, Any]:
        """The batch of ``index`` and ``epochs``, tensors already on the device (graph-safe: no host work)."""
        assert isinstance(self.dataset, DeviceBatching)
        return self.prepare(self.dataset.batch(index, epochs))

    def prepare_captions(self, conditioner: Conditioner) -> None:
        """Captions become ``conditioner``'s prepared rows once (from the cache when it holds them
        for these captions), so that no step reads a string; a conditioner in one part changes nothing."""
        if isinstance(self.dataset, DeviceBatching):
            self.dataset.prepare_captions(lambda captions: prepare_cached(conditioner, captions))

    def prepare(self, raw: dict[str, Any], augment: bool = True) -> dict[str, Any]:
        """Raw dataset rows -> float images on the device, augmented (or centre-cropped)."""
        batch = to_float(raw, self.device)
        if augment and self.augment:
            return crop_and_flip(batch, self.settings, self.resolution, self.rng)
        return centre_crop(batch, self.resolution)
