"""Reference features are computed once per (data, split, resolution, extractor) and reused."""

from __future__ import annotations

import torch

from ganzoo.data.base import InMemoryDataset
from ganzoo.interfaces import Condition
from ganzoo.metrics.evaluate import conditions_for
from ganzoo.metrics.extractors import FeatureExtractor
from ganzoo.metrics.reference import CACHE_ENV, cache_dir, reference_features
from ganzoo.plugins import registry


def dataset(seed: int = 0, n: int = 12) -> InMemoryDataset:
    images = torch.randint(0, 256, (n, 3, 8, 8), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed))
    return InMemoryDataset({"image": images}, resolution=8, labels=torch.arange(n) % 3, num_classes=3,
                           condition=Condition("class", 3), name="toy")


class FirstPixel(FeatureExtractor):
    """Each image's first pixel as its feature: tells which images a set is made of."""

    def __init__(self) -> None:
        super().__init__("first-pixel", digest="0" * 64, resize="none", comparable=False, has_logits=False)

    def forward(self, images):
        return images[:, :1, 0, 0].float(), None


class Counting(torch.nn.Module):
    """Wraps an extractor and counts the images it sees."""

    def __init__(self, inner) -> None:
        super().__init__()
        self.inner, self.seen = inner, 0
        self.name, self.digest, self.resize = inner.name, inner.digest, inner.resize

    def forward(self, images):
        self.seen += len(images)
        return self.inner(images)


def test_a_cache_hit_skips_the_extractor(tiny_host, tmp_path) -> None:
    extractor = Counting(registry().create("extractor", "tiny"))
    first = reference_features(dataset(), extractor, split="train", batch_size=5, cache=tmp_path)
    assert extractor.seen == 12 and not first.description["cached"]
    again = reference_features(dataset(), extractor, split="train", cache=tmp_path)
    assert extractor.seen == 12 and again.description["cached"]
    assert torch.equal(again.features.features, first.features.features)
    assert torch.equal(again.features.labels, torch.arange(12) % 3)  # labels kept for per-class scores
    assert [p.name for p in tmp_path.iterdir()] == [first.description["cache"].rsplit("/", 1)[1]]  # no temporary left


def test_other_data_split_or_size_is_not_a_hit(tiny_host, tmp_path) -> None:
    extractor = Counting(registry().create("extractor", "tiny"))
    reference_features(dataset(), extractor, split="train", cache=tmp_path)
    reference_features(dataset(seed=1), extractor, split="train", cache=tmp_path)  # same name, other pixels
    reference_features(dataset(), extractor, split="test", cache=tmp_path)
    subset = reference_features(dataset(), extractor, split="train", count=5, cache=tmp_path)
    assert extractor.seen == 12 * 3 + 5 and len(subset.features) == 5
    assert len(list(tmp_path.iterdir())) == 4


def test_an_unreadable_cache_file_is_recomputed(tiny_host, tmp_path) -> None:
    extractor = Counting(registry().create("extractor", "tiny"))
    path = reference_features(dataset(), extractor, cache=tmp_path).description["cache"]
    with open(path, "wb") as handle:
        handle.write(b"truncated")
    assert not reference_features(dataset(), extractor, cache=tmp_path).description["cached"]
    assert extractor.seen == 24


def test_cache_folder_follows_the_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "stats"))
    assert cache_dir() == tmp_path / "stats"
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "ganzoo" / "fid-stats"


def test_generated_captions_come_from_the_images_the_reference_is_made_of(tmp_path) -> None:
    """A dataset stored class by class: N < M generated captions cover the classes the N reference
    images cover (not the first few classes), and each is a caption of one of those images."""
    n, count = 40, 10
    images = torch.arange(n, dtype=torch.uint8)[:, None, None, None].expand(n, 3, 8, 8).contiguous()
    captions = [[f"a flower of class {i // 10}"] for i in range(n)]  # four classes, ten images each, in order
    data = InMemoryDataset({"image": images}, resolution=8, captions=captions, name="sorted")
    conditions = conditions_for("text", data, count, 0)
    reference = reference_features(data, FirstPixel(), count=count, cache=tmp_path).features.features
    shown = reference[:, 0].long().tolist()  # each image's pixels hold its index
    assert conditions.raw == [captions[i][0] for i in shown]
    assert len(set(conditions.raw)) > 1
    assert conditions_for("text", data, 2 * n, 0).raw == [captions[i % n][0] for i in range(2 * n)]
