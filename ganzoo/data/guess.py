"""Which loader reads a folder the user points ``--data`` at, for the task being trained.

A preset that trains on built-in data names no path; ``--data PATH`` then needs a real loader, and
the layout on disk says which: ``trainA/`` + ``trainB/`` (CycleGAN), ``train/A`` + ``train/B``
(paired folders), A|B files (pix2pix), a caption file per image (as Reed et al.'s ``text_c10``), a JSON-lines manifest, or class
folders. A folder with a ``train/`` split is read at that split. Where the choice changes what is
learned (captions built from class names), the guess comes with a note for the user.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganzoo.data.base import DataError, list_images
from ganzoo.data.folder import readable_names
from ganzoo.data.paired import pair_size

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
    return list_images(path) if path.is_dir() else []


def _holds_pairs(folder: Path) -> bool:
    """Whether the first image of ``folder`` is wide enough to hold an A|B pair."""
    images = _images(folder)
    size = pair_size(images[0]) if images else None
    return size is not None and size[2]


def _aligned_split(path: Path) -> dict[str, str] | None:
    """Where A|B files are: in PATH/train, or in PATH itself when PATH is one split (facades/test)."""
    if _holds_pairs(path / TRAIN):
        return {"root": str(path), "split": TRAIN}
    if _holds_pairs(path):
        return {"root": str(path.parent), "split": path.name}
    return None


def _names_file(root: Path, classes: list[str]) -> str | None:
    """A JSON file in ``root`` that names every class folder as the loader will read it (e.g. Oxford-102's
    ``cat_to_name.json``)."""
    for candidate in sorted(root.glob("*.json")):
        try:
            readable_names(classes, candidate, str(root))
        except (DataError, OSError):
            continue
        return candidate.name
    return None


def _text_folders(path: Path) -> list[str]:
    """Folders of caption files: ``text`` or ``text_*`` (Reed et al.'s ``text_c10``)."""
    return [p.name for p in _folders(path) if p.name == "text" or p.name.startswith("text_")]


def guess_loader(path: Path, layout: str, condition: str) -> Guess:
    """The loader reading ``path`` for a task of ``layout`` (images, paired, unpaired) fed ``condition``.

    When nothing on disk matches, the task's usual loader is returned: its own error then says what
    it expected to find.
    """
    split = {"split": TRAIN} if (path / TRAIN).is_dir() else {}
    root = {"root": str(path)}
    if layout == "unpaired":
        aligned = None if (path / f"{TRAIN}A").is_dir() else _aligned_split(path)
        if aligned:
            return Guess("unpaired", {**aligned, "layout": "aligned"},
                         f"{Path(aligned['root']) / aligned['split']} holds A|B files: "
                         "their left halves are domain A, their right halves domain B")
        return Guess("unpaired-folders", root)
    if condition == "image":
        if (path / TRAIN / "A").is_dir() and (path / TRAIN / "B").is_dir():
            return Guess("paired-folders", root)
        return Guess("aligned", _aligned_split(path) or root)
    if condition == "text":
        if path.is_file():
            return Guess("captions-jsonl", {"manifest": str(path)})
        texts = _text_folders(path)
        if (path / "images").is_dir() or texts:
            return Guess("captions-files", {**root, **({"text": texts[0]} if texts else {})})
        read = path / TRAIN if split else path
        classes = [p.name for p in _folders(read)]
        if classes and not _images(read):
            names = _names_file(path, classes)
            named = f"their names in {names}" if names else "the class folder names"
            return Guess("image-folder", {**root, **split, "condition": "text", **({"class_names": names} if names else {})},
                         f"{path} has no caption files: captions are built from {named} (\"a photo of a ...\"), "
                         "so the model learns the classes, not free descriptions")
        return Guess("captions-files", root)
    return Guess("image-folder", {**root, **split})
