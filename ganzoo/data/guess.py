"""Which loader reads a folder the user points ``--data`` at, for the task being trained.

A preset that trains on built-in data names no path; ``--data PATH`` then needs a real loader, and
the layout on disk says which: ``trainA/`` + ``trainB/`` (CycleGAN), ``train/A`` + ``train/B``
(paired folders), A|B files (pix2pix), caption files (Reed et al.), a JSON-lines manifest, or class
folders. A folder with a ``train/`` split is read at that split. Where the choice changes what is
learned (captions built from class names), the guess comes with a note for the user.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganzoo.data.base import IMAGE_SUFFIXES
from ganzoo.data.paired import MIN_PAIR_ASPECT

TRAIN = "train"


@dataclass(frozen=True)
class Guess:
    """A dataset description (``name`` + arguments) and what the user should know about it."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    note: str = ""


def _folders(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.is_dir()) if path.is_dir() else []


def _images(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES) if path.is_dir() else []


def _side_by_side(folder: Path) -> bool:
    """Whether the first image of ``folder`` is at least ``MIN_PAIR_ASPECT`` times wider than tall."""
    from PIL import Image, UnidentifiedImageError

    images = _images(folder)
    if not images:
        return False
    try:
        with Image.open(images[0]) as img:
            width, height = img.size
    except (UnidentifiedImageError, OSError):
        return False
    return width >= MIN_PAIR_ASPECT * height


def _names_file(root: Path, classes: list[str]) -> str | None:
    """A JSON file in ``root`` naming every class folder (e.g. Oxford-102's ``cat_to_name.json``)."""
    for candidate in sorted(root.glob("*.json")):
        try:
            mapping = json.loads(candidate.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(mapping, dict) and all(isinstance(mapping.get(c), str) for c in classes):
            return candidate.name
    return None


def guess_loader(path: Path, layout: str, condition: str) -> Guess:
    """The loader reading ``path`` for a task of ``layout`` (images, paired, unpaired) fed ``condition``.

    When nothing on disk matches, the task's usual loader is returned: its own error then says what
    it expected to find.
    """
    split = {"split": TRAIN} if (path / TRAIN).is_dir() else {}
    root = {"root": str(path)}
    # A|B files: in PATH/train, or in PATH itself when PATH is one split (facades/train)
    aligned = {**root, "split": TRAIN} if _side_by_side(path / TRAIN) else \
        {"root": str(path.parent), "split": path.name} if _side_by_side(path) else None
    if layout == "unpaired":
        if not (path / f"{TRAIN}A").is_dir() and aligned:
            return Guess("unpaired", {**aligned, "layout": "aligned"},
                         f"{Path(aligned['root']) / aligned['split']} holds A|B files: "
                         "their left halves are domain A, their right halves domain B")
        return Guess("unpaired-folders", root)
    if condition == "image":
        if (path / TRAIN / "A").is_dir() and (path / TRAIN / "B").is_dir():
            return Guess("paired-folders", root)
        return Guess("aligned", aligned or root)
    if condition == "text":
        if path.is_file():
            return Guess("captions-jsonl", {"manifest": str(path)})
        if (path / "images").is_dir() or any(path.glob("text_*")):
            return Guess("captions-reed", root)
        classes = [p.name for p in _folders(path / TRAIN if split else path)]
        if classes and not _images(path / TRAIN if split else path):
            names = _names_file(path, classes)
            named = f"their names in {names}" if names else "the class folder names"
            return Guess("image-folder", {**root, **split, "condition": "text", **({"class_names": names} if names else {})},
                         f"{path} has no caption files: captions are built from {named} (\"a photo of a ...\"), "
                         "so the model learns the classes, not free descriptions")
        return Guess("captions-reed", root)
    return Guess("image-folder", {**root, **split})
