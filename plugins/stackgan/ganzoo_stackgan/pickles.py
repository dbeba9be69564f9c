"""StackGAN's pickles: its train/test file lists and char-CNN-RNN caption embeddings.

The originals are pickles, which can execute code when loaded; they are read with an unpickler
that accepts numpy arrays and plain containers only, so a tampered file fails instead of
running. The embeddings become a safe ``.safetensors`` table::

    python -c "from ganzoo_stackgan.pickles import convert_stackgan_pickles as c; \\
               c('birds/train', 'birds/text', 'birds-train.safetensors')"

The result is what the ``embeddings`` conditioner reads.
"""

from __future__ import annotations

import codecs
import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganzoo.conditioning import ConditionerError, write_embeddings
from ganzoo.errors import GanzooError


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Reads pickles of numpy arrays and plain containers (lists, strings); anything else is
    refused, so a tampered pickle fails instead of running code. ``_codecs.encode`` is how
    protocol-2 pickles written by Python 3 store bytes; it only turns text into bytes."""

    ALLOWED = {
        ("_codecs", "encode"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only numpy arrays and lists may appear in a StackGAN pickle")
        if name == "_reconstruct":
            return (getattr(np, "_core", None) or np.core).multiarray._reconstruct
        return getattr(np, name) if module == "numpy" else codecs.encode


def load_numpy_pickle(path: Path) -> Any:
    """Unpickle ``path`` with :class:`NumpyOnlyUnpickler` (latin-1, as the Python 2 originals need);
    a refused class is a :class:`GanzooError` naming the file and the class."""
    try:
        return NumpyOnlyUnpickler(io.BytesIO(path.read_bytes()), encoding="latin1").load()
    except FileNotFoundError:
        raise GanzooError(f"StackGAN pickle {path} does not exist") from None
    except pickle.UnpicklingError as error:
        raise GanzooError(f"{path}: {error}") from None


def convert_stackgan_pickles(split_dir: str | Path, text_dir: str | Path, out: str | Path) -> int:
    """StackGAN's ``filenames.pickle`` + ``char-CNN-RNN-embeddings.pickle`` (``[N, captions, dim]``)
    and the caption files ``<text_dir>/**/<image>.txt`` -> one ``.safetensors`` caption table.

    Caption *j* of an image is line *j* of its text file, embedding ``[i, j]`` of the pickle.
    Returns the number of captions written.
    """
    split_dir, text_dir = Path(split_dir), Path(text_dir)
    names = load_numpy_pickle(split_dir / "filenames.pickle")
    embeddings = np.asarray(load_numpy_pickle(split_dir / "char-CNN-RNN-embeddings.pickle"), dtype=np.float32)
    if embeddings.ndim != 3 or len(names) != embeddings.shape[0]:
        raise ConditionerError(f"{split_dir}: {len(names)} filenames but embeddings of shape {embeddings.shape} (expected [N, captions, dim])")
    texts = {p.stem: p for p in text_dir.rglob("*.txt")}
    captions: list[str] = []
    rows: list[np.ndarray] = []
    for name, per_image in zip(names, embeddings):
        stem = Path(str(name)).stem
        if stem not in texts:
            raise ConditionerError(f"no caption file {stem}.txt under {text_dir} for {name}")
        lines = [line.strip() for line in texts[stem].read_text(encoding="utf-8").splitlines() if line.strip()]
        for caption, vector in zip(lines, per_image):
            captions.append(caption)
            rows.append(vector)
    write_embeddings(out, captions, torch.from_numpy(np.stack(rows)))
    return len(captions)
