"""Model weights the metrics and conditioners use, fetched on first use.

Each file goes into the cache its own library reads, so a file already there is reused and one
fetched here serves that library too: torch.hub's ``checkpoints`` folder for torch-fidelity's FID
Inception, ``~/.cache/clip`` for CLIP. A download is checked against the SHA-256 its publisher
gives before it takes its name; ``ganzoo weights get NAME --from FILE`` checks and copies a file
got by hand (the way in offline, see :mod:`ganzoo.fetch`).
"""

from __future__ import annotations

import os
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from ganzoo.fetch import OFFLINE_ENV, FetchError, Progress, download, file_digest, offline

INCEPTION_FID = "inception-fid"
#: torch-fidelity's FID Inception (the 2015-12-05 TensorFlow weights, converted), as its
#: feature_extractor_inceptionv3.URL_INCEPTION_V3 names it; the file name ends with the first
#: digits of its SHA-256, torch.hub's convention (``check_hash``), the hash torch-fidelity publishes.
INCEPTION_URL = "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/weights-inception-2015-12-05-6726825d.pth"
CLIP_CACHE = Path("~/.cache/clip")  # where clip.load keeps its downloads


@dataclass(frozen=True)
class KnownWeights:
    """One published weights file: where it comes from, its digest, and the cache it lives in."""

    name: str
    title: str
    url: str
    #: the SHA-256 the publisher gives: whole, or its first digits (torch.hub's file-name convention).
    sha256: str
    published_by: str
    folder: Path
    used_by: str

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]

    @property
    def path(self) -> Path:
        return self.folder.expanduser() / self.filename

    def way_out(self) -> str:
        return f"Get {self.filename} ({self.url}) and run `ganzoo weights get {self.name} --from FILE`"


def import_clip() -> ModuleType:
    """``import clip`` without its pkg_resources deprecation warning (it is not ours to fix)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
        import clip
    return clip


def inception_fid() -> KnownWeights:
    import torch.hub

    return KnownWeights(INCEPTION_FID, "FID InceptionV3 (TensorFlow 2015-12-05 weights, torch-fidelity)", INCEPTION_URL,
                        INCEPTION_URL.rsplit("-", 1)[-1].removesuffix(".pth"), "torch-fidelity: the first digits, in the file name",
                        Path(torch.hub.get_dir()) / "checkpoints", "extractor inception-fid: FID, KID, IS")


def clip_name(model: str) -> str:
    """``ViT-B/32`` -> ``clip-vit-b-32``: the weights' name for ``ganzoo weights``."""
    return "clip-" + model.lower().replace("/", "-").replace("@", "-")


def clip_weights(model: str, cache_dir: str | Path | None = None) -> KnownWeights:
    """CLIP ``model`` as clip publishes it: its address holds the file's SHA-256."""
    models = import_clip().clip._MODELS
    if model not in models:
        raise FetchError(f"unknown CLIP model {model!r}; valid: {', '.join(models)}")
    url = models[model]
    return KnownWeights(clip_name(model), f"CLIP {model} (OpenAI)", url, url.rsplit("/", 2)[-2], "clip: in the address",
                        Path(cache_dir or CLIP_CACHE), "extractor clip (CLIP score, R-precision); conditioner clip")


def known() -> dict[str, KnownWeights]:
    """Every weights file ``ganzoo weights`` knows, by name."""
    entries = [inception_fid(), *(clip_weights(model) for model in import_clip().clip._MODELS)]
    return {entry.name: entry for entry in entries}


def lookup(name: str) -> KnownWeights:
    entries = known()
    if name not in entries:
        raise FetchError(f"unknown weights {name!r}; known: {', '.join(entries)} (`ganzoo weights list`)")
    return entries[name]


def _verified(weights: KnownWeights, path: Path, origin: str) -> str:
    """The file's SHA-256, once it matches the published one; else a one-line refusal."""
    digest = file_digest(path, "sha256")
    if not digest.startswith(weights.sha256):
        raise FetchError(f"{origin}: sha256 {digest} is not the published {weights.sha256} ({weights.published_by}); refused. "
                         f"Get the official file ({weights.url}), or pass yours as the weights file (unverified)")
    return digest


def fetch(weights: KnownWeights, source: str | None = None, progress: Progress | None = None) -> Path:
    """Put ``weights`` in its cache, checked, from ``source`` (a local file or URL; default: the
    published address); its path. The cached name appears only once the file is checked."""
    target = weights.path
    staged = target.with_name(f".{target.name}.unverified")
    if source is not None and not source.startswith(("http://", "https://")):
        path = Path(source).expanduser()
        if not path.is_file():
            raise FetchError(f"--from {source}: no such file")
        _verified(weights, path, str(path))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, staged)
    else:
        if offline():
            raise FetchError(f"{weights.name}: {weights.filename} is not in {weights.folder} and downloads are off "
                             f"({OFFLINE_ENV}=1 or --offline). {weights.way_out()}")
        download((source or weights.url,), staged, progress, weights.way_out())
        try:
            _verified(weights, staged, source or weights.url)
        except FetchError:
            staged.unlink()
            raise
    os.replace(staged, target)
    return target


def ensure(weights: KnownWeights, progress: Progress | None = None) -> Path:
    """The cached file of ``weights``, fetched and checked on first use."""
    return weights.path if weights.path.is_file() else fetch(weights, None, progress)
