"""Set metrics (FID, KID, IS, CLIP score, R-precision) behave as they should, through a tiny extractor."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from ganzoo.config import ComponentConfig
from ganzoo.metrics import higher_is_better
from ganzoo.metrics.base import MetricError
from ganzoo.metrics.evaluate import build_suite
from ganzoo.metrics.sets import FeatureSet, extract
from ganzoo.plugins import registry
from ganzoo.registry import component


def images(n: int = 64, seed: int = 0, shift: float = 0.0) -> Tensor:
    """Smooth random images in [-1, 1] (blocks of 4 px), optionally brightened by ``shift``."""
    noise = torch.rand(n, 3, 4, 4, generator=torch.Generator().manual_seed(seed)) * 1.4 - 0.7
    return F.interpolate(noise, scale_factor=4).add(shift).clamp(-1, 1)


def features(batch: Tensor) -> FeatureSet:
    return extract(registry().create("extractor", "tiny"), batch.split(16))


def score(name: str, fake: FeatureSet, real: FeatureSet | None = None) -> float:
    return registry().create("metric", name).compute(fake, real)


@pytest.mark.parametrize("name", ["fid", "kid"])
def test_a_set_against_itself_is_near_zero_and_a_shifted_set_is_farther(tiny_host, name) -> None:
    real = features(images(256, seed=0))
    resampled = score(name, features(images(256, seed=1)), real)  # another draw of the same distribution
    shifted = score(name, features(images(256, seed=1, shift=0.4)), real)
    assert shifted > 10 * abs(resampled) and shifted > 0.01
    assert not higher_is_better(name, registry())


def test_fid_of_a_set_against_itself_is_zero(tiny_host) -> None:
    real = features(images(seed=0))
    assert score("fid", real, real) == pytest.approx(0.0, abs=1e-3)


def test_inception_score_is_high_for_confident_varied_predictions_and_one_for_a_single_class(tiny_host) -> None:
    varied = FeatureSet(torch.zeros(2000, 4), logits=F.one_hot(torch.arange(2000) % 10, 10).float() * 50)
    single = FeatureSet(torch.zeros(2000, 4), logits=F.one_hot(torch.zeros(2000, dtype=torch.long), 10).float() * 50)
    assert 9.5 < score("is", varied) <= 10.0  # at most exp(log 10): ten classes, about equally often in each split
    assert score("is", single) == pytest.approx(1.0, abs=1e-4)
    assert higher_is_better("is", registry()) and higher_is_better("eval/is", registry())


def test_inception_score_needs_logits(tiny_host) -> None:
    with pytest.raises(MetricError, match="needs class logits"):
        score("is", FeatureSet(torch.zeros(8, 4)))


def captioned(index: Tensor, pool: Tensor, noise: float = 0.3) -> FeatureSet:
    """Image features built to lie near their caption's embedding: a constructed match."""
    generator = torch.Generator().manual_seed(3)
    return FeatureSet(pool[index] + noise * torch.randn(len(index), pool.shape[1], generator=generator), captions=pool, caption_index=index)


def test_matched_captions_beat_shuffled_ones(tiny_host) -> None:
    pool = registry().create("extractor", "tiny").embed_text([f"a photo of thing {i}" for i in range(30)])
    index = torch.arange(120) % 30
    matched = captioned(index, pool)
    shuffled = FeatureSet(matched.features, captions=pool, caption_index=index[torch.randperm(120, generator=torch.Generator().manual_seed(0))])
    assert score("r-precision", matched) > 90 > 20 > score("r-precision", shuffled)
    assert score("clip-score", matched) > score("clip-score", shuffled) + 30
    assert registry().create("metric", "r-precision").size(30) == 30  # R is the pool size when under 100


def test_r_precision_needs_two_captions(tiny_host) -> None:
    one = captioned(torch.zeros(4, dtype=torch.long), torch.randn(1, 16))
    with pytest.raises(MetricError, match="at least 2 distinct captions"):
        score("r-precision", one)


def test_extractors_that_cannot_serve_a_metric_are_refused_early(tiny_host) -> None:
    tiny = type(registry().create("extractor", "tiny"))

    class Plain(tiny):
        """Features only: no logits, no text."""

        embeds_text = False

        def __init__(self) -> None:
            super().__init__()
            self.name, self.has_logits = "plain", False

    registry().add(component("extractor", "plain")(Plain))
    with pytest.raises(MetricError, match="is needs class logits, which extractor 'plain' lacks"):
        build_suite(["is"], registry(), {"image": ComponentConfig("plain")})
    with pytest.raises(MetricError, match="need an extractor that embeds text, which 'plain' does not"):
        build_suite(["clip-score"], registry(), {"text": ComponentConfig("plain")})
