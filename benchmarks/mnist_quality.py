"""Do short CPU runs of dcgan and lsgan-sn draw digits a classifier recognises?

1. A small CNN is trained on real MNIST at 32 px (once; cached under the user cache directory,
   ``$XDG_CACHE_HOME/ganzoo`` or ``~/.cache/ganzoo``, never in the repository).
2. Each preset is trained for ``--steps`` on the real MNIST files through the ganzoo training
   engine (the preset's own losses and optimisers; MNIST, 32 px, 1 channel, ``--width`` set here).
3. ``--samples`` digits are drawn as ``ganzoo sample`` draws them and classified: the report gives
   the mean classifier confidence (max softmax), the share of samples classified with confidence
   >= 0.9, and the class coverage (classes among the confident samples, and the normalised
   entropy of the predicted-class histogram: 1.0 = all ten equally often).

Usage (about 15 CPU minutes on one thread)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/mnist_quality.py --steps 1000

Results are printed as a Markdown table and written to ``<out>/report.json``; sample grids stay in
``<out>/<preset>/samples/``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganzoo.data.mnist import mnist
from ganzoo.interfaces import as_float_image
from ganzoo.layers import evaluating
from ganzoo.presets import load_book
from ganzoo.train.loop import Trainer

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "datasets" / "mnist"
RESOLUTION = 32
CONFIDENT = 0.9
CLASSIFIER_VERSION = "v1"


class DigitClassifier(nn.Sequential):
    """Two conv+pool stages and an MLP head; about 99% test accuracy after two epochs."""

    def __init__(self) -> None:
        super().__init__(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 8 * 8, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 10),
        )


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ganzoo"


def digits(data: Path, split: str) -> tuple[Tensor, Tensor]:
    """MNIST ``split`` as float images in [-1, 1] (the generators' range) and labels."""
    dataset = mnist.create(root=str(data), split=split, resolution=RESOLUTION, condition="class")
    return as_float_image(dataset.images["image"]), dataset.labels


def accuracy(classifier: nn.Module, images: Tensor, labels: Tensor) -> float:
    with torch.no_grad():
        predictions = torch.cat([classifier(chunk).argmax(1) for chunk in images.split(1000)])
    return (predictions == labels).float().mean().item()


def trained_classifier(data: Path, epochs: int, seed: int) -> tuple[nn.Module, float]:
    """The cached classifier, or one trained now (Adam, batch 128) and cached; with its test accuracy."""
    path = cache_dir() / f"mnist-classifier-{CLASSIFIER_VERSION}-{RESOLUTION}px-{epochs}ep-seed{seed}.pt"
    classifier = DigitClassifier()
    if path.is_file():
        saved = torch.load(path, weights_only=True)
        classifier.load_state_dict(saved["state"])
        return classifier.eval(), float(saved["accuracy"])
    torch.manual_seed(seed)
    images, labels = digits(data, "train")
    optimizer = torch.optim.Adam(classifier.parameters(), 1e-3)
    for _ in range(epochs):
        for batch in torch.randperm(len(images)).split(128):
            loss = F.cross_entropy(classifier(images[batch]), labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    classifier.eval()
    test_accuracy = accuracy(classifier, *digits(data, "test"))
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state": classifier.state_dict(), "accuracy": test_accuracy}, path)
    return classifier, test_accuracy


def train_preset(preset: str, data: Path, out: Path, args: argparse.Namespace) -> Trainer:
    """A short run of ``preset`` on real MNIST through the training engine."""
    overrides: dict[str, Any] = {
        "dataset": {"name": "mnist", "root": str(data)},
        "resolution": RESOLUTION,
        "channels": 1,
        "steps": args.steps,
        "batch_size": args.batch_size,
        "device": "cpu",
        "seed": args.seed,
        "nets.generator.width": args.width,
        "nets.discriminator.width": args.width,
        "log_every": max(1, args.steps // 10),
        "sample_every": args.steps,
        "checkpoint_every": args.steps,
    }
    trainer = Trainer(load_book().resolve(preset, overrides), out / preset)
    trainer.run()
    return trainer


def generated(trainer: Trainer, samples: int, seed: int) -> Tensor:
    """``samples`` digits drawn as ``ganzoo sample`` draws them (eval mode, EMA weights when kept)."""
    nets = trainer.render_nets()
    rng = torch.Generator().manual_seed(seed)
    with evaluating(nets.values()):
        inputs = trainer.task.sample_inputs(samples, None, nets["generator"].latent_dim, rng, trainer.runtime.device)
        return trainer.task.finished(trainer.task.render(nets, inputs)).float().cpu()


def judge(images: Tensor, classifier: nn.Module) -> dict[str, Any]:
    """Classify ``images``: mean confidence, confident share, class coverage."""
    samples = len(images)
    with torch.no_grad():
        probabilities = torch.cat([classifier(chunk).softmax(1) for chunk in images.split(500)])
    confidence, predicted = probabilities.max(1)
    confident = confidence >= CONFIDENT
    histogram = torch.bincount(predicted, minlength=10).float() / samples
    seen = histogram[histogram > 0]
    entropy = max(0.0, -(seen * seen.log()).sum().item() / math.log(10))
    return {
        "mean_confidence": round(confidence.mean().item(), 4),
        "confident_share": round(confident.float().mean().item(), 4),
        "classes_covered": int(predicted[confident].unique().numel()),
        "class_entropy": round(entropy, 4),
        "class_histogram": [round(v, 3) for v in histogram.tolist()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with the MNIST IDX files")
    parser.add_argument("--presets", nargs="*", default=["dcgan", "lsgan-sn"], help="none: only the real-digit reference")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--width", type=int, default=32, help="base channel width of G and D (the presets use 64)")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--classifier-epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "benchmarks" / "mnist_quality")
    args = parser.parse_args()
    if not (args.data / "train-images-idx3-ubyte.gz").is_file() and not (args.data / "train-images-idx3-ubyte").is_file():
        raise SystemExit(f"MNIST IDX files not found in {args.data} (pass --data)")

    started = time.perf_counter()
    classifier, test_accuracy = trained_classifier(args.data, args.classifier_epochs, args.seed)
    report: dict[str, Any] = {"classifier_test_accuracy": round(test_accuracy, 4), "steps": args.steps,
                              "batch_size": args.batch_size, "width": args.width, "samples": args.samples,
                              "threads": torch.get_num_threads(), "results": {}}
    print(f"classifier: {test_accuracy:.2%} test accuracy ({time.perf_counter() - started:.0f} s)")
    real = digits(args.data, "test")[0]
    pick = torch.randperm(len(real), generator=torch.Generator().manual_seed(args.seed))[: args.samples]
    report["real_test_digits"] = judge(real[pick], classifier)
    print(f"real test digits: {json.dumps(report['real_test_digits'])}")
    for preset in args.presets:
        began = time.perf_counter()
        trainer = train_preset(preset, args.data, args.out, args)
        result = judge(generated(trainer, args.samples, args.seed), classifier)
        result["train_seconds"] = round(time.perf_counter() - began)
        report["results"][preset] = result
        print(f"{preset}: {json.dumps(result)}")
    report["total_seconds"] = round(time.perf_counter() - started)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    print(f"\n| preset | steps | mean confidence | samples >= {CONFIDENT} | classes covered | class entropy | CPU s |")
    print("|---|---|---|---|---|---|---|")
    rows = {"real test digits (reference)": report["real_test_digits"], **report["results"]}
    for preset, r in rows.items():
        steps = args.steps if preset in report["results"] else "-"
        print(f"| {preset} | {steps} | {r['mean_confidence']:.3f} | {r['confident_share']:.1%} | "
              f"{r['classes_covered']}/10 | {r['class_entropy']:.3f} | {r.get('train_seconds', '-')} |")


if __name__ == "__main__":
    main()
