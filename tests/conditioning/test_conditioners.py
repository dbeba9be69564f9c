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


# -- two parts: prepared on the host once, encoded on the device --------------------------------

def test_learned_encoder_matches_a_packed_gru_without_host_work() -> None:
    """``encode`` reads only each caption's own tokens, exactly as ``pack_padded_sequence`` would,
    with two layers too; the lengths never leave the device."""
    from torch.nn.utils.rnn import pack_padded_sequence

    encoder = make_conditioner("learned", source=TEXT, dim=6, width=4, layers=2)
    prepared = encoder.prepare(CAPTIONS + ["a circle"])
    packed = pack_padded_sequence(encoder.embed(prepared["ids"]), prepared["lengths"], batch_first=True, enforce_sorted=False)
    _, hidden = encoder.rnn(packed)
    expected = encoder.project(torch.cat([hidden[-2], hidden[-1]], dim=1))
    torch.testing.assert_close(encoder.encode(prepared), expected, rtol=0, atol=1e-6)
    torch.testing.assert_close(encoder(CAPTIONS + ["a circle"]), expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", ["learned", "clip", "embeddings"])
def test_prepared_rows_encode_like_the_captions(tmp_path: Path, name: str) -> None:
    if name == "clip":
        encoder = ClipTextEncoder(tiny_clip().eval())
    elif name == "embeddings":
        write_embeddings(tmp_path / "t.safetensors", CAPTIONS, torch.randn(2, 3))
        encoder = make_conditioner("embeddings", source=TEXT, path=str(tmp_path / "t.safetensors"))
    else:
        encoder = make_conditioner("learned", source=TEXT, dim=4, width=4)
    prepared = encoder.prepare(CAPTIONS)
    assert all(isinstance(v, torch.Tensor) and len(v) == 2 for v in prepared.values())
    with torch.no_grad():
        assert torch.equal(encoder({k: v[[1, 0]] for k, v in prepared.items()}), encoder(CAPTIONS[::-1]))


def test_an_unknown_caption_stops_at_preparation(tmp_path: Path) -> None:
    write_embeddings(tmp_path / "t.safetensors", CAPTIONS, torch.randn(2, 3))
    encoder = make_conditioner("embeddings", source=TEXT, path=str(tmp_path / "t.safetensors"))
    with pytest.raises(ConditionerError, match="caption 'a blue moon' has no precomputed embedding in .*t.safetensors"):
        encoder.prepare([CAPTIONS[0], "a blue moon"])


def test_prepared_captions_are_cached_against_the_captions_digest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from safetensors.torch import save_file

    from ganzoo.conditioning.base import prepare_cached

    encoder = make_conditioner("learned", source=TEXT, dim=4, width=4)
    first = prepare_cached(encoder, CAPTIONS, tmp_path)
    (path,) = tmp_path.iterdir()
    assert path.name.startswith("clip-bpe-77-") and path.suffix == ".safetensors"
    calls = []
    monkeypatch.setattr(encoder, "prepare", lambda captions: calls.append(captions) or {"ids": torch.zeros(len(captions), 1, dtype=torch.long)})
    again = prepare_cached(encoder, CAPTIONS, tmp_path)
    assert not calls and again.keys() == first.keys() and all(torch.equal(again[k], first[k]) for k in first)
    prepare_cached(encoder, CAPTIONS[:1], tmp_path)  # other captions: prepared, and cached beside
    assert calls == [CAPTIONS[:1]] and len(list(tmp_path.iterdir())) == 2
    save_file({"ids": torch.ones(2, 1, dtype=torch.long)}, str(path), metadata={"identity": "clip-bpe-77", "captions_sha256": "0" * 64})
    rebuilt = prepare_cached(encoder, CAPTIONS, tmp_path)  # a file whose digest does not match is never trusted
    assert calls[-1] == CAPTIONS and torch.equal(rebuilt["ids"], torch.zeros(2, 1, dtype=torch.long))
