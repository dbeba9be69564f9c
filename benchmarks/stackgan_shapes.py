"""StackGAN on the built-in captioned shapes: does the caption steer the generated image?

Trains Stage-I (the ``stackgan`` preset, by default shrunk to 32 px and narrow layers so it runs
in CPU minutes; ``--full`` keeps the preset as it is) with the library's Trainer and, every
``--eval-every`` steps, generates images for every caption "a {colour} {shape} on a {background}
background" (6 x 5 colour pairs x 4 shapes, ``--per-caption`` noise draws each) and reads the
colours back from the generated pixels:

* ``background``: the palette colour most pixels of the 1-pixel border are nearest to;
* ``foreground``: the palette colour most of the remaining (non-background) pixels are nearest to.

Accuracy is the share of images whose colour matches the caption. Chance is 1/6 for each (six
palette colours, uniform in the data) and 1/30 for both; ``mismatched`` scores the same images
against another caption's colours, the level a model that ignores the text would reach.

With ``--stage2-steps N`` it then trains Stage-II (4x the Stage-I resolution, so 128 px unless
``--full``) on the frozen Stage-I for N steps (batch 16 unless ``--full``) and scores its images
the same way; ``--stage1 OUT/stage1`` reuses a Stage-I run this script made. Run::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/stackgan_shapes.py --steps 1500 --out runs/bench-stackgan
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/stackgan_shapes.py --stage1 runs/bench-stackgan/stage1 \
        --stage2-steps 600 --eval-every 200 --out runs/bench-stackgan2

It prints Markdown tables, writes ``figures.json`` and ``samples.png`` (one caption per row pair:
Stage-I, then Stage-II when trained) under ``--out``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path
from typing import Any

import torch
from ganzoo_stackgan.stage2 import StageTwoGenerator
from torch import Tensor, nn

from ganzoo.data.shapes import COLOURS, SHAPES
from ganzoo.images import save_grid
from ganzoo.interfaces import Task
from ganzoo.layers import evaluating
from ganzoo.loading import load
from ganzoo.presets import load_book
from ganzoo.train.loop import Trainer

PALETTE = torch.tensor(list(COLOURS.values()), dtype=torch.float32)
NAMES = list(COLOURS)
#: captions in the data's first template, with the palette indices of foreground and background.
CAPTIONS = [(f"a {fg} {shape} on a {bg} background", NAMES.index(fg), NAMES.index(bg))
            for fg, bg in itertools.permutations(NAMES, 2) for shape in SHAPES]
#: the CPU-sized Stage-I used unless --full: the preset's hyper-parameters, narrower layers, 32 px.
SMALL = {"resolution": 32, "nets.generator.base_channels": 16, "nets.discriminator.base_channels": 16,
         "conditioner.dim": 128, "conditioner.width": 64}


def read_colours(images: Tensor) -> tuple[Tensor, Tensor]:
    """``[B, 3, H, W]`` in [-1, 1] -> (foreground, background) palette indices ``[B]``."""
    pixels = (images.float().clamp(-1, 1) + 1) * 127.5
    nearest = (pixels[:, None] - PALETTE[None, :, :, None, None]).square().sum(dim=2).argmin(dim=1)  # [B, H, W]
    border = torch.cat([nearest[:, 0], nearest[:, -1], nearest[:, :, 0], nearest[:, :, -1]], dim=1)
    background = border.mode(dim=1).values
    inside = nearest.flatten(1)
    counts = torch.stack([(inside == k).sum(1) for k in range(len(PALETTE))], dim=1)
    counts[torch.arange(len(images)), background] = -1  # the foreground is what is not background
    return counts.argmax(dim=1), background


@torch.no_grad()
def generate(nets: dict[str, nn.Module], task: Task, captions: list[str], seed: int) -> dict[str, Tensor]:
    """Images of every stage for ``captions`` (``stage1``, and ``stage2`` for a Stage-II generator)."""
    generator = nets["generator"]
    z = torch.randn(len(captions), generator.latent_dim, generator=torch.Generator().manual_seed(seed))
    with evaluating(nets.values()):
        condition = task.condition(nets, captions)
        if isinstance(generator, StageTwoGenerator):
            return generator.stages(z, condition)
        return {"stage1": generator(z, condition)}


def score(nets: dict[str, nn.Module], task: Task, per_caption: int) -> dict[str, dict[str, float]]:
    """Caption-following accuracy of every stage's images, and the mismatched-caption control."""
    captions = [c for c, _, _ in CAPTIONS for _ in range(per_caption)]
    want_fg = torch.tensor([fg for _, fg, _ in CAPTIONS for _ in range(per_caption)])
    want_bg = torch.tensor([bg for _, _, bg in CAPTIONS for _ in range(per_caption)])
    other = torch.roll(torch.arange(len(captions)), per_caption * 7)  # another caption's colours
    figures = {}
    for stage, images in generate(nets, task, captions, seed=1).items():
        fg, bg = read_colours(images)
        figures[stage] = {
            "foreground": float((fg == want_fg).float().mean()),
            "background": float((bg == want_bg).float().mean()),
            "both": float(((fg == want_fg) & (bg == want_bg)).float().mean()),
            "mismatched_both": float(((fg == want_fg[other]) & (bg == want_bg[other])).float().mean()),
        }
    return figures


