"""The ``clip`` conditioner: the text tower of a CLIP model (clip-anytorch), frozen by default.

Weights come from ``weights=PATH`` or from clip's own cache (``~/.cache/clip/<file>``, where
``clip.load`` keeps its downloads). Nothing is downloaded during training unless ``download=True``
(then through :mod:`ganzoo.weights`: checked against the SHA-256 clip publishes, and offline a
one-line error): a missing file is reported first, with the ways to supply it.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

from ganzoo.conditioning.base import CaptionConditioner, ConditionerError, require_text
from ganzoo.conditioning.text import CaptionTokenizer
from ganzoo.interfaces import Condition
from ganzoo.weights import clip_weights, ensure, import_clip


class ClipTextEncoder(CaptionConditioner):
    """Captions -> CLIP text features ``[B, embed_dim]``, L2-normalised when ``normalize``.

    Keeps only the text tower of ``model`` (a ``clip.model.CLIP``); the image tower is dropped.
    """

    def __init__(self, model: nn.Module, finetune: bool = False, normalize: bool = True) -> None:
        super().__init__()
        self.tokenizer = CaptionTokenizer(model.context_length)
        # CLIP's causal mask is built for the full context, so captions are padded to it.
        self.prepared_identity = f"clip-bpe-{model.context_length}-padded"
        self.token_embedding = model.token_embedding
        self.positional_embedding = model.positional_embedding
        self.transformer = model.transformer
        self.ln_final = model.ln_final
        self.text_projection = model.text_projection
        self.normalize = normalize
        self.trainable = finetune
        self.output = Condition("embedding", int(model.text_projection.shape[1]))
        self.requires_grad_(finetune)

    def prepare(self, captions: list[str]) -> dict[str, Tensor]:
        ids, lengths = self.tokenizer(captions, pad_to=self.positional_embedding.shape[0])
        return {"ids": ids, "lengths": lengths}

    def encode(self, prepared: dict[str, Tensor]) -> Tensor:
        device = self.positional_embedding.device
        ids, lengths = prepared["ids"].to(device), prepared["lengths"].to(device)
        x = self.token_embedding(ids) + self.positional_embedding
        x = self.transformer(x.permute(1, 0, 2)).permute(1, 0, 2)  # the towers take [L, B, D]
        x = self.ln_final(x)
        features = x[torch.arange(len(ids), device=device), lengths - 1] @ self.text_projection
        return nn.functional.normalize(features, dim=1) if self.normalize else features


def load_clip_model(model: str = "ViT-B/32", weights: str | None = None, cache_dir: str | None = None, download: bool = False) -> nn.Module:
    """A ``clip.model.CLIP`` on the CPU in float32, from ``weights``, the cache, or a download."""
    clip = import_clip()
    known = clip.available_models()
    if model not in known:
        raise ConditionerError(f"unknown CLIP model {model!r} (conditioner parameter 'model'); valid: {', '.join(known)}")
    if weights is not None:
        path = Path(weights).expanduser()
        if not path.is_file():
            raise ConditionerError(f"CLIP weights file {path} (conditioner parameter 'weights') does not exist")
        return _clip_load(clip, str(path))
    published = clip_weights(model, cache_dir)
    if not published.path.is_file() and not download:
        raise ConditionerError(
            f"CLIP {model} weights not found at {published.path}; run `ganzoo weights get {published.name}` "
            f"(or --from FILE), set the conditioner's weights=PATH (--set conditioner.weights=PATH), or set download=true"
        )
    return _clip_load(clip, str(ensure(published)))


def _clip_load(clip: ModuleType, path: str) -> nn.Module:
    """``clip.load`` of a local file on the CPU in float32, without torch's notice about the
    TorchScript archive format the official checkpoints use (clip.load tries it first)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*torch.jit.load.*", category=FutureWarning)
        model, _ = clip.load(path, device="cpu", jit=False)
    return model.float()


def text_tower_from_state(state: dict[str, Tensor]) -> nn.Module:
    """An empty CLIP text tower shaped like ``state`` (an exported encoder's weights), to load them into.

    Every size follows from the tensor shapes, heads from CLIP's convention of 64 channels a head.
    """
    clip = import_clip()
    try:
        vocab, width = state["token_embedding.weight"].shape
        context = state["positional_embedding"].shape[0]
        embed_dim = state["text_projection"].shape[1]
    except KeyError as error:
        raise ConditionerError(f"saved clip conditioner weights lack {error.args[0]!r}") from None
    layers = len({key.split(".")[2] for key in state if key.startswith("transformer.resblocks.")})
    tower = nn.Module()
    tower.context_length = context
    tower.token_embedding = nn.Embedding(vocab, width)
    tower.positional_embedding = nn.Parameter(torch.empty(context, width))
    tower.transformer = clip.model.Transformer(width, layers, max(1, width // 64), torch.full((context, context), float("-inf")).triu_(1))
    tower.ln_final = clip.model.LayerNorm(width)
    tower.text_projection = nn.Parameter(torch.empty(width, embed_dim))
    return tower


def clip_text_encoder(
    source: Condition,
    model: str = "ViT-B/32",
    weights: str | None = None,
    cache_dir: str | None = None,
    download: bool = False,
    finetune: bool = False,
    normalize: bool = True,
    state: dict[str, Tensor] | None = None,
) -> ClipTextEncoder:
    """CLIP's text encoder (frozen unless ``finetune``); weights from a file or the clip cache.

    ``state`` (filled in when a run or export is loaded) holds the encoder's saved weights: the tower
    is then shaped from them and no CLIP file is needed.
    """
    require_text(source, "clip")
    tower = text_tower_from_state(state) if state is not None else load_clip_model(model, weights, cache_dir, download)
    return ClipTextEncoder(tower, finetune=finetune, normalize=normalize)

