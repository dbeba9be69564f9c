"""Metrics of image sets seen through a feature extractor: FID, KID, IS, CLIP score, R-precision.

Images are turned into features once (:func:`extract`); every metric then works on the features,
so one pass of the extractor serves FID, KID, IS and the per-class scores, and a dataset's
reference features can be cached. FID, KID and IS are torchmetrics' own code, fed the features
through a pass-through "feature network"; CLIP score and R-precision are a few lines here.
"""

from __future__ import annotations

import abc
import warnings
from dataclasses import dataclass, replace
from typing import ClassVar, Iterable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganzoo.interfaces import ReportProgress
from ganzoo.metrics.base import MetricError
from ganzoo.metrics.extractors import FeatureExtractor
from ganzoo.registry import component

#: candidates per R-precision query in the literature (AttnGAN: the true caption + 99 others).
R_PRECISION_CANDIDATES = 100


@dataclass
class FeatureSet:
    """Features of a set of images, with what each image was made from when that matters.

    ``labels`` holds each image's class (class-conditional sets); ``captions`` the embeddings of
    a pool of distinct captions and ``caption_index`` which of them each image belongs to.
    """

    features: Tensor
    logits: Tensor | None = None
    labels: Tensor | None = None
    captions: Tensor | None = None
    caption_index: Tensor | None = None

    def __len__(self) -> int:
        return len(self.features)

    def of_class(self, label: int) -> "FeatureSet":
        assert self.labels is not None
        keep = self.labels == label
        return replace(self, features=self.features[keep], logits=None if self.logits is None else self.logits[keep], labels=self.labels[keep])


def to_rgb_uint8(images: Tensor) -> Tensor:
    """Images in [-1, 1] (float) or [0, 255] (uint8), grey or RGB -> uint8 RGB, what extractors take."""
    if images.dtype != torch.uint8:
        images = images.detach().float().clamp(-1, 1).add(1).mul(127.5).round().to(torch.uint8)
    return images.expand(-1, 3, -1, -1) if images.shape[1] == 1 else images


@torch.no_grad()
def extract(extractor: FeatureExtractor, batches: Iterable[Tensor], device: torch.device | str = "cpu", *,
            progress: ReportProgress | None = None, what: str = "features", total: int = 0) -> FeatureSet:
    """Features (and logits, when the extractor has them) of every image in ``batches``, on the CPU;
    ``progress`` hears ``(what, images done, total)`` after each batch."""
    features, logits = [], []
    done = 0
    for images in batches:
        out, out_logits = extractor(to_rgb_uint8(images).to(device))
        features.append(out.float().cpu())
        if out_logits is not None:
            logits.append(out_logits.float().cpu())
        done += len(images)
        if progress is not None:
            progress(what, done, max(total, done))
    if not features:
        raise MetricError("no images to extract features from")
    return FeatureSet(torch.cat(features), torch.cat(logits) if logits else None)


