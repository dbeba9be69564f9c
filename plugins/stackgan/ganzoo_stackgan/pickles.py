"""StackGAN's char-CNN-RNN caption embeddings (Python pickles) -> a safe ``.safetensors`` table.

The originals are pickles, which can execute code when loaded; they are read with an unpickler
that accepts numpy arrays only, so a tampered file fails instead of running::

    python -c "from ganzoo_stackgan.pickles import convert_stackgan_pickles as c; \\
               c('birds/train', 'birds/text', 'birds-train.safetensors')"

The result is what the ``embeddings`` conditioner reads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ganzoo.conditioning import ConditionerError, write_embeddings
from ganzoo.conditioning.embeddings import load_numpy_pickle


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
