"""Conditioners: the dataset condition (labels, captions) -> the tensor the networks take.

Registered as components of kind ``conditioner`` by :mod:`ganzoo.builtins`; each factory takes the
dataset's raw condition as the context argument ``source``.
"""

from __future__ import annotations

from ganzoo.conditioning.base import ConditionerError, require_text
from ganzoo.conditioning.clip import ClipTextEncoder, clip_text_encoder, load_clip_model
from ganzoo.conditioning.embeddings import (
    PrecomputedEmbeddings,
    precomputed_embeddings,
    read_embeddings,
    write_embeddings,
)
from ganzoo.conditioning.labels import ClassEmbedding
from ganzoo.conditioning.text import CaptionTokenizer, LearnedTextEncoder
from ganzoo.interfaces import Condition, Ports
from ganzoo.registry import component

TEXT_TO_EMBEDDING = Ports(conditions=("text",), produces="embedding")


@component("conditioner", "class", ports=Ports(conditions=("class",), produces="embedding"))
def class_conditioner(source: Condition, dim: int = 128) -> ClassEmbedding:
    """A learned embedding per class label."""
    if source.kind != "class":
        raise ConditionerError(f"conditioner 'class' embeds labels, but the dataset provides condition {source}")
    return ClassEmbedding(source.dim, dim)


@component("conditioner", "learned", ports=TEXT_TO_EMBEDDING)
def learned_conditioner(source: Condition, dim: int = 256, width: int = 128, layers: int = 1) -> LearnedTextEncoder:
    """A trainable caption encoder over CLIP's BPE tokens (no pretrained weights; the offline default)."""
    require_text(source, "learned")
    return LearnedTextEncoder(dim, width, layers)


clip_conditioner = component("conditioner", "clip", ports=TEXT_TO_EMBEDDING)(clip_text_encoder)
embeddings_conditioner = component("conditioner", "embeddings", ports=TEXT_TO_EMBEDDING)(precomputed_embeddings)

__all__ = [
    "CaptionTokenizer",
    "ClassEmbedding",
    "ClipTextEncoder",
    "ConditionerError",
    "LearnedTextEncoder",
    "PrecomputedEmbeddings",
    "class_conditioner",
    "clip_conditioner",
    "embeddings_conditioner",
    "learned_conditioner",
    "load_clip_model",
    "read_embeddings",
    "write_embeddings",
]
