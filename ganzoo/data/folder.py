"""A folder of images; class sub-folders, when present, give the labels.

``{root}/[{split}/]<class>/*.jpg`` (sorted naturally: ``2`` before ``10``) yields class labels in
that order; a folder of images without sub-folders is unlabelled. Every image is decoded once and
checked (unreadable, truncated, smaller than the stored size) by :func:`ganzoo.data.base.read_images`.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch

from ganzoo.data.base import DataError, InMemoryDataset, existing_folder, list_images, read_images
from ganzoo.interfaces import NO_CONDITION, Condition, Ports
from ganzoo.registry import component


def natural_key(name: str) -> list[int | str]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def labelled_paths(folder: Path) -> tuple[list[Path], list[int], list[str]]:
    """Image paths, their labels and the class names; no class sub-folders -> no labels or names."""
    classes = sorted((d for d in folder.iterdir() if d.is_dir()), key=lambda d: natural_key(d.name))
    if not classes:
        return list_images(folder), [], []
    loose = list_images(folder)
    if loose:
        raise DataError(f"image-folder {folder}: {len(loose)} images (e.g. {loose[0].name}) beside the class sub-folders; move them into one")
    empty = [d.name for d in classes if not list_images(d)]
    if empty:
        raise DataError(f"image-folder {folder}: {len(empty)} class folders hold no images (e.g. {empty[0]}); remove them or add images")
    paths, labels = [], []
    for label, directory in enumerate(classes):
        images = list_images(directory)
        paths += images
        labels += [label] * len(images)
    return paths, labels, [d.name for d in classes]


@component("dataset", "image-folder", ports=Ports(channels=(1, 3), conditions=("none", "class"), features=frozenset({"images"})))
def image_folder(
    root: str,
    split: str | None = None,
    resolution: int = 64,
    load_size: int | None = None,
    channels: int = 3,
    condition: str = "none",
    skip_bad: bool = False,
) -> InMemoryDataset:
    """Images from ``root[/split]``; class sub-folders give labels (the class condition)."""
    folder = existing_folder(Path(root).expanduser() / (split or ""), "image-folder", f"root {root!r}, split {split!r}")
    if condition not in ("none", "class"):
        raise DataError(f"image-folder provides the conditions none or class, not {condition!r}")
    paths, labels, names = labelled_paths(folder)
    if condition == "class" and not names:
        raise DataError(f"image-folder {folder}: class labels need one sub-folder per class, found none")
    what = f"image-folder {folder}"
    images, kept = read_images(paths, channels=channels, size=load_size or resolution, what=what, skip_bad=skip_bad,
                               min_size=resolution)
    return InMemoryDataset(
        {"image": torch.stack(images)},  # type: ignore[arg-type]
        resolution=resolution,
        labels=torch.tensor([labels[i] for i in kept]) if names else None,
        num_classes=len(names),
        condition=Condition("class", len(names)) if condition == "class" else NO_CONDITION,
        class_names=names or None,
        name=f"image-folder:{folder.name}",
    )
