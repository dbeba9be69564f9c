"""Captions -> BPE tokens (CLIP's tokenizer, shipped with clip-anytorch) and the ``learned``
text encoder: a small trainable network that needs no pretrained weights, the offline default."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ganzoo.conditioning.base import CaptionConditioner, ConditionerError
from ganzoo.interfaces import Condition
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


class LearnedTextEncoder(CaptionConditioner):
    """BPE token embedding -> bidirectional GRU -> linear: a caption embedding trained with the GAN.

    It learns only what the discriminator's matching-aware loss teaches it (which words change the
    image), which is enough for small vocabularies such as the built-in captioned shapes.
    """

    def __init__(self, dim: int = 256, width: int = 128, layers: int = 1) -> None:
        super().__init__()
        if dim < 1 or width < 1 or layers < 1:
            raise ConditionerError(f"learned text encoder needs positive dim/width/layers, got {dim}/{width}/{layers}")
        self.tokenizer = CaptionTokenizer()
        self.prepared_identity = f"clip-bpe-{self.tokenizer.context_length}"
        self.output = Condition("embedding", dim)
        self.embed = nn.Embedding(self.tokenizer.vocab_size, width)
        self.rnn = nn.GRU(width, width, num_layers=layers, batch_first=True, bidirectional=True)
        self.project = nn.Linear(2 * width, dim)

    def prepare(self, captions: list[str]) -> dict[str, Tensor]:
        ids, lengths = self.tokenizer(captions)
        return {"ids": ids, "lengths": lengths}

    def encode(self, prepared: dict[str, Tensor]) -> Tensor:
        """The final states of both directions over each caption's own tokens (padding never read).

        What ``pack_padded_sequence`` computes, without its host-side sort: the forward direction
        runs over the padded rows, and the backward one over each row reversed within its length.
        """
        device = self.embed.weight.device
        ids, lengths = prepared["ids"].to(device), prepared["lengths"].to(device)
        steps = torch.arange(ids.shape[1], device=ids.device)
        reverse = torch.where(steps < lengths[:, None], lengths[:, None] - 1 - steps, steps)[:, :, None]  # its own inverse
        x = self.embed(ids)
        for layer in range(self.rnn.num_layers):
            ahead = self._direction(layer, "", x)
            back = self._direction(layer, "_reverse", x.gather(1, reverse.expand(-1, -1, x.shape[2])))
            back = back.gather(1, reverse.expand(-1, -1, back.shape[2]))
            x = torch.cat([ahead, back], dim=2)
        last = ahead[torch.arange(len(ids), device=ids.device), lengths - 1]
        return self.project(torch.cat([last, back[:, 0]], dim=1))  # back[:, 0]: after reading the first token

    def _direction(self, layer: int, suffix: str, x: Tensor) -> Tensor:
        """The outputs of one direction of one layer of ``self.rnn`` over ``x`` ``[B, L, in]`` (from a
        zero state), by the operator ``nn.GRU`` itself calls: the weights stay where they are (a
        ``functional_call`` would re-flatten them into a new cuDNN buffer at every call)."""
        weights = [getattr(self.rnn, f"{name}_l{layer}{suffix}") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        start = x.new_zeros(1, x.shape[0], self.rnn.hidden_size)
        return torch.ops.aten.gru.input(x, start, weights, True, 1, 0.0, self.training, False, True)[0]
