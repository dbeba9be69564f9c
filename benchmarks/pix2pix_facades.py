"""pix2pix on CMP facades (labels -> photo): train on the 400 training pairs, score the 106 test pairs.

Trains the ``pix2pix-facades`` preset (the paper's recipe: U-Net + PatchGAN 70, BatchNorm, batch 1,
cGAN + 100 x L1, Adam 2e-4 / 0.5, jitter 286 -> 256 scaled to the resolution, flips, learning rate
decaying linearly over the second half) with the library's Trainer, then scores the test pairs with
L1, PSNR and SSIM (FID and KID too with ``--extractor-weights``) beside the *mean training photo* baseline: a
constant prediction that pixel metrics rate about as well as real pix2pix outputs, which is why
the grid must be looked at too.

CPU evidence (channel widths halved; about 6 CPU-minutes at 64 px, 9 at 128 px)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/pix2pix_facades.py --resolution 64 --steps 2400 --base-channels 32 --out runs/bench-pix2pix-64
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/pix2pix_facades.py --resolution 128 --steps 2400 --base-channels 32 --out runs/bench-pix2pix-128

The full recipe on a GPU (the paper trains 200 epochs = 80,000 steps)::

    .venv/bin/python benchmarks/pix2pix_facades.py --device cuda --resolution 256 --steps 80000 --out runs/bench-pix2pix-256

It prints a Markdown table and writes ``figures.json`` and ``test-grid.png`` (rows: input labels,
output, target photo, for the first 8 test pairs) under ``--out``; the run itself is in
``--out``/run (``ganzoo evaluate`` and ``ganzoo translate`` take it).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from torch import Tensor

from ganzoo import plugins
from ganzoo.build import build_dataset
from ganzoo.config import ComponentConfig
from ganzoo.data.augment import to_float
from ganzoo.images import save_grid
from ganzoo.layers import evaluating
from ganzoo.metrics.evaluate import Evaluation, MetricSuite, build_suite, evaluate
from ganzoo.presets import load_book
from ganzoo.train.loop import Trainer

FACADES = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "facades"
#: the paper loads 286 px images for 256 px crops; other resolutions keep that ratio.
JITTER_RATIO = 286 / 256


def train(args: argparse.Namespace) -> tuple[Trainer, dict[str, float]]:
    overrides = {
        "dataset.root": str(args.data),
        "resolution": args.resolution,
        "augment.jitter": round(args.resolution * JITTER_RATIO),
        "nets.generator.name": "unet-256" if args.resolution == 256 else "unet",
        "nets.generator.base_channels": args.base_channels,
        "nets.discriminator.base_channels": args.base_channels,
        "steps": args.steps,
        "device": args.device,
        "seed": args.seed,
        "log_every": 100,
        "sample_every": max(args.steps // 4, 1),
        "checkpoint_every": args.steps,
    }
    config = load_book().resolve("pix2pix-facades", overrides)
    trainer = Trainer(config, args.out / "run")
    wall, cpu = time.perf_counter(), time.process_time()
    last = trainer.run()
    timing = {"train_wall_s": time.perf_counter() - wall, "train_cpu_s": time.process_time() - cpu}
    print(f"trained {args.steps} steps: {timing['train_cpu_s'] / 60:.1f} CPU-min, {timing['train_wall_s'] / 60:.1f} min; last log {last}")
    return trainer, timing


def mean_training_photo(trainer: Trainer) -> Tensor:
    """The average target photo of the training pairs at the trained resolution, in [-1, 1]."""
    pairs = build_dataset(trainer.resolved, load_size=trainer.config.resolution)
    return to_float(pairs.images, torch.device("cpu"))["image"].mean(dim=0, keepdim=True)


def score(args: argparse.Namespace, trainer: Trainer) -> dict[str, Evaluation]:
    registry = plugins.registry()
    test = build_dataset(trainer.resolved, split="test", load_size=trainer.config.resolution)
    names = ["l1", "psnr", "ssim"] + (["fid", "kid"] if args.extractor_weights else [])
    extractor = ComponentConfig(args.extractor, {"weights": str(args.extractor_weights)} if args.extractor_weights else {})

    def metrics() -> MetricSuite:
        return build_suite(names, registry, {"image": extractor})

    generator, device = trainer.nets["generator"], trainer.runtime.device
    with evaluating([generator]):
        pix2pix = evaluate(lambda source: generator(None, source), test, metrics(), device=device, seed=args.seed)
    mean = mean_training_photo(trainer).to(device)
    baseline = evaluate(lambda source: mean.expand(len(source), -1, -1, -1), test, metrics(), device=device)
    return {"pix2pix": pix2pix, "mean training photo": baseline}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=FACADES, help="facades root with train/ and test/ (A = photo | B = labels)")
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--steps", type=int, default=2400)
    parser.add_argument("--base-channels", type=int, default=64, help="width of the first U-Net and PatchGAN layers (paper: 64)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--extractor", default="inception-fid", help="FID/KID feature extractor (see docs/evaluation.md)")
    parser.add_argument("--extractor-weights", "--fid-weights", type=Path, help="its weights file; adds FID and KID")
    parser.add_argument("--out", type=Path, default=Path("runs/bench-pix2pix-facades"))
    args = parser.parse_args()
    if not (args.data / "train").is_dir():
        parser.error(f"--data {args.data}: no train/ folder (the facades set: ../shared/datasets/facades)")

    trainer, timing = train(args)
    results = score(args, trainer)
    grid_path = save_grid(results["pix2pix"].shown, args.out / "test-grid.png")

    names = list(results["pix2pix"].scores)
    print(f"\n| facades test ({results['pix2pix'].count} pairs, {args.resolution} px) | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for label, result in results.items():
        print(f"| {label} | " + " | ".join(f"{result.scores[n]:.3f}" for n in names) + " |")
    figures = {
        "resolution": args.resolution,
        "steps": args.steps,
        "base_channels": args.base_channels,
        "device": args.device,
        **timing,
        "results": {label: result.to_dict() for label, result in results.items()},
        "grid": str(grid_path),
    }
    (args.out / "figures.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"\ngrid: {grid_path}\nfigures: {args.out / 'figures.json'}")


if __name__ == "__main__":
    main()
