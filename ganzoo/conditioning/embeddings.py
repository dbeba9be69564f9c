"""The ``embeddings`` conditioner: precomputed caption embeddings looked up by caption text.

A file pairs ``captions`` (N strings) with ``embeddings`` (``[N, dim]`` floats). Only formats that
cannot run code when read are accepted:

* ``.safetensors``: tensor ``embeddings``; metadata ``captions`` = a JSON list of strings;
* ``.npz``: arrays ``embeddings`` and ``captions`` (a unicode array), read with ``allow_pickle=False``;
* ``.pt``: ``{"embeddings": Tensor, "captions": [str, ...]}``, read with ``torch.load(weights_only=True)``.

Pickled tables are not read here: a family that ships them converts them first (the stackgan
plugin's ``convert_stackgan_pickles`` writes a ``.safetensors`` table).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from ganzoo.conditioning.base import CaptionConditioner, ConditionerError, require_text
from ganzoo.interfaces import Condition

FORMATS = (".safetensors", ".npz", ".pt")


class PrecomputedEmbeddings(CaptionConditioner):
    """Caption -> its precomputed embedding (frozen; the table is re-read from ``path``, not saved
    in checkpoints). A caption absent from the file is an error naming it and the file."""

    trainable = False

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = Path(path).expanduser()
        captions, table = read_embeddings(self.path)
        # identical captions share an embedding; the first occurrence wins.
        self.rows = {caption: i for i, caption in reversed(list(enumerate(captions)))}
        self.register_buffer("table", table, persistent=False)
        self.output = Condition("embedding", int(table.shape[1]))

    def prepare(self, captions: list[str]) -> dict[str, Tensor]:
        """The table row of each caption (a caption absent from the file stops the run before its first step)."""
        try:
            return {"rows": torch.tensor([self.rows[caption] for caption in captions], dtype=torch.long)}
        except KeyError as error:
            raise ConditionerError(f"caption {error.args[0]!r} has no precomputed embedding in {self.path}") from None

    def encode(self, prepared: dict[str, Tensor]) -> Tensor:
        return self.table[prepared["rows"].to(self.table.device)]


def read_embeddings(path: Path) -> tuple[list[str], Tensor]:
    """``(captions, embeddings [N, dim] float32)`` from a file in one of :data:`FORMATS`."""
    if not path.is_file():
        raise ConditionerError(f"embeddings file {path} (conditioner parameter 'path') does not exist")
    suffix = path.suffix.lower()
    if suffix == ".safetensors":
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
            table = handle.get_tensor("embeddings") if "embeddings" in handle.keys() else None
        captions = json.loads(metadata["captions"]) if "captions" in metadata else None
    elif suffix == ".npz":
        with np.load(path, allow_pickle=False) as arrays:
            table = torch.from_numpy(arrays["embeddings"]) if "embeddings" in arrays else None
            captions = [str(c) for c in arrays["captions"]] if "captions" in arrays else None
    elif suffix == ".pt":
        data = torch.load(path, map_location="cpu", weights_only=True)
        table, captions = (data.get("embeddings"), data.get("captions")) if isinstance(data, dict) else (None, None)
    else:
        raise ConditionerError(f"embeddings file {path} has unsupported format {suffix or '(none)'}; use one of {', '.join(FORMATS)}")
    if table is None or captions is None:
        raise ConditionerError(f"embeddings file {path} must hold 'embeddings' and 'captions' (see ganzoo.conditioning.embeddings)")
    if table.ndim != 2 or len(captions) != table.shape[0]:
        raise ConditionerError(f"embeddings file {path}: expected {len(captions)} captions x dim, got embeddings of shape {tuple(table.shape)}")
    return list(captions), table.to(torch.float32)


def write_embeddings(path: str | Path, captions: list[str], embeddings: Tensor) -> None:
    """Save in the ``.safetensors`` form :func:`read_embeddings` reads."""
    from safetensors.torch import save_file

    save_file({"embeddings": embeddings.to(torch.float32).contiguous()}, str(path), metadata={"captions": json.dumps(captions)})


def precomputed_embeddings(source: Condition, path: str) -> PrecomputedEmbeddings:
    """Precomputed caption embeddings from a .safetensors/.npz/.pt file (frozen)."""
    require_text(source, "embeddings")
    return PrecomputedEmbeddings(path)
