"""UGATIT's facades set: the aligned pix2pix facades as two unpaired domains.

Photos (the left halves) are domain A and label maps (the right halves) domain B; each domain is
shuffled with its own permutation so that position ``i`` of ``a`` and ``b`` are unrelated.
"""

from __future__ import annotations

from pathlib import Path

from ganzoo.data import paired
from ganzoo.data.base import InMemoryDataset, existing_folder
from ganzoo.data.catalog import FACADES, reads
from ganzoo.data.unpaired import UNPAIRED_PORTS, shuffled_domains
from ganzoo.registry import component


@component("dataset", "facades-unpaired", ports=UNPAIRED_PORTS)
@reads(FACADES)
def facades_unpaired(
    root: str | None = None,
    split: str = "train",
    resolution: int = 256,
    load_size: int | None = None,
    channels: int = 3,
    skip_bad: bool = False,
    seed: int = 0,
) -> InMemoryDataset:
    """CMP facades as unpaired domains: photos (A) and label maps (B); default: the data home's facades."""
    existing_folder(Path(root).expanduser(), "facades-unpaired dataset",
                    "set dataset.root to the pix2pix facades: train/ and test/ of 512x256 photo|label files")
    pairs = paired.aligned(root=root, split=split, direction="AtoB", resolution=resolution, load_size=load_size,
                    channels=channels, skip_bad=skip_bad)
    return InMemoryDataset(
        shuffled_domains({"a": pairs.images["source"], "b": pairs.images["image"]}, seed),
        resolution=resolution,
        layout="unpaired",
        name=f"facades-unpaired/{split}",
    )
