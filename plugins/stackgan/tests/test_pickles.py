"""The StackGAN pickle converter: caption lines paired with their char-CNN-RNN embeddings."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
from ganzoo_stackgan.pickles import convert_stackgan_pickles

from ganzoo.conditioning import PrecomputedEmbeddings


def test_convert_stackgan_pickles_pairs_caption_lines_with_embeddings(tmp_path: Path) -> None:
    split, text = tmp_path / "train", tmp_path / "text_c10"
    split.mkdir()
    (text / "001.bird").mkdir(parents=True)
    (text / "001.bird" / "img_a.txt").write_text("a red bird\na bird with red wings\n")
    (text / "001.bird" / "img_b.txt").write_text("a blue bird\na small blue bird\n")
    (split / "filenames.pickle").write_bytes(pickle.dumps(["001.bird/img_a", "001.bird/img_b"], protocol=2))
    vectors = np.arange(2 * 2 * 3, dtype=np.float32).reshape(2, 2, 3)
    (split / "char-CNN-RNN-embeddings.pickle").write_bytes(pickle.dumps(vectors, protocol=2))
    out = tmp_path / "birds.safetensors"
    assert convert_stackgan_pickles(split, text, out) == 4
    conditioner = PrecomputedEmbeddings(str(out))
    assert conditioner(["a small blue bird"]).tolist() == [vectors[1, 1].tolist()]
    assert conditioner(["a red bird"]).tolist() == [vectors[0, 0].tolist()]
