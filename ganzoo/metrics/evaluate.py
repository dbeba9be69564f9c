"""Evaluating a model: what it makes, scored against real images.

* Generative models (noise -> image; unconditional, class- or text-conditional): ``count`` images
  are drawn from seeded noise, one class after another, or from the captions of the held-out
  images the reference is made of;
  FID/KID against reference features of the data, IS, per class where there are classes, and
  CLIP score / R-precision against the captions they were made from.
* Translators: every source image of the data is translated; paired data are also compared with
  their targets pixel by pixel (L1, PSNR, SSIM), unpaired outputs only as a set with the other
  domain (FID/KID).

Metrics and extractors are built by :func:`build_suite` first, so a missing weights file is
reported before anything is loaded, drawn or trained.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import torch
from PIL import Image
from torch import Tensor, nn

from ganzoo.config import ComponentConfig
from ganzoo.data.augment import centre_crop, to_float
from ganzoo.data.base import InMemoryDataset
from ganzoo.images import READABLE_SIDE, labelled_grid, sample_labels
from ganzoo.interfaces import GenerativeTask, ReportProgress
from ganzoo.layers import evaluating
from ganzoo.metrics.base import ImageMetric, MetricError
from ganzoo.metrics.extractors import FeatureExtractor
from ganzoo.metrics.reference import Reference, chosen_images, reference_features
from ganzoo.metrics.sets import FeatureSet, RPrecision, SetMetric, extract, to_rgb_uint8
from ganzoo.registry import Registry

#: a translator: source images in [-1, 1] -> output images in [-1, 1].
Translate = Callable[[Tensor], Tensor]
Metric = ImageMetric | SetMetric
#: the extractor each role defaults to: image features (FID, KID, IS) and text-image agreement.
DEFAULT_EXTRACTORS = {"image": ComponentConfig("inception-fid"), "text": ComponentConfig("clip")}


@dataclass
class Evaluation:
    """Scores by metric name (and per class), how many images they cover, the protocol, and the
    first images (for a grid)."""

    scores: dict[str, float]
    higher_is_better: dict[str, bool]
    count: int
    shown: dict[str, Tensor] = field(repr=False)
    per_class: dict[str, dict[str, float]] = field(default_factory=dict)
    protocol: dict[str, Any] = field(default_factory=dict)
    #: the real features compared with (reused by the next evaluation of a training run).
    reference: Reference | None = field(default=None, repr=False)
    #: what each shown sample was made from (class names, captions), for the grid's labels.
    labels: list[str] | None = None

    def to_dict(self) -> dict[str, object]:
        extra = {"per_class": self.per_class} if self.per_class else {}
        return {"count": self.count, "scores": self.scores, "higher_is_better": self.higher_is_better, **extra, "protocol": self.protocol}

    def picture(self) -> Image.Image:
        """Rows of inputs, outputs and targets (a sample's versions lined up vertically), or samples,
        labelled like every other grid (by row, class or numbered caption)."""
        return labelled_grid(self.shown, labels=self.labels, max_side=READABLE_SIDE)


@dataclass
class MetricSuite:
    """The metrics asked for and the extractors they read, each checked to serve its metrics;
    ``left_out``: default metrics the chosen extractors cannot serve, and why."""

    metrics: dict[str, Metric]
    extractors: dict[str, FeatureExtractor]
    left_out: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        """One line: the metrics and extractors used, and any default left out for the extractor."""
        using = ", ".join(f"{role} extractor {extractor.name}" for role, extractor in self.extractors.items())
        left = "".join(f"; {name} left out: {reason}" for name, reason in self.left_out.items())
        return f"metrics: {', '.join(self.metrics)}{f' ({using})' if using else ''}{left}"

    def protocol(self) -> dict[str, Any]:
        return {"extractors": {role: extractor.protocol() for role, extractor in self.extractors.items()}}

    def to(self, device: torch.device) -> "MetricSuite":
        for metric in self.metrics.values():
            if isinstance(metric, ImageMetric):
                metric.to(device)
        for extractor in self.extractors.values():
            extractor.to(device).eval()
        return self

    @property
    def better(self) -> dict[str, bool]:
        return {name: metric.higher_is_better for name, metric in self.metrics.items()}


def build_suite(names: Sequence[str], registry: Registry, extractors: dict[str, ComponentConfig] | None = None, *,
                defaults: bool = False) -> MetricSuite:
    """The metrics ``names`` and the extractors they need (``extractors`` overrides the defaults by role).

    A metric the chosen extractor cannot serve is refused; with ``defaults`` (``names`` are the
    task's defaults, not the user's choice) it is left out and the suite says why, unless none is left.
    """
    if not names:
        raise MetricError(f"no metrics to compute; valid: {', '.join(registry.names('metric'))}")
    metrics = {name: registry.create("metric", name) for name in names}
    chosen = {**DEFAULT_EXTRACTORS, **(extractors or {})}
    built: dict[str, FeatureExtractor] = {}
    left_out: dict[str, str] = {}
    for name, metric in metrics.items():
        if isinstance(metric, SetMetric) and metric.extractor not in built:
            spec = chosen[metric.extractor]
            built[metric.extractor] = registry.create("extractor", spec.name, **spec.kwargs)
        if isinstance(metric, SetMetric):
            try:
                metric.check(built[metric.extractor])
            except MetricError as error:
                if not defaults or len(left_out) == len(metrics) - 1:
                    raise
                left_out[name] = str(error)
    return MetricSuite({name: metric for name, metric in metrics.items() if name not in left_out}, built, left_out)


def default_metrics(task: Any) -> list[str]:
    """What a model of this task is scored with when no metric is named; the first during training."""
    if task.layout == "paired":
        return ["l1", "psnr", "ssim"]
    if task.layout == "unpaired":
        return ["fid", "kid"]
    if task.condition_kind == "text":
        return ["clip-score", "r-precision", "fid"]
    return ["fid", "kid", "is"]


def describe_protocol(record: dict[str, Any]) -> list[str]:
    """One line each: what was compared with what, through which extractor."""
    protocol = record.get("protocol", {})
    lines = [f"{protocol.get('kind', '?')} images: {record.get('count')} (seed {protocol.get('seed')})"]
    reference = protocol.get("reference")
    if reference:
        cached = " (cached statistics)" if reference.get("cached") else ""
        split = f", split {reference['split']}" if reference.get("split") else ""
        lines.append(f"reference: {reference.get('count')} of the {reference.get('of', reference.get('count'))} images of {reference.get('dataset')}"
                     f"{split}{cached}")
    for role, extractor in protocol.get("extractors", {}).items():
        note = f"; {extractor['note']}" if extractor.get("note") else ""
        lines.append(f"{role} extractor: {extractor['name']} (sha256 {extractor['sha256'][:12]}), resize {extractor['resize']}{note}")
    if "r_precision_candidates" in protocol:
        lines.append(f"r-precision: true caption among R = {protocol['r_precision_candidates']} candidates")
    return lines


# ----------------------------------------------------------------------------------------------
# Generative models
# ----------------------------------------------------------------------------------------------

@dataclass
class Conditions:
    """What each generated image is made from: nothing, a class or a held-out caption."""

    raw: Tensor | list[str] | None = None
    labels: Tensor | None = None
    pool: list[str] = field(default_factory=list)
    caption_index: Tensor | None = None
    description: dict[str, Any] = field(default_factory=dict)


def conditions_for(kind: str, dataset: InMemoryDataset, count: int, classes: int) -> Conditions:
    """Classes in turn (``count / classes`` images each), or the captions of the images a reference
    of ``count`` images is made of (:func:`chosen_images`), so that both sets show the same classes."""
    if kind == "class":
        labels = torch.arange(count) % classes
        return Conditions(labels, labels, description={"classes": classes, "images_per_class": count // classes})
    if kind == "text":
        if dataset.captions is None:
            raise MetricError(f"{dataset.name} has no captions to draw text-conditional samples from")
        images = chosen_images(len(dataset), count).tolist()
        captions = [dataset.caption(i) for i in images]
        pool = sorted({c for options in dataset.captions for c in options})
        where = {caption: i for i, caption in enumerate(pool)}
        drawn = f"{count} of its {len(dataset)} images, drawn at random (seed 0)" if count < len(dataset) else f"all {len(dataset)} images in turn"
        return Conditions(captions, pool=pool, caption_index=torch.tensor([where[c] for c in captions]),
                          description={"captions": f"a caption of each of {drawn}, from {dataset.name}: the reference's images where it counts as many",
                                       "caption_pool": len(pool)})
    return Conditions()


def latent_size(nets: dict[str, nn.Module]) -> int:
    return max((getattr(net, "latent_dim", 0) for net in nets.values()), default=0)


@torch.no_grad()
def generate(task: GenerativeTask, nets: dict[str, nn.Module], conditions: Conditions, count: int, *, batch_size: int, seed: int,
             device: torch.device, progress: ReportProgress | None = None) -> Tensor:
    """``count`` images (uint8, on the CPU) from noise seeded with ``seed``, in eval mode."""
    generator = torch.Generator().manual_seed(seed)
    latent = latent_size(nets)
    images = []
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []), evaluating(nets.values()):
        torch.manual_seed(seed)  # networks drawing their own noise (conditioning augmentation) repeat too
        for start in range(0, count, batch_size):
            raw = conditions.raw[start:start + batch_size] if conditions.raw is not None else None
            if isinstance(raw, Tensor):
                raw = raw.to(device)
            inputs = task.sample_inputs(min(batch_size, count - start), raw, latent, generator, device)
            images.append(to_rgb_uint8(task.finished(task.render(nets, inputs))).cpu())
            if progress is not None:
                progress("generate", min(start + batch_size, count), count)
    return torch.cat(images)


def evaluate_generator(task: GenerativeTask, nets: dict[str, nn.Module], dataset: InMemoryDataset, suite: MetricSuite, *, count: int,
                       batch_size: int = 64, seed: int = 0, device: torch.device = torch.device("cpu"), split: str | None = None,
                       reference_count: int | None = None, cache: Path | None = None, grid_size: int = 64,
                       reference: Reference | None = None, per_class: bool = True,
                       progress: ReportProgress | None = None) -> Evaluation:
    """Draw ``count`` images and score them with ``suite`` against ``dataset`` (the reference set;
    ``reference`` gives its features when they are already at hand), per class too unless told not to;
    ``progress`` hears how far generating, extracting and the reference statistics are."""
    pixel = [name for name, metric in suite.metrics.items() if isinstance(metric, ImageMetric)]
    if pixel:
        raise MetricError(f"{pixel[0]} compares outputs with targets pixel by pixel: it needs a paired translation model")
    kind = task.condition_kind
    classes = dataset.num_classes or getattr(getattr(task, "source", None), "dim", 0)
    conditions = conditions_for(kind, dataset, count, classes)
    suite.to(device)
    images = generate(task, nets, conditions, count, batch_size=batch_size, seed=seed, device=device, progress=progress)
    fake: dict[str, FeatureSet] = {}
    for role, extractor in suite.extractors.items():
        fake[role] = extract(extractor, images.split(batch_size), device, progress=progress, what=f"{extractor.name}", total=count)
        fake[role].labels, fake[role].caption_index = conditions.labels, conditions.caption_index
        if role == "text":
            fake[role].captions = torch.cat([extractor.embed_text(conditions.pool[i:i + batch_size]).cpu()
                                             for i in range(0, len(conditions.pool), batch_size)])
    reference = reference or _reference(suite, dataset, "image", split, reference_count, batch_size, device, cache, progress)
    scores, class_scores = {}, {}
    for name, metric in suite.metrics.items():
        assert isinstance(metric, SetMetric)
        real = reference.features if reference and metric.needs_reference else None
        scores[name] = metric.compute(fake[metric.extractor], real)
        if per_class and metric.per_class and kind == "class" and real is not None and real.labels is not None:
            names = dataset.class_names or [str(c) for c in range(classes)]
            class_scores[name] = {names[c]: metric.compute(fake[metric.extractor].of_class(c), real.of_class(c)) for c in range(classes)}
    protocol = {"kind": "generated", "count": count, "seed": seed, **conditions.description, **suite.protocol()}
    if reference is not None:
        protocol["reference"] = reference.description
    r_precision = next((m for m in suite.metrics.values() if isinstance(m, RPrecision)), None)
    if r_precision is not None:
        protocol["r_precision_candidates"] = r_precision.size(len(conditions.pool))
    shown = {"samples": images[:grid_size].float().div(127.5).sub(1)}
    raw = conditions.raw[:grid_size] if conditions.raw is not None else None
    return Evaluation(scores, suite.better, count, shown, class_scores, protocol, reference, sample_labels(raw, dataset.class_names))


def _reference(suite: MetricSuite, dataset: InMemoryDataset, key: str, split: str | None, count: int | None, batch_size: int,
               device: torch.device, cache: Path | None, progress: ReportProgress | None) -> Reference | None:
    """Reference features from the image extractor, when some metric compares with real images."""
    if not any(isinstance(m, SetMetric) and m.needs_reference for m in suite.metrics.values()):
        return None
    return reference_features(dataset, suite.extractors["image"], key=key, split=split, count=count, batch_size=batch_size,
                              device=device, cache=cache, progress=progress)


# ----------------------------------------------------------------------------------------------
# Translators
# ----------------------------------------------------------------------------------------------

def source_batches(dataset: InMemoryDataset, key: str, batch_size: int, device: torch.device, count: int | None = None,
                   target: str | None = None) -> Iterator[tuple[Tensor, Tensor | None]]:
    """``(source, target)`` float batches in [-1, 1] at the dataset's resolution, in dataset order."""
    total = min(len(dataset.images[key]), count or len(dataset.images[key]))
    for start in range(0, total, batch_size):
        rows = torch.arange(start, min(start + batch_size, total))
        keys = [key] + ([target] if target else [])
        batch = centre_crop(to_float({k: dataset.images[k][rows.to(dataset.images[k].device)] for k in keys}, device), dataset.resolution)
        yield batch[key], batch[target] if target else None


@torch.no_grad()
def evaluate(
    translate: Translate,
    dataset: InMemoryDataset,
    metrics: dict[str, Metric] | MetricSuite,
    *,
    batch_size: int = 16,
    device: torch.device = torch.device("cpu"),
    grid_size: int = 8,
    seed: int = 0,
    count: int | None = None,
    split: str | None = None,
    reference_count: int | None = None,
    cache: Path | None = None,
    reference: Reference | None = None,
    progress: ReportProgress | None = None,
) -> Evaluation:
    """Translate the sources of ``dataset`` (the first ``count``) and score the outputs.

    Paired data: outputs against their targets (pixel metrics, and as sets). Unpaired data: the
    ``a`` images translated, as a set against the ``b`` images (the reference, cached).
    """
    suite = metrics if isinstance(metrics, MetricSuite) else MetricSuite(metrics, {})
    if not suite.metrics:
        raise MetricError("no metrics to compute")
    paired = dataset.layout == "paired"
    pixel = {name: m for name, m in suite.metrics.items() if isinstance(m, ImageMetric)}
    if pixel and not paired:
        raise MetricError(f"{next(iter(pixel))} needs paired data (source and target), got {dataset.name} with layout {dataset.layout!r}")
    if dataset.layout not in ("paired", "unpaired"):
        raise MetricError(f"translators are evaluated on paired or unpaired data, got {dataset.name} with layout {dataset.layout!r}")
    torch.manual_seed(seed)  # dropout stays on at test time: fix its draws
    suite.to(device)
    shown: dict[str, list[Tensor]] = {"input": [], "output": [], "target": []} if paired else {"input": [], "output": []}
    outputs, targets = [], []
    total = 0
    available = len(dataset.images["source" if paired else "a"])
    sources = min(available, count or available)
    for source, target in source_batches(dataset, "source" if paired else "a", batch_size, device, count, "image" if paired else None):
        output = translate(source)
        for metric in pixel.values():
            metric.update(output, target)
        if suite.extractors:
            outputs.append(to_rgb_uint8(output).cpu())
            if target is not None:
                targets.append(to_rgb_uint8(target).cpu())
        if total < grid_size:
            for column, images in zip(shown.values(), (source, output, target)):
                column.append(images[: grid_size - total].cpu())
        total += len(source)
        if progress is not None:
            progress("translate", total, sources)
    scores = {name: metric.compute() for name, metric in pixel.items()}
    protocol: dict[str, Any] = {"kind": "translated", "count": total, "seed": seed, **suite.protocol()}
    sets = {name: m for name, m in suite.metrics.items() if isinstance(m, SetMetric)}
    if sets:
        extractor = suite.extractors["image"]
        fake = extract(extractor, torch.cat(outputs).split(batch_size), device, progress=progress, what=extractor.name, total=total)
        if paired:
            real = extract(extractor, torch.cat(targets).split(batch_size), device, progress=progress, what="targets", total=total)
            protocol["reference"] = {"dataset": dataset.name, "split": split, "images": "the targets of the same pairs", "count": total}
        else:
            reference = reference or _reference(suite, dataset, "b", split, reference_count, batch_size, device, cache, progress)
            assert reference is not None
            real = reference.features
            protocol["reference"] = reference.description
        scores.update({name: metric.compute(fake, real) for name, metric in sets.items()})
    scores = {name: scores[name] for name in suite.metrics}
    shown_images = {kind: torch.cat(images) for kind, images in shown.items()}
    return Evaluation(scores, suite.better, total, shown_images, protocol=protocol, reference=reference)
