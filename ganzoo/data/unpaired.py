"""Unpaired image-to-image data: two domains, ``a`` and ``b``, with no correspondence between them.

One ``unpaired`` loader reads two layouts:

* ``folders``: the CycleGAN layout, ``{root}/trainA`` and ``{root}/trainB`` (``testA`` / ``testB``
  for ``--split test``); the two folders may hold different numbers of images. ``unpaired-folders``
  is this loader with the layout fixed.
* ``aligned``: the pix2pix layout, ``{root}/{split}/`` of A|B files; the left halves become domain
  ``a`` and the right halves domain ``b`` (UGATIT's facades set).

Each domain is shuffled with its own seeded permutation, so that position ``i`` of ``a`` and of
``b`` are unrelated even when the two domains come from aligned pairs of the same size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import torch
from torch import Tensor

from ganzoo.data.base import InMemoryDataset, existing_folder, list_images, read_images
from ganzoo.data.paired import read_pairs
from ganzoo.interfaces import Ports
from ganzoo.registry import component, with_defaults

UNPAIRED_PORTS = Ports(channels=(1, 3), conditions=("none",), features=frozenset({"unpaired"}))
UnpairedLayout = Literal["folders", "aligned"]


def shuffled_domains(domains: dict[str, Tensor], seed: int) -> dict[str, Tensor]:
    """Each domain reordered by its own permutation drawn from ``seed``."""
    rng = torch.Generator().manual_seed(seed)
    return {key: images[torch.randperm(len(images), generator=rng)] for key, images in domains.items()}


def _domain_folders(root: str, split: str, size: int, resolution: int, channels: int, skip_bad: bool) -> tuple[list[Tensor], ...]:
    """The images of ``{root}/{split}A`` and ``{root}/{split}B``."""
    base = existing_folder(Path(root).expanduser(), "unpaired dataset (folders)", "dataset root")
    domains = []
    for side in ("A", "B"):
        folder = existing_folder(base / f"{split}{side}", "unpaired dataset (folders)", f"expected {split}A/ and {split}B/ in {base}")
        images, _ = read_images(list_images(folder), channels=channels, size=size, what=f"unpaired dataset {folder}",
                                skip_bad=skip_bad, min_size=resolution)
        domains.append(images)
    return tuple(domains)  # type: ignore[arg-type]


@component("dataset", "unpaired", ports=UNPAIRED_PORTS)
def unpaired(
    root: str,
    split: str = "train",
    layout: UnpairedLayout = "folders",
    resolution: int = 256,
    load_size: int | None = None,
    channels: int = 3,
    skip_bad: bool = False,
    seed: int = 0,
) -> InMemoryDataset:
    """Two unpaired domains: ``{root}/{split}A/`` and ``{split}B/`` (``folders``), or the halves of A|B files (``aligned``)."""
    if layout == "folders":
        a, b = _domain_folders(root, split, load_size or resolution, resolution, channels, skip_bad)
    elif layout == "aligned":
        a, b = read_pairs(root, split, "aligned", resolution, load_size, channels, skip_bad, "unpaired dataset (aligned)")
    else:
        raise ValueError(f"layout must be one of folders, aligned, got {layout!r}")
    return InMemoryDataset(
        shuffled_domains({"a": torch.stack(a), "b": torch.stack(b)}, seed),
        resolution=resolution,
        layout="unpaired",
        name=f"unpaired:{Path(root).name}/{split}",
    )


unpaired_folders = component("dataset", "unpaired-folders", ports=UNPAIRED_PORTS,
                             description="Two unpaired domains from {root}/{split}A/ and {root}/{split}B/ (CycleGAN layout)")(
    with_defaults(unpaired, layout="folders"))
