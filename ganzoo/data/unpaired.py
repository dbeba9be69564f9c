"""Unpaired image-to-image data: two domains, ``a`` and ``b``, with no correspondence between them.

* ``unpaired-folders``: the CycleGAN layout, ``{root}/trainA`` and ``{root}/trainB`` (``testA`` /
  ``testB`` for ``--split test``); the two folders may hold different numbers of images.

Each domain is shuffled with its own seeded permutation, so that position ``i`` of ``a`` and of
``b`` are unrelated even when the two domains come from aligned pairs of the same size.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor

from ganzoo.data.base import InMemoryDataset, existing_folder, list_images, read_images
from ganzoo.interfaces import Ports
from ganzoo.registry import component

UNPAIRED_PORTS = Ports(channels=(1, 3), conditions=("none",), features=frozenset({"unpaired"}))


def shuffled_domains(domains: dict[str, Tensor], seed: int) -> dict[str, Tensor]:
    """Each domain reordered by its own permutation drawn from ``seed``."""
    rng = torch.Generator().manual_seed(seed)
    return {key: images[torch.randperm(len(images), generator=rng)] for key, images in domains.items()}


def _domain_folder(root: str, split: str, side: str) -> Path:
    base = existing_folder(Path(root).expanduser(), "unpaired-folders dataset", "dataset root")
    return existing_folder(base / f"{split}{side}", "unpaired-folders dataset", f"expected {split}A/ and {split}B/ in {base}")


@component("dataset", "unpaired-folders", ports=UNPAIRED_PORTS)
def unpaired_folders(
    root: str,
    split: str = "train",
    resolution: int = 256,
    load_size: int | None = None,
    channels: int = 3,
    skip_bad: bool = False,
    seed: int = 0,
) -> InMemoryDataset:
    """Two unpaired domains from ``{root}/{split}A/`` and ``{root}/{split}B/`` (CycleGAN layout)."""
    domains = {}
    for side in ("A", "B"):
        folder = _domain_folder(root, split, side)
        images, _ = read_images(
            list_images(folder),
            channels=channels,
            size=load_size or resolution,
            what=f"unpaired-folders dataset {folder}",
            skip_bad=skip_bad,
            min_size=resolution,
        )
        domains[side.lower()] = torch.stack(images)  # type: ignore[arg-type]
    return InMemoryDataset(
        shuffled_domains(domains, seed),
        resolution=resolution,
        layout="unpaired",
        name=f"unpaired-folders:{Path(root).name}/{split}",
    )
