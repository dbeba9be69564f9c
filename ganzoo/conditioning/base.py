"""What every conditioner module shares: the user-facing error, the check of the source, the
two-part caption conditioner and the on-disk cache of what its host part made of a dataset."""

from __future__ import annotations

import abc
import hashlib
import json
import os
import re
from pathlib import Path

from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save
from torch import Tensor

from ganzoo.errors import GanzooError
from ganzoo.interfaces import Condition, Conditioner
from ganzoo.io import atomic_write

CACHE_ENV = "GANZOO_CAPTION_CACHE"


class ConditionerError(GanzooError):
    """A conditioner cannot be built or fed (missing weights, unknown caption); one line, with the way out."""


def require_text(source: Condition, name: str) -> None:
    if source.kind != "text":
        raise ConditionerError(f"conditioner {name!r} encodes captions, but the dataset provides condition {source}; use a captioned dataset")


class CaptionConditioner(Conditioner):
    """A caption conditioner in two parts: :meth:`prepare` on the host, :meth:`encode` on the device.

    ``forward`` takes captions (sampling, a prompt) or rows of prepared tensors (training, where the
    dataset's captions were prepared once), and both reach the same :meth:`encode`.
    """

    @abc.abstractmethod
    def prepare(self, captions: list[str]) -> dict[str, Tensor]: ...

    @abc.abstractmethod
    def encode(self, prepared: dict[str, Tensor]) -> Tensor:
        """Prepared rows (on the device) -> ``[B, dim]``, with no host work: it runs inside the static step."""

    def forward(self, raw: list[str] | dict[str, Tensor]) -> Tensor:
        return self.encode(raw if isinstance(raw, dict) else self.prepare(raw))


def cache_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ganzoo" / "captions"


def captions_digest(captions: list[str]) -> str:
    """SHA-256 of the captions in order: the identity of a dataset's text."""
    return hashlib.sha256(json.dumps(captions, ensure_ascii=False).encode()).hexdigest()


def prepare_cached(conditioner: Conditioner, captions: list[str], cache: Path | None = None) -> dict[str, Tensor] | None:
    """``conditioner.prepare(captions)``, from the cache when it was stored for these very captions.

    A cached file is used only when its recorded captions digest and identity match; otherwise
    (changed data, another tokenizer, an unreadable file) it is prepared again and replaced.
    """
    identity = conditioner.prepared_identity
    if identity is None:
        return conditioner.prepare(captions)
    digest = captions_digest(captions)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", identity)
    path = (cache or cache_dir()) / f"{name}-{digest[:16]}.safetensors"
    stored = _read(path, identity, digest, len(captions))
    if stored is not None:
        return stored
    prepared = conditioner.prepare(captions)
    if prepared is not None:
        data = save({k: v.contiguous() for k, v in prepared.items()}, metadata={"identity": identity, "captions_sha256": digest})
        try:
            atomic_write(path, lambda handle: handle.write(data))
        except OSError:  # a read-only cache costs the next run the preparation, nothing more
            pass
    return prepared


def _read(path: Path, identity: str, digest: str, rows: int) -> dict[str, Tensor] | None:
    if not path.is_file():
        return None
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
        if metadata.get("identity") != identity or metadata.get("captions_sha256") != digest:
            return None
        tensors = load_file(str(path))
    except (SafetensorError, OSError):
        return None
    return tensors if tensors and all(len(t) == rows for t in tensors.values()) else None