def train(trainer: Trainer, eval_every: int, per_caption: int) -> list[dict[str, Any]]:
    rows = [{"step": 0, "seconds": 0.0, **score(trainer.render_nets(), trainer.task, per_caption)}]
    start = time.perf_counter()
    while trainer.step < trainer.steps:
        for net in trainer.nets.values():
            net.train()  # a Stage-II generator keeps its Stage-I in eval mode itself
        trainer.train_step()
        if trainer.step % eval_every == 0 or trainer.step == trainer.steps:
            figures = score(trainer.render_nets(), trainer.task, per_caption)
            rows.append({"step": trainer.step, "seconds": round(time.perf_counter() - start, 1), **figures})
    trainer.checkpoints.save(trainer.step)
    return rows


def print_table(title: str, rows: list[dict[str, Any]], stage: str) -> None:
    print(f"\n{title}\n\n| step | foreground | background | both | both, mismatched caption | wall s |\n|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        f = row[stage]
        print(f"| {row['step']} | {f['foreground']:.3f} | {f['background']:.3f} | {f['both']:.3f} | {f['mismatched_both']:.3f} | {row['seconds']:.0f} |")
    print(f"| chance | {1 / 6:.3f} | {1 / 6:.3f} | {1 / 30:.3f} | | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--stage2-steps", type=int, default=0)
    parser.add_argument("--stage1", type=Path, help="reuse the Stage-I run in this folder (e.g. OUT/stage1) instead of training one")
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--per-caption", type=int, default=4, help="noise draws per caption (120 captions)")
    parser.add_argument("--full", action="store_true", help="train the preset as it is (64 px, paper widths)")
    parser.add_argument("--out", type=Path, default=Path("runs/bench-stackgan"))
    args = parser.parse_args()

    book = load_book()
    quiet = {"device": "cpu", "sample_every": 10**9, "checkpoint_every": 10**9}
    small = {} if args.full else SMALL
    stage1_dir, stage2_dir = args.out / "stage1", args.out / "stage2"
    results: dict[str, Any] = {}
    if args.stage1 is not None:  # reuse a Stage-I run made by this script
        stage1_dir = args.stage1
        loaded = load(stage1_dir)
        nets, task = loaded.nets, loaded.task
        results["stage1"] = [{"step": "trained", "seconds": 0.0, **score(nets, task, args.per_caption)}]
    else:
        stage1 = Trainer(book.resolve("stackgan", {**small, **quiet, "steps": args.steps}), stage1_dir)
        results["stage1"] = train(stage1, args.eval_every, args.per_caption)
        nets, task = stage1.render_nets(), stage1.task
    print_table("Stage-I", results["stage1"], "stage1")

    if args.stage2_steps:
        stage2_small = {} if args.full else {
            "resolution": 4 * SMALL["resolution"], "conditioner.dim": SMALL["conditioner.dim"], "conditioner.width": SMALL["conditioner.width"],
            "nets.generator.stage1.base_channels": SMALL["nets.generator.base_channels"],
            "nets.generator.base_channels": 32, "nets.discriminator.base_channels": 8, "batch_size": 16,
        }
        init = {"init_from": {"generator.stage1": f"{stage1_dir}:generator", "conditioner": f"{stage1_dir}:conditioner"}}
        config = book.resolve("stackgan-stage2", {**stage2_small, **quiet, **init, "steps": args.stage2_steps})
        stage2 = Trainer(config, stage2_dir)
        results["stage2"] = train(stage2, args.eval_every, args.per_caption)
        nets, task = stage2.render_nets(), stage2.task
        print_table("Stage-II (its Stage-I input scored in the stage1 columns)", results["stage2"], "stage2")

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "figures.json").write_text(json.dumps(results, indent=1))
    shown = [c for c, _, _ in CAPTIONS[:: len(SHAPES) * 3]][:8]  # a few colour pairs, one shape each
    columns = 8
    images = generate(nets, task, [c for c in shown for _ in range(columns)], seed=2)
    save_grid(images, args.out / "samples.png", columns)
    (args.out / "captions.txt").write_text("\n".join(shown) + "\n")


if __name__ == "__main__":
    main()
