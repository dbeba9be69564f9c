"""A folder of images; class sub-folders, when present, give labels and captions.

``{root}/[{split}/]<class>/*.jpg`` (sorted naturally: ``2`` before ``10``) yields class labels in
that order; a folder of images without sub-folders is unlabelled. The class names are the folder
names, or what a JSON file (``class_names``) maps them to; for the text condition every image is
captioned by filling each of ``templates`` with its class name ("a photo of a pink primrose").
Such captions teach the class, not fine-grained descriptions: they make any labelled folder a
text-to-image set. Every image is decoded once and checked (unreadable, truncated, smaller than
the stored size) by :func:`ganzoo.data.base.read_images`.

``flowers102`` is this loader with the layout of Oxford-102 as commonly shared: ``{split}/<class>/``
folders numbered 1..102 and ``cat_to_name.json`` naming them.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import torch

from ganzoo.data.base import DataError, InMemoryDataset, existing_folder, list_images, offered_condition, read_images
from ganzoo.interfaces import NO_CONDITION, Condition, Ports
from ganzoo.registry import component, with_defaults

PORTS = Ports(channels=(1, 3), conditions=("none", "class", "text"), features=frozenset({"images"}))
#: how a flower's class name becomes captions for ``flowers102`` (drawn in turn, like real captions).
FLOWER_TEMPLATES = ("a photo of a {}", "a {} flower", "a close-up photo of a {}, a type of flower")


def natural_key(name: str) -> list[int | str]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


#: folder names that usually mean a split of a dataset rather than a class.
SPLIT_NAMES = ("train", "training", "test", "testing", "val", "valid", "validation")


def _likely_split(folders: list[Path]) -> str:
    names = [d.name for d in folders]
    return next((n for n in names if n.lower() in ("train", "training")), names[0])


def labelled_paths(folder: Path) -> tuple[list[Path], list[int], list[str]]:
    """Image paths, their labels and the class folder names; no class sub-folders -> no labels or names."""
    classes = sorted((d for d in folder.iterdir() if d.is_dir()), key=lambda d: natural_key(d.name))
    if not classes:
        return list_images(folder), [], []
    loose = list_images(folder)
    if loose:
        raise DataError(f"image-folder {folder}: {len(loose)} images (e.g. {loose[0].name}) beside the class sub-folders; move them into one")
    empty = [d for d in classes if not list_images(d)]
    if empty and all(any(p.is_dir() for p in d.iterdir()) for d in classes):
        raise DataError(f"image-folder {folder}: {', '.join(d.name for d in classes)} hold folders, not images: "
                        f"if they are splits, pick one with --set dataset.split={_likely_split(classes)} or point --data at it")
    if empty:
        raise DataError(f"image-folder {folder}: {len(empty)} class folders hold no images (e.g. {empty[0].name}); remove them or add images")
    splits = [d.name for d in classes if d.name.lower() in SPLIT_NAMES]
    if splits:
        warnings.warn(f"image-folder {folder}: class folders named like splits ({', '.join(splits)}) are read as classes; "
                      f"to train on one split, --set dataset.split={_likely_split(classes)}", stacklevel=2)
    paths, labels = [], []
    for label, directory in enumerate(classes):
        images = list_images(directory)
        paths += images
        labels += [label] * len(images)
    return paths, labels, [d.name for d in classes]


def readable_names(folders: list[str], names_file: Path, what: str) -> list[str]:
    """The names ``names_file`` (a JSON object, folder name -> name) gives the class ``folders``."""
    if not names_file.is_file():
        raise DataError(f"{what}: no {names_file} mapping class folders to names (parameter class_names)")
    try:
        mapping = json.loads(names_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataError(f"{names_file}: not valid JSON ({error})") from None
    if not isinstance(mapping, dict) or not all(isinstance(v, str) and v.strip() for v in mapping.values()):
        raise DataError(f"{names_file}: expected a JSON object mapping class folder names to names")
    unnamed = [f for f in folders if f not in mapping]
    if unnamed:
        raise DataError(f"{what}: {len(unnamed)} class folders have no name in {names_file} (e.g. {unnamed[0]})")
    return [mapping[f].strip() for f in folders]


def _captions(names: list[str], templates: tuple[str, ...] | list[str], what: str) -> list[list[str]]:
    """Each class's captions: every template filled with its name."""
    if not templates or not all(isinstance(t, str) and t.count("{}") == 1 and "{" not in t.replace("{}", "") for t in templates):
        raise DataError(f"{what}: templates must be texts holding the class name as '{{}}' once, got {list(templates)!r}")
    return [[_filled(t, name) for t in templates] for name in names]


def _filled(template: str, name: str) -> str:
    """``template`` holding ``name``, its "a" made "an" before a vowel ("a photo of an orange dahlia")."""
    if name[:1].lower() in ("a", "e", "i", "o", "u"):
        template = re.sub(r"\b([Aa]) \{\}", r"\1n {}", template)
    return template.format(name)


@component("dataset", "image-folder", ports=PORTS)
def image_folder(
    root: str,
    split: str | None = None,
    class_names: str | None = None,
    templates: tuple[str, ...] = ("a photo of a {}",),
    resolution: int = 64,
    load_size: int | None = None,
    channels: int = 3,
    condition: str = "none",
    skip_bad: bool = False,
) -> InMemoryDataset:
    """Images from ``root[/split]``; class sub-folders give labels (class condition) and captions (text)."""
    folder = existing_folder(Path(root).expanduser() / (split or ""), "image-folder", f"root {root!r}, split {split!r}")
    what = f"image-folder {folder}"
    paths, labels, folders = labelled_paths(folder)
    provided = offered_condition(condition, {"none": NO_CONDITION, "class": Condition("class", len(folders)), "text": Condition("text")},
                                 "image-folder")
    if condition != "none" and not folders:
        raise DataError(f"{what}: the {condition} condition comes from class sub-folders (one per class), found none")
    names = readable_names(folders, Path(root).expanduser() / class_names, what) if class_names and folders else folders
    captions = _captions(names, templates, what) if condition == "text" else None
    images, kept = read_images(paths, channels=channels, size=load_size or resolution, what=what, skip_bad=skip_bad,
                               min_size=resolution)
    return InMemoryDataset(
        {"image": torch.stack(images)},  # type: ignore[arg-type]
        resolution=resolution,
        labels=torch.tensor([labels[i] for i in kept]) if names else None,
        num_classes=len(names),
        captions=[captions[labels[i]] for i in kept] if captions else None,
        condition=provided,
        class_names=names or None,
        name=f"image-folder:{folder.name}",
    )


flowers102 = component("dataset", "flowers102", ports=PORTS,
                       description="Oxford-102 flowers ({split}/<class>/ + cat_to_name.json); captions are built from class names")(
    with_defaults(image_folder, split="train", class_names="cat_to_name.json", templates=FLOWER_TEMPLATES, condition="text"))
