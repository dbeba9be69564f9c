"""Reference features of a dataset, computed once per (data, split, resolution, extractor) and cached.

Real images cost as much to push through Inception as generated ones and never change, so their
features are stored in the user cache (``$GANZOO_FID_STATS``, else ``$XDG_CACHE_HOME/ganzoo/fid-stats``
or ``~/.cache/ganzoo/fid-stats``) as safetensors, written atomically. The key hashes the image
bytes themselves (and the labels), so a changed dataset never reuses stale statistics.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save
from torch import Tensor

from ganzoo.data.augment import centre_crop
from ganzoo.data.base import InMemoryDataset
from ganzoo.interfaces import ReportProgress
from ganzoo.io import atomic_write
from ganzoo.metrics.extractors import FeatureExtractor
from ganzoo.metrics.sets import FeatureSet, extract

CACHE_ENV = "GANZOO_FID_STATS"
#: bumped whenever what is stored (or how it is computed) changes.
FORMAT = 1
#: at most this many real images are pushed through the extractor unless asked otherwise.
DEFAULT_REFERENCE_COUNT = 10_000


def cache_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ganzoo" / "fid-stats"


def data_digest(dataset: InMemoryDataset, key: str) -> str:
    """SHA-256 of the stored images under ``key`` (and the labels): the data's identity."""
    digest = hashlib.sha256()
    digest.update(dataset.images[key].cpu().contiguous().numpy().tobytes())
    if dataset.labels is not None:
        digest.update(dataset.labels.cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


@dataclass
class Reference:
    """Real features and the description a result records (``cached`` says whether they were reused)."""

    features: FeatureSet
    description: dict[str, Any]


def chosen_images(total: int, count: int) -> Tensor:
    """Which of ``total`` images a ``count``-image set is made of: a random subset fixed by seed 0, in
    order (datasets stored class by class would otherwise give the first few classes only); all of
    them, cycled, when ``count`` is larger. Generated sets draw their conditions from the same images."""
    if count >= total:
        return torch.arange(count) % total
    return torch.randperm(total, generator=torch.Generator().manual_seed(0))[:count].sort().values


def reference_features(dataset: InMemoryDataset, extractor: FeatureExtractor, *, key: str = "image", split: str | None = None,
                       count: int | None = None, batch_size: int = 64, device: torch.device | str = "cpu",
                       cache: Path | None = None, progress: ReportProgress | None = None) -> Reference:
    """Features of up to ``count`` images of ``dataset`` (default 10,000; a seeded random subset when
    there are more), at the dataset's resolution, from the cache when they are there (``progress``
    hears ``("reference", done, count)`` while they are computed)."""
    images = dataset.images[key]
    total = len(images)
    count = min(total, count or DEFAULT_REFERENCE_COUNT)
    identity = {"format": FORMAT, "data": data_digest(dataset, key), "images": key, "split": split, "resolution": dataset.resolution,
                "count": count, "extractor": extractor.name, "sha256": extractor.digest, "resize": extractor.resize}
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{dataset.name}-{split or 'all'}-{dataset.resolution}px-{extractor.name}")
    path = (cache or cache_dir()) / f"{name}-{_digest(identity)[:16]}.safetensors"
    description = {"dataset": dataset.name, "split": split, "images": key, "count": count, "of": total, "resolution": dataset.resolution,
                   "data_sha256": identity["data"], "cache": str(path)}
    stored = _read(path)
    if stored is not None:
        return Reference(stored, {**description, "cached": True})
    chosen = chosen_images(total, count)
    labels = dataset.labels.cpu()[chosen] if dataset.labels is not None else None
    batches = (centre_crop({key: images[chosen[i:i + batch_size].to(images.device)]}, dataset.resolution)[key]
               for i in range(0, count, batch_size))
    features = extract(extractor, batches, device, progress=progress, what="reference", total=count)
    features.labels = labels
    tensors = {"features": features.features.contiguous()}
    if labels is not None:
        tensors["labels"] = labels.contiguous()
    data = save(tensors, metadata={"identity": json.dumps(identity)})
    atomic_write(path, lambda handle: handle.write(data))
    return Reference(features, {**description, "cached": False})


def _digest(identity: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def _read(path: Path) -> FeatureSet | None:
    """The cached features, or ``None`` when absent or unreadable (then they are recomputed)."""
    if not path.is_file():
        return None
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError):
        return None
    return FeatureSet(tensors["features"], labels=tensors.get("labels"))
