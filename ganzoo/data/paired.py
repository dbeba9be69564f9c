"""Paired image-to-image data: one ``paired`` loader, two layouts of ``{root}/{split}/``.

* ``aligned``: each file holds A on the left and B on the right (the pix2pix datasets);
* ``folders``: ``A/`` and ``B/`` hold same-named images (matched by file stem).

``aligned`` and ``paired-folders`` are the same loader with the layout fixed. ``--split test``
picks the evaluation pairs, and every layout gives ``source`` (the input) and ``image`` (the target) per ``direction``: ``AtoB`` translates
A into B, ``BtoA`` the reverse. The pix2pix facades set stores the photo as A (left) and the label
map as B (right), so labels -> photo is ``BtoA``.
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Literal

import torch
from PIL import Image
from torch import Tensor

from ganzoo.data.base import DataError, ImageProblems, InMemoryDataset, existing_folder, image_size, list_images, read_images
from ganzoo.interfaces import Condition, Ports
from ganzoo.registry import component, with_defaults

Direction = Literal["AtoB", "BtoA"]
DIRECTIONS: tuple[str, ...] = typing.get_args(Direction)
PairedLayout = Literal["aligned", "folders"]
#: an aligned file must be at least this many times wider than tall to hold two images side by side.
MIN_PAIR_ASPECT = 1.5

_PORTS = Ports(channels=(1, 3), conditions=("image",), features=frozenset({"paired"}))


def pair_size(path: Path) -> tuple[int, int, bool] | None:
    """``(width, height, wide enough to hold A|B side by side)`` from the file's header; None if unreadable."""
    size = image_size(path)
    if size is None:
        return None
    width, height = size
    return width, height, width >= MIN_PAIR_ASPECT * height


def side_by_side(paths: list[Path], what: str, skip_bad: bool) -> list[Path]:
    """The files wide enough to be A|B pairs (read from headers only); the others are problems."""
    problems = ImageProblems(what)
    kept = []
    for path in paths:
        size = pair_size(path)
        if size is None or size[2]:
            kept.append(path)  # an unreadable file is reported by decoding, with the others
        else:
            problems.add(f"not side-by-side A|B pairs (narrower than {MIN_PAIR_ASPECT}x their height)", f"{path} ({size[0]}x{size[1]})")
    problems.settle(skip_bad)
    return kept


def split_pair(img: Image.Image) -> list[Image.Image]:
    """An aligned file's two halves: ``[A (left), B (right)]``."""
    width, height = img.size
    half = width // 2
    return [img.crop((0, 0, half, height)), img.crop((half, 0, 2 * half, height))]


def _aligned_pairs(folder: Path, what: str, size: int, resolution: int, channels: int, skip_bad: bool) -> tuple[list[Tensor], list[Tensor]]:
    """A and B halves of the side-by-side files in ``folder``."""
    paths = side_by_side(list_images(folder), what, skip_bad)
    pairs, _ = read_images(paths, channels=channels, size=size, what=what, skip_bad=skip_bad, prepare=split_pair, min_size=resolution)
    return [pair[0] for pair in pairs], [pair[1] for pair in pairs]  # type: ignore[index]


def _folder_pairs(folder: Path, what: str, size: int, resolution: int, channels: int, skip_bad: bool) -> tuple[list[Tensor], list[Tensor]]:
    """Images of ``folder/A`` and ``folder/B`` matched by file stem; a pair survives only if both decode."""
    by_stem: dict[str, dict[str, Path]] = {}
    for side in ("A", "B"):
        existing_folder(folder / side, what, f"expected {folder}/A and {folder}/B with same-named images")
        stems: dict[str, Path] = {}
        for path in list_images(folder / side):
            if path.stem in stems:
                raise DataError(f"{what}: {stems[path.stem].name} and {path.name} in {side} share a name; keep one")
            stems[path.stem] = path
        by_stem[side] = stems
    unmatched = ImageProblems(what)
    for side, other in (("A", "B"), ("B", "A")):
        for stem in sorted(set(by_stem[side]) - set(by_stem[other])):
            unmatched.add(f"in {side} without a partner in {other}", by_stem[side][stem])
    unmatched.settle(skip_bad)
    matched = sorted(set(by_stem["A"]) & set(by_stem["B"]))
    decoded = {}
    for side in ("A", "B"):
        images, kept = read_images([by_stem[side][s] for s in matched], channels=channels, size=size, what=f"{what}/{side}",
                                   skip_bad=skip_bad, min_size=resolution)
        decoded[side] = dict(zip(kept, images))
    both = sorted(decoded["A"].keys() & decoded["B"].keys())
    return [decoded["A"][i] for i in both], [decoded["B"][i] for i in both]  # type: ignore[misc]


#: how each paired layout is read: ``aligned`` A|B files, or same-named files in ``A/`` and ``B/``.
_READERS = {"aligned": _aligned_pairs, "folders": _folder_pairs}


def read_pairs(
    root: str, split: str, layout: PairedLayout, resolution: int, load_size: int | None, channels: int, skip_bad: bool, what: str
) -> tuple[list[Tensor], list[Tensor]]:
    """The A and B images of ``{root}/{split}`` in ``layout``, decoded at ``load_size or resolution``."""
    if layout not in _READERS:
        raise ValueError(f"layout must be one of {', '.join(_READERS)}, got {layout!r}")
    folder = existing_folder(Path(root).expanduser() / split, what, f"root {root!r}, split {split!r}")
    return _READERS[layout](folder, f"{what} {folder}", load_size or resolution, resolution, channels, skip_bad)


@component("dataset", "paired", ports=_PORTS)
def paired(
    root: str,
    split: str = "train",
    layout: PairedLayout = "aligned",
    direction: Direction = "AtoB",
    resolution: int = 256,
    load_size: int | None = None,
    channels: int = 3,
    skip_bad: bool = False,
) -> InMemoryDataset:
    """Image pairs in ``{root}/{split}/``: side-by-side A|B files (``aligned``) or ``A/`` and ``B/`` folders."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
    a, b = read_pairs(root, split, layout, resolution, load_size, channels, skip_bad, f"paired dataset ({layout})")
    source, target = (a, b) if direction == "AtoB" else (b, a)
    return InMemoryDataset(
        {"source": torch.stack(source), "image": torch.stack(target)},
        resolution=resolution,
        layout="paired",
        condition=Condition("image", channels),
        name=f"paired:{Path(root).name}/{split}",
    )


aligned = component("dataset", "aligned", description="Aligned pairs, A on the left and B on the right of each file in {root}/{split}/",
                    ports=_PORTS)(with_defaults(paired, layout="aligned"))
paired_folders = component("dataset", "paired-folders", ports=_PORTS,
                           description="Pairs from {root}/{split}/A/ and {root}/{split}/B/, matched by file name (stem)")(
    with_defaults(paired, layout="folders"))
