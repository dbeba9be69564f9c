"""Reference features are computed once per (data, split, resolution, extractor) and reused."""

from __future__ import annotations

import torch

from ganzoo.data.base import InMemoryDataset
from ganzoo.interfaces import Condition
from ganzoo.metrics.reference import CACHE_ENV, cache_dir, reference_features
from ganzoo.plugins import registry


def dataset(seed: int = 0, n: int = 12) -> InMemoryDataset:
    images = torch.randint(0, 256, (n, 3, 8, 8), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed))
    return InMemoryDataset({"image": images}, resolution=8, labels=torch.arange(n) % 3, num_classes=3,
                           condition=Condition("class", 3), name="toy")


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