class GivenFeatures(nn.Module):
    """The "feature network" handed to torchmetrics: features are already extracted, pass them on."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, features: Tensor) -> Tensor:
        return features


class SetMetric(abc.ABC):
    """A score of generated features, against real ones where ``needs_reference``."""

    higher_is_better: ClassVar[bool]
    #: which extractor's features it reads: ``image`` (FID, KID, IS) or ``text`` (one that embeds captions).
    extractor: ClassVar[str] = "image"
    needs_reference: ClassVar[bool] = True
    #: whether a score per class means something (class-conditional models report one).
    per_class: ClassVar[bool] = False

    @abc.abstractmethod
    def compute(self, fake: FeatureSet, real: FeatureSet | None) -> float: ...

    def check(self, extractor: FeatureExtractor) -> None:
        """Refuse an extractor that cannot serve this metric, before any image is generated."""

    @staticmethod
    def at_least(count: int, sets: Iterable[FeatureSet], what: str) -> None:
        if any(len(s) < count for s in sets):
            raise MetricError(f"{what} needs at least {count} images in each set (raise -n / the reference size)")


class FID(SetMetric):
    """Fréchet distance between Gaussians fitted to the two feature sets (torchmetrics)."""

    higher_is_better = False
    per_class = True

    def compute(self, fake: FeatureSet, real: FeatureSet | None) -> float:
        assert real is not None
        self.at_least(2, (fake, real), "fid")
        from torchmetrics.image.fid import FrechetInceptionDistance  # here: importing torchmetrics costs every command ~1.4 s

        metric = FrechetInceptionDistance(feature=GivenFeatures(fake.features.shape[1]))
        metric.update(real.features, real=True)
        metric.update(fake.features, real=False)
        return float(metric.compute())


class KID(SetMetric):
    """Kernel Inception Distance: unbiased MMD with a cubic polynomial kernel, mean over 100 subsets."""

    higher_is_better = False
    per_class = True

    def compute(self, fake: FeatureSet, real: FeatureSet | None) -> float:
        assert real is not None
        self.at_least(2, (fake, real), "kid")
        size = min(1000, len(fake), len(real))
        from torchmetrics.image.kid import KernelInceptionDistance

        with warnings.catch_warnings(), torch.random.fork_rng():
            warnings.filterwarnings("ignore", message=".*will save all extracted features.*")
            torch.manual_seed(0)  # the subsets are drawn at random: the same ones every time
            metric = KernelInceptionDistance(feature=GivenFeatures(fake.features.shape[1]), subsets=100, subset_size=size)
            metric.update(real.features, real=True)
            metric.update(fake.features, real=False)
            mean, _ = metric.compute()
        return float(mean)


class InceptionScoreMetric(SetMetric):
    """Inception Score: exp(E KL(p(y|x) || p(y))) over the extractor's logits, mean over 10 splits."""

    higher_is_better = True
    needs_reference = False

    def check(self, extractor: FeatureExtractor) -> None:
        if not extractor.has_logits:
            raise MetricError(f"is needs class logits, which extractor {extractor.name!r} lacks; use --extractor inception-fid")

    def compute(self, fake: FeatureSet, real: FeatureSet | None) -> float:
        if fake.logits is None:
            raise MetricError("is needs class logits from the extractor (e.g. inception-fid)")
        self.at_least(2, (fake,), "is")
        from torchmetrics.image.inception import InceptionScore

        with warnings.catch_warnings(), torch.random.fork_rng():
            warnings.filterwarnings("ignore", message=".*will save all extracted features.*")
            torch.manual_seed(0)
            metric = InceptionScore(feature=GivenFeatures(fake.logits.shape[1]), splits=min(10, len(fake) // 2))
            metric.update(fake.logits.double())
            mean, _ = metric.compute()
        return float(mean)


class TextMetric(SetMetric):
    """Agreement of generated images with the captions they were made from, in a CLIP-like space."""

    extractor = "text"
    needs_reference = False

    def check(self, extractor: FeatureExtractor) -> None:
        if not extractor.embeds_text:
            raise MetricError(f"clip-score and r-precision need an extractor that embeds text, which {extractor.name!r} does not "
                              "(--text-extractor clip)")

    @staticmethod
    def similarities(fake: FeatureSet) -> Tensor:
        """Cosine similarity of every image with every caption of the pool, ``[N, P]``."""
        if fake.captions is None or fake.caption_index is None:
            raise MetricError("text metrics need generated images with the captions they were made from")
        return F.normalize(fake.features, dim=1) @ F.normalize(fake.captions, dim=1).T


class ClipScore(TextMetric):
    """CLIP score: 100 x max(cosine(image, its caption), 0), averaged (Hessel et al. 2021, w = 1)."""

    higher_is_better = True

    def compute(self, fake: FeatureSet, real: FeatureSet | None) -> float:
        similarity = self.similarities(fake).gather(1, fake.caption_index.view(-1, 1)).squeeze(1)
        return float(similarity.clamp(min=0).mul(100).mean())


class RPrecision(TextMetric):
    """R-precision (AttnGAN): % of images whose own caption ranks first among it and R-1 other captions.

    R is 100, or the number of distinct captions in the pool when that is smaller; the R-1 others
    are drawn, without repeats, from captions whose text differs from the true one (seed 0).
    """

    higher_is_better = True

    def __init__(self, candidates: int = R_PRECISION_CANDIDATES) -> None:
        self.candidates = candidates

    def size(self, pool: int) -> int:
        return min(self.candidates, pool)

    def compute(self, fake: FeatureSet, real: FeatureSet | None) -> float:
        similarity = self.similarities(fake)
        pool = similarity.shape[1]
        if pool < 2:
            raise MetricError("r-precision needs at least 2 distinct captions among the held-out ones")
        others = self.size(pool) - 1
        generator = torch.Generator().manual_seed(0)
        hits = 0
        for row, true in zip(similarity, fake.caption_index.tolist()):
            order = torch.randperm(pool - 1, generator=generator)[:others]
            wrong = order + (order >= true).long()  # skip the true caption's index
            hits += int(row[true] > row[wrong].max())
        return 100.0 * hits / len(similarity)


@component("metric", "fid")
def fid() -> SetMetric:
    """Fréchet Inception Distance of generated vs real features (lower is better)."""
    return FID()


@component("metric", "kid")
def kid() -> SetMetric:
    """Kernel Inception Distance of generated vs real features, 100 subsets (lower is better)."""
    return KID()


@component("metric", "is")
def inception_score() -> SetMetric:
    """Inception Score of generated images from the extractor's logits, 10 splits (higher is better)."""
    return InceptionScoreMetric()


@component("metric", "clip-score")
def clip_score() -> SetMetric:
    """CLIP score of generated images with their captions, 0..100 (higher is better)."""
    return ClipScore()


@component("metric", "r-precision")
def r_precision(candidates: int = R_PRECISION_CANDIDATES) -> SetMetric:
    """CLIP R-precision: % of images ranking their caption first among R (higher is better)."""
    return RPrecision(candidates)
