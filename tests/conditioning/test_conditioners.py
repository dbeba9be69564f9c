"""Conditioners: registration and ports, the learned text encoder, CLIP (a tiny random model, no
downloads), class embeddings, and precomputed embeddings read only from code-free formats."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from ganzoo.conditioning import ClipTextEncoder, ConditionerError, PrecomputedEmbeddings, write_embeddings
from ganzoo.conditioning.text import import_clip
from ganzoo.interfaces import Condition, Conditioner
from ganzoo.plugins import registry

TEXT = Condition("text")
CAPTIONS = ["a red circle on a blue background", "a small green square with a black background"]


def make_conditioner(name: str, **kwargs):
    return registry().create("conditioner", name, **kwargs)


def tiny_clip() -> torch.nn.Module:
    """A randomly initialised CLIP with the real vocabulary but tiny towers (width 64 = one head)."""
    clip = import_clip()
    return clip.model.CLIP(
        embed_dim=32, image_resolution=32, vision_layers=1, vision_width=64, vision_patch_size=16,
        context_length=77, vocab_size=49408, transformer_width=64, transformer_heads=1, transformer_layers=1,
    )


@pytest.mark.parametrize(("name", "consumes"), [("class", "class"), ("learned", "text"), ("clip", "text"), ("embeddings", "text")])
def test_conditioners_are_registered_with_their_ports(name: str, consumes: str) -> None:
    item = registry().get("conditioner", name)
    assert item.ports.conditions == (consumes,)
    assert item.ports.produces == "embedding"
    assert "source" in item.parameters()


def test_learned_encoder_embeds_captions_and_learns() -> None:
    encoder = make_conditioner("learned", source=TEXT, dim=16, width=8)
    assert isinstance(encoder, Conditioner) and encoder.trainable
    assert encoder.output == Condition("embedding", 16)
    out = encoder(CAPTIONS)
    assert out.shape == (2, 16)
    assert not torch.allclose(out[0], out[1])
    # the embedding of a caption does not depend on the rest of the batch (padding is ignored)
    assert torch.allclose(encoder(CAPTIONS[:1]), out[:1], atol=1e-6)
    out.square().sum().backward()
    assert encoder.embed.weight.grad is not None and encoder.embed.weight.grad.abs().sum() > 0


def test_tokenisation_is_cached_per_caption() -> None:
    encoder = make_conditioner("learned", source=TEXT, dim=4, width=4)
    first = encoder.tokenizer.ids(CAPTIONS[0])
    assert encoder.tokenizer.ids(CAPTIONS[0]) is first
    assert int(first[-1]) == int(first.max())  # ends with the end-of-text token


@pytest.mark.parametrize("name", ["learned", "clip", "embeddings"])
def test_text_conditioners_refuse_label_data(name: str) -> None:
    with pytest.raises(ValueError, match="captioned dataset"):
        make_conditioner(name, source=Condition("class", 4), **({"path": "x.pt"} if name == "embeddings" else {}))


def test_text_conditioner_refuses_a_bare_string() -> None:
    encoder = make_conditioner("learned", source=TEXT, dim=4, width=4)
    with pytest.raises(TypeError, match="list of caption strings"):
        encoder("a red circle")


def test_class_embedding_maps_labels() -> None:
    conditioner = make_conditioner("class", source=Condition("class", 5), dim=8)
    out = conditioner(torch.tensor([0, 4, 0]))
    assert out.shape == (3, 8) and torch.equal(out[0], out[2]) and not torch.equal(out[0], out[1])
    with pytest.raises(ValueError, match="embeds labels"):
        make_conditioner("class", source=TEXT)


# -- CLIP -------------------------------------------------------------------------------------

def test_clip_text_encoder_matches_clip_and_is_frozen() -> None:
    model = tiny_clip().eval()
    encoder = ClipTextEncoder(model, normalize=False)
    assert encoder.output == Condition("embedding", 32)
    assert not encoder.trainable and not any(p.requires_grad for p in encoder.parameters())
    clip = import_clip()
    with torch.no_grad():
        expected = model.encode_text(clip.tokenize(CAPTIONS))
        assert torch.allclose(encoder(CAPTIONS), expected, atol=1e-5)
    normalised = ClipTextEncoder(model)(CAPTIONS)
    assert torch.allclose(normalised.norm(dim=1), torch.ones(2), atol=1e-5)


def test_clip_finetune_makes_it_trainable() -> None:
    encoder = ClipTextEncoder(tiny_clip(), finetune=True)
    assert encoder.trainable and all(p.requires_grad for p in encoder.parameters())


def test_clip_loads_a_local_weights_file(tmp_path: Path) -> None:
    model = tiny_clip().eval()
    path = tmp_path / "tiny-clip.pt"
    torch.save(model.state_dict(), path)
    encoder = make_conditioner("clip", source=TEXT, weights=str(path))
    with torch.no_grad():  # clip.load rounds the weights through float16, hence the tolerance
        assert torch.allclose(encoder(CAPTIONS), ClipTextEncoder(model)(CAPTIONS), atol=2e-3)


def test_clip_without_weights_says_how_to_supply_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clip = import_clip()
    monkeypatch.setattr(clip, "load", lambda *a, **k: pytest.fail("must not try to download"))
    with pytest.raises(ConditionerError, match=r"ViT-B/32 weights not found at .*ViT-B-32\.pt; run `ganzoo weights get clip-vit-b-32` \(or --from FILE\), set the conditioner's weights=PATH") as error:
        make_conditioner("clip", source=TEXT, cache_dir=str(tmp_path))
    assert "\n" not in str(error.value)
    with pytest.raises(ConditionerError, match="weights file .*missing.pt"):
        make_conditioner("clip", source=TEXT, weights=str(tmp_path / "missing.pt"))
    with pytest.raises(ValueError, match="unknown CLIP model 'ViT-X'.*ViT-B/32"):
        make_conditioner("clip", source=TEXT, model="ViT-X")


# -- precomputed embeddings ---------------------------------------------------------------------

def save_table(path: Path, captions: list[str], table: torch.Tensor) -> None:
    if path.suffix == ".safetensors":
        write_embeddings(path, captions, table)
    elif path.suffix == ".npz":
        np.savez(path, embeddings=table.numpy(), captions=np.array(captions))
    else:
        torch.save({"embeddings": table, "captions": captions}, path)


@pytest.mark.parametrize("suffix", [".safetensors", ".npz", ".pt"])
def test_precomputed_embeddings_look_up_captions(tmp_path: Path, suffix: str) -> None:
    table = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    path = tmp_path / f"table{suffix}"
    save_table(path, ["one", "two", "three"], table)
    conditioner = make_conditioner("embeddings", source=TEXT, path=str(path))
    assert conditioner.output == Condition("embedding", 4) and not conditioner.trainable
    assert torch.equal(conditioner(["three", "one"]), table[[2, 0]])
    assert "table" not in conditioner.state_dict()  # re-read from the file, never stored in runs
    with pytest.raises(ConditionerError, match="caption 'four' has no precomputed embedding"):
        conditioner(["four"])


def test_precomputed_embeddings_refuse_other_formats(tmp_path: Path) -> None:
    path = tmp_path / "table.pickle"
    path.write_bytes(pickle.dumps({"embeddings": np.zeros((1, 2))}))
    with pytest.raises(ValueError, match=r"unsupported format \.pickle; use one of \.safetensors, \.npz, \.pt"):
        PrecomputedEmbeddings(str(path))
    with pytest.raises(ConditionerError, match="absent.pt .*does not exist"):
        PrecomputedEmbeddings(str(tmp_path / "absent.pt"))
