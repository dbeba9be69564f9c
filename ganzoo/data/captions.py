"""Captioned image data for text-to-image tasks.

* ``captions-files``: images under ``{root}/{images}/`` and, for every image, a caption file
  ``{root}/{text}/**/<image stem>.txt`` holding its captions one per line; images and caption
  files are matched by file stem. ``split`` restricts to the stems listed in
  ``{root}/{split}/filenames.txt``. (The stackgan plugin's ``captions-reed`` reads Reed et al.'s
  ``text_c10`` copies this way, with StackGAN's own file lists.)
* ``captions-jsonl``: a JSON-lines manifest, one ``{"image": PATH, "caption": TEXT or [TEXT, ...]}``
  per line, image paths relative to the manifest; lines naming the same image add captions.

Captions built from class names (``flowers102``, any ``image-folder`` with the text condition) are
in :mod:`ganzoo.data.folder`.

Every sample carries all of its captions; the loop draws one per sample from the index and the
epoch (:meth:`InMemoryDataset.caption`), so runs are reproducible and every caption is seen.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import torch

from ganzoo.data.base import IMAGE_SUFFIXES, DataError, InMemoryDataset, existing_folder, offered_condition, read_images
from ganzoo.interfaces import NO_CONDITION, Condition, Ports
from ganzoo.registry import component

TEXT_PORTS = Ports(channels=(1, 3), conditions=("none", "text"), features=frozenset({"images"}))
#: what the captioned loaders offer: the images alone, or with their captions.
OFFERED = {"none": NO_CONDITION, "text": Condition("text")}


def captioned(
    pairs: list[tuple[Path, list[str]]], *, what: str, name: str, resolution: int, load_size: int | None,
    channels: int, condition: Condition, skip_bad: bool,
) -> InMemoryDataset:
    """Decode the images of ``(path, captions)`` pairs once and keep them with their captions."""
    images, kept = read_images([p for p, _ in pairs], channels=channels, size=load_size or resolution, what=what, skip_bad=skip_bad,
                               min_size=resolution)
    return InMemoryDataset(
        {"image": torch.stack(images)},  # type: ignore[arg-type]
        resolution=resolution,
        captions=[pairs[i][1] for i in kept],
        condition=condition,
        name=name,
    )


def read_caption_file(path: Path) -> list[str]:
    """Non-empty, stripped lines of a caption file (UTF-8; undecodable bytes are replaced)."""
    return [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]


def listed_names(root: Path, split: str, what: str) -> set[str]:
    """The image stems of ``split``: ``{root}/{split}/filenames.txt``, one image name per line."""
    listing = root / split / "filenames.txt"
    if not listing.is_file():
        raise DataError(f"{what}: split {split!r} needs {listing} (one image name per line)")
    return {Path(n).stem for n in listing.read_text(encoding="utf-8").split()}


def caption_folder(
    base: Path, *, what: str, name: str, split: str | None, images: str, text: str, resolution: int, load_size: int | None,
    channels: int, condition: str, skip_bad: bool, split_names: Callable[[Path, str, str], set[str]] = listed_names,
) -> InMemoryDataset:
    """Images under ``base/images`` paired by file stem with caption files ``base/text/**/<stem>.txt``;
    ``split`` keeps the stems ``split_names(base, split, what)`` lists (a family may read its own lists)."""
    provided = offered_condition(condition, OFFERED, what)  # before any file is read
    image_dir, text_dir = base / images, base / text
    for folder, parameter in ((image_dir, "images"), (text_dir, "text")):
        existing_folder(folder, what, f"parameter {parameter}={folder.name!r}")
    texts = {p.stem: p for p in sorted(text_dir.rglob("*.txt"))}
    paths = sorted(p for p in image_dir.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if split is not None:
        wanted = split_names(base, split, what)
        paths = [p for p in paths if p.stem in wanted]
    captions = {p: read_caption_file(texts[p.stem]) if p.stem in texts else [] for p in paths}
    uncaptioned = [p for p, lines in captions.items() if not lines]
    if uncaptioned and not skip_bad:
        raise DataError(
            f"{what}: {len(uncaptioned)} images have no caption file {text_dir}/<...>/<stem>.txt "
            f"(e.g. {uncaptioned[0]}); add captions or pass --skip-bad to skip them"
        )
    pairs = [(p, lines) for p, lines in captions.items() if lines]
    if not pairs:
        raise DataError(f"{what}: no captioned images found under {image_dir}")
    return captioned(pairs, what=what, name=name, resolution=resolution, load_size=load_size, channels=channels,
                     condition=provided, skip_bad=skip_bad)


@component("dataset", "captions-files", ports=TEXT_PORTS)
def captions_files(
    root: str,
    split: str | None = None,
    images: str = "images",
    text: str = "text",
    resolution: int = 64,
    load_size: int | None = None,
    channels: int = 3,
    condition: str = "text",
    skip_bad: bool = False,
) -> InMemoryDataset:
    """Images with a caption file each (``text/**/<image stem>.txt``, one caption per line)."""
    base = Path(root).expanduser()
    return caption_folder(base, what=f"captions-files {base}", name=f"captions-files:{base.name}", split=split, images=images,
                          text=text, resolution=resolution, load_size=load_size, channels=channels, condition=condition,
                          skip_bad=skip_bad)


@component("dataset", "captions-jsonl", ports=TEXT_PORTS)
def captions_jsonl(
    manifest: str,
    resolution: int = 64,
    load_size: int | None = None,
    channels: int = 3,
    condition: str = "text",
    skip_bad: bool = False,
) -> InMemoryDataset:
    """Images and captions listed in a JSON-lines manifest (``{"image": ..., "caption": ...}``)."""
    path = Path(manifest).expanduser()
    what = f"captions-jsonl {path}"
    provided = offered_condition(condition, OFFERED, what)  # before any file is read
    if not path.is_file():
        raise DataError(f"{what}: manifest file does not exist (parameter manifest)")
    captions: dict[Path, list[str]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataError(f"{path}:{number}: not valid JSON ({error.msg})") from None
        text = record.get("caption") if isinstance(record, dict) else None
        texts = [text] if isinstance(text, str) else text
        if not isinstance(record, dict) or not isinstance(record.get("image"), str) or not isinstance(texts, list) \
                or not texts or not all(isinstance(t, str) and t.strip() for t in texts):
            raise DataError(f'{path}:{number}: expected {{"image": PATH, "caption": TEXT or [TEXT, ...]}}, got {line.strip()[:80]}')
        image = (path.parent / record["image"]).expanduser()
        captions.setdefault(image, []).extend(t.strip() for t in texts)
    if not captions:
        raise DataError(f"{what}: the manifest lists no images")
    absent = [p for p in captions if not p.is_file()]
    if absent and not skip_bad:
        raise DataError(f"{what}: {len(absent)} listed images do not exist (e.g. {absent[0]}); fix the manifest or pass --skip-bad")
    pairs = [(p, c) for p, c in captions.items() if p.is_file()]
    if not pairs:
        raise DataError(f"{what}: none of the listed images exist")
    return captioned(pairs, what=what, name=f"captions-jsonl:{path.stem}", resolution=resolution, load_size=load_size,
                      channels=channels, condition=provided, skip_bad=skip_bad)
