"""Dataset components for the catalog's datasets: each loads the data home's copy by default.

They are thin: the general loaders (``aligned``, ``unpaired-folders``, ``captions-reed``) do the
reading; these fix the layout of each dataset as distributed and default ``root`` to the data home
(``ganzoo data get NAME``). ``--data PATH`` points one at a copy elsewhere.
"""

from __future__ import annotations

from ganzoo.data.base import InMemoryDataset
from ganzoo.data.captions import TEXT_PORTS, captions_reed
from ganzoo.data.catalog import CUB200_REED, FACADES, FLOWERS102_REED, HORSE2ZEBRA, reads
from ganzoo.data.paired import aligned
from ganzoo.data.unpaired import unpaired_folders
from ganzoo.registry import component


@component("dataset", "facades", ports=aligned.ports)
@reads(FACADES)
def facades(
    root: str | None = None,
    split: str = "train",
    direction: str = "BtoA",
    resolution: int = 256,
    load_size: int | None = None,
    channels: int = 3,
    skip_bad: bool = False,
) -> InMemoryDataset:
    """CMP facades (pix2pix archive): photo|label pairs; BtoA translates label maps into photos."""
    return aligned(root=root, split=split, direction=direction, resolution=resolution, load_size=load_size,
                   channels=channels, skip_bad=skip_bad)


@component("dataset", "horse2zebra", ports=unpaired_folders.ports)
@reads(HORSE2ZEBRA)
def horse2zebra(
    root: str | None = None,
    split: str = "train",
    resolution: int = 256,
    load_size: int | None = None,
    channels: int = 3,
    skip_bad: bool = False,
    seed: int = 0,
) -> InMemoryDataset:
    """CycleGAN horse2zebra: horses (A) and zebras (B), unpaired."""
    return unpaired_folders(root=root, split=split, resolution=resolution, load_size=load_size, channels=channels,
                            skip_bad=skip_bad, seed=seed)


@component("dataset", "cub200-reed", ports=TEXT_PORTS)
@reads(CUB200_REED)
def cub200_reed(
    root: str | None = None,
    split: str | None = None,
    resolution: int = 64,
    load_size: int | None = None,
    channels: int = 3,
    condition: str = "text",
    skip_bad: bool = False,
) -> InMemoryDataset:
    """CUB-200-2011 birds with Reed et al.'s captions; ``split`` needs StackGAN's file lists (part embeddings)."""
    return captions_reed(root=root, split=split, images="images", text="text_c10", resolution=resolution,
                         load_size=load_size, channels=channels, condition=condition, skip_bad=skip_bad)


@component("dataset", "flowers102-reed", ports=TEXT_PORTS)
@reads(FLOWERS102_REED)
def flowers102_reed(
    root: str | None = None,
    split: str | None = None,
    resolution: int = 64,
    load_size: int | None = None,
    channels: int = 3,
    condition: str = "text",
    skip_bad: bool = False,
) -> InMemoryDataset:
    """Oxford-102 flowers with Reed et al.'s captions; ``split`` needs StackGAN's file lists (part embeddings)."""
    return captions_reed(root=root, split=split, images="jpg", text="text_c10", resolution=resolution,
                         load_size=load_size, channels=channels, condition=condition, skip_bad=skip_bad)
