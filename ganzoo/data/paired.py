"""Paired image-to-image data: aligned A|B files and two folders of same-named images.

Both layouts read ``{root}/{split}/...`` so that ``--split test`` picks the evaluation pairs, and
both give ``source`` (the input) and ``image`` (the target) per ``direction``: ``AtoB`` translates
A into B, ``BtoA`` the reverse. The pix2pix facades set stores the photo as A (left) and the label
map as B (right), so labels -> photo is ``BtoA``.
"""

from __future__ import annotations

from pathlib import Path

import torch
from PIL import Image, UnidentifiedImageError
from torch import Tensor

from ganzoo.data.base import DataError, ImageProblems, InMemoryDataset, existing_folder, list_images, read_images
from ganzoo.interfaces import Condition, Ports
from ganzoo.registry import component

DIRECTIONS = ("AtoB", "BtoA")
#: an aligned file must be at least this many times wider than tall to hold two images side by side.
MIN_PAIR_ASPECT = 1.5

_PORTS = Ports(channels=(1, 3), conditions=("image",), features=frozenset({"paired"}))


def _split_folder(root: str, split: str, what: str) -> Path:
    return existing_folder(Path(root).expanduser() / split, what, f"root {root!r}, split {split!r}")


def _check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")


def _paired(a: list[Tensor], b: list[Tensor], direction: str, resolution: int, channels: int, name: str) -> InMemoryDataset:
    source, target = (a, b) if direction == "AtoB" else (b, a)
    return InMemoryDataset(
        {"source": torch.stack(source), "image": torch.stack(target)},
        resolution=resolution,
        layout="paired",
        condition=Condition("image", channels),
        name=name,
    )


def _side_by_side(paths: list[Path], what: str, skip_bad: bool) -> list[Path]:
    """The files wide enough to be A|B pairs (read from headers only); the others are problems."""
    problems = ImageProblems(what)
    kept = []
    for path in paths:
        try:
            with Image.open(path) as img:
                width, height = img.size
        except (UnidentifiedImageError, OSError):
            kept.append(path)  # decoding reports it with the other unreadable files
            continue
        if width < MIN_PAIR_ASPECT * height:
            problems.add(f"not side-by-side A|B pairs (narrower than {MIN_PAIR_ASPECT}x their height)", f"{path} ({width}x{height})")
        else:
            kept.append(path)
    problems.settle(skip_bad)
    return kept


def split_pair(img: Image.Image) -> list[Image.Image]:
    """An aligned file's two halves: ``[A (left), B (right)]``."""
    width, height = img.size
    half = width // 2
    return [img.crop((0, 0, half, height)), img.crop((half, 0, 2 * half, height))]


@component("dataset", "aligned", ports=_PORTS)
def aligned(
    root: str,
    split: str = "train",
    direction: str = "AtoB",
    resolution: int = 256,
    load_size: int | None = None,
    channels: int = 3,
    skip_bad: bool = False,
) -> InMemoryDataset:
    """Aligned pairs, A on the left and B on the right of each file in ``{root}/{split}/``."""
    _check_direction(direction)
    what = f"aligned dataset {Path(root) / split}"
    paths = _side_by_side(list_images(_split_folder(root, split, "aligned dataset")), what, skip_bad)
    pairs, _ = read_images(paths, channels=channels, size=load_size or resolution, what=what, skip_bad=skip_bad, prepare=split_pair,
                           min_size=resolution)
    a, b = [pair[0] for pair in pairs], [pair[1] for pair in pairs]  # type: ignore[index]
    return _paired(a, b, direction, resolution, channels, f"aligned:{Path(root).name}/{split}")


@component("dataset", "paired-folders", ports=_PORTS)
def paired_folders(
    root: str,
    split: str = "train",
    direction: str = "AtoB",
    resolution: int = 256,
    load_size: int | None = None,
    channels: int = 3,
    skip_bad: bool = False,
) -> InMemoryDataset:
    """Pairs from ``{root}/{split}/A/`` and ``{root}/{split}/B/``, matched by file name (stem)."""
    _check_direction(direction)
    folder = _split_folder(root, split, "paired-folders dataset")
    what = f"paired-folders dataset {folder}"
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
    stems = sorted(set(by_stem["A"]) & set(by_stem["B"]))
    size = load_size or resolution
    a, kept_a = read_images([by_stem["A"][s] for s in stems], channels=channels, size=size, what=f"{what}/A", skip_bad=skip_bad,
                            min_size=resolution)
    b, kept_b = read_images([by_stem["B"][s] for s in stems], channels=channels, size=size, what=f"{what}/B", skip_bad=skip_bad,
                            min_size=resolution)
    a_by_pair, b_by_pair = dict(zip(kept_a, a)), dict(zip(kept_b, b))
    both = sorted(a_by_pair.keys() & b_by_pair.keys())  # a pair survives only if both images decoded
    return _paired([a_by_pair[i] for i in both], [b_by_pair[i] for i in both], direction, resolution, channels, f"paired-folders:{Path(root).name}/{split}")
