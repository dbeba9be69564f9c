"""Captions -> BPE tokens (CLIP's tokenizer, shipped with clip-anytorch) and the ``learned``
text encoder: a small trainable network that needs no pretrained weights, the offline default."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence

from ganzoo.conditioning.base import ConditionerError
from ganzoo.interfaces import Condition, Conditioner
from ganzoo.weights import import_clip

#: CLIP's context length: captions are cut to this many tokens (start and end tokens included).
CONTEXT_LENGTH = 77


class CaptionTokenizer:
    """Captions -> padded ``LongTensor`` of CLIP BPE ids, tokenising each distinct caption once.

    Datasets repeat a small set of captions every epoch, so the ids are cached per caption string.
    """

    def __init__(self, context_length: int = CONTEXT_LENGTH) -> None:
        self.context_length = context_length
        self._clip = import_clip()
        self._cache: dict[str, Tensor] = {}

    @property
    def vocab_size(self) -> int:
        """Size of CLIP's BPE vocabulary (49408), read from the tokenizer ``clip.tokenize`` uses."""
        return len(self._clip.clip._tokenizer.encoder)

    def ids(self, caption: str) -> Tensor:
        cached = self._cache.get(caption)
        if cached is None:
            tokens = self._clip.tokenize(caption, context_length=self.context_length, truncate=True)[0]
            cached = self._cache[caption] = tokens[: int(tokens.argmax()) + 1]  # up to the end token (the largest id)
        return cached

    def __call__(self, captions: list[str], pad_to: int | None = None) -> tuple[Tensor, Tensor]:
        """``(ids [B, L], lengths [B])``; ``L`` is the longest caption unless ``pad_to`` is given."""
        if isinstance(captions, str) or not all(isinstance(c, str) for c in captions):
            raise TypeError(f"text conditioners take a list of caption strings, got {type(captions).__name__}")
        rows = [self.ids(caption) for caption in captions]
        lengths = torch.tensor([len(row) for row in rows])
        batch = torch.zeros(len(rows), pad_to or int(lengths.max()), dtype=torch.long)
        for i, row in enumerate(rows):
            batch[i, : len(row)] = row
        return batch, lengths


class LearnedTextEncoder(Conditioner):
    """BPE token embedding -> bidirectional GRU -> linear: a caption embedding trained with the GAN.

    It learns only what the discriminator's matching-aware loss teaches it (which words change the
    image), which is enough for small vocabularies such as the built-in captioned shapes.
    """

    def __init__(self, dim: int = 256, width: int = 128, layers: int = 1) -> None:
        super().__init__()
        if dim < 1 or width < 1 or layers < 1:
            raise ConditionerError(f"learned text encoder needs positive dim/width/layers, got {dim}/{width}/{layers}")
        self.tokenizer = CaptionTokenizer()
        self.output = Condition("embedding", dim)
        self.embed = nn.Embedding(self.tokenizer.vocab_size, width)
        self.rnn = nn.GRU(width, width, num_layers=layers, batch_first=True, bidirectional=True)
        self.project = nn.Linear(2 * width, dim)

    def forward(self, raw: list[str]) -> Tensor:
        ids, lengths = self.tokenizer(raw)
        tokens = self.embed(ids.to(self.embed.weight.device))
        packed = pack_padded_sequence(tokens, lengths, batch_first=True, enforce_sorted=False)
        _, hidden = self.rnn(packed)  # [layers * 2, B, width]: the last layer's two directions last
        return self.project(torch.cat([hidden[-2], hidden[-1]], dim=1))
