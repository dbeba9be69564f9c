"""UGATIT on the built-in unpaired shapes: does it recolour the shapes while keeping the layout?

Trains the ``ugatit`` preset (red shapes <-> blue shapes, 32 px) with the library's Trainer on the
CPU and, every ``--eval-every`` steps, measures on held-out shapes drawn with another seed:

* ``target colour``: of the source's shape pixels, the share whose translated colour is nearest to
  the *target* domain's shape colour (palette: background, red, blue). 0 at the start (identity),
  1 when every shape pixel has been recoloured.
* ``layout IoU``: intersection over union of the shape (non-background) masks of the source and its
  translation; 1 when the translation keeps the shape, its size and position.
* ``cycle L1``: mean |x - G_ba(G_ab(x))| (and the reverse) in [0, 1] pixel units.

Run (about 10 CPU minutes)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/ugatit_shapes.py --out runs/bench-ugatit

It prints a Markdown table, writes ``figures.json`` and ``translations.png`` (rows: A, A->B,
heat-map, B, B->A, heat-map) under ``--out``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from torch import Tensor, nn

from ganzoo.data.shapes import COLOURS, UNPAIRED_DOMAINS, shapes_unpaired
from ganzoo.images import save_grid
from ganzoo.interfaces import as_float_image
from ganzoo.layers import evaluating
from ganzoo.presets import load_book
from ganzoo.train.loop import Trainer

#: the shapes-unpaired background (ganzoo/data/shapes.py draws both domains on it).
BACKGROUND = (235, 235, 225)
PALETTE = torch.tensor([BACKGROUND, COLOURS[UNPAIRED_DOMAINS["a"]], COLOURS[UNPAIRED_DOMAINS["b"]]], dtype=torch.float32)
SHAPE_COLOUR = {"a": 1, "b": 2}  # index in PALETTE


def nearest_colour(images: Tensor) -> Tensor:
    """``[B, 3, H, W]`` in [-1, 1] -> palette index per pixel ``[B, H, W]``."""
    pixels = (images.clamp(-1, 1) + 1) * 127.5
    distances = (pixels[:, None] - PALETTE[None, :, :, None, None]).square().sum(dim=2)
    return distances.argmin(dim=1)


def translation_scores(source: Tensor, output: Tensor, target: str) -> dict[str, float]:
    """Target-colour share on the source's shape pixels, and the shape-mask IoU."""
    source_class, output_class = nearest_colour(source), nearest_colour(output)
    source_shape, output_shape = source_class != 0, output_class != 0
    recoloured = (output_class == SHAPE_COLOUR[target])[source_shape].float().mean()
    union = (source_shape | output_shape).sum().clamp_min(1)
    return {"target_colour": float(recoloured), "layout_iou": float((source_shape & output_shape).sum() / union)}


@torch.no_grad()
def evaluate(nets: dict[str, nn.Module], held_out: dict[str, Tensor]) -> dict[str, float]:
    a, b = held_out["a"], held_out["b"]
    gen_ab, gen_ba = nets["gen_ab"], nets["gen_ba"]
    with evaluating(nets.values()):
        a_to_b, b_to_a = gen_ab(None, a), gen_ba(None, b)
        cycle_a, cycle_b = gen_ba(None, a_to_b), gen_ab(None, b_to_a)
    figures = {f"ab_{k}": v for k, v in translation_scores(a, a_to_b, "b").items()}
    figures |= {f"ba_{k}": v for k, v in translation_scores(b, b_to_a, "a").items()}
    figures["cycle_l1"] = float(((cycle_a - a).abs().mean() + (cycle_b - b).abs().mean()) / 4)  # [0, 1] units
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--held-out", type=int, default=64, help="held-out images per domain")
    parser.add_argument("--out", type=Path, default=Path("runs/bench-ugatit"))
    args = parser.parse_args()

    config = load_book().resolve("ugatit", {"steps": args.steps, "device": "cpu", "sample_every": args.steps, "checkpoint_every": args.steps})
    trainer = Trainer(config, args.out)
    data = shapes_unpaired(resolution=config.resolution, count=args.held_out, seed=100)  # unseen shapes
    held_out = {key: as_float_image(images) for key, images in data.images.items()}

    print("| step | A->B blue share | A->B layout IoU | B->A red share | B->A layout IoU | cycle L1 | CPU s |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    rows: list[dict[str, float]] = []

    def record(cpu_seconds: float) -> None:
        row = {"step": trainer.step, "cpu_seconds": round(cpu_seconds, 1), **evaluate(trainer.nets, held_out)}
        rows.append(row)
        print(f"| {row['step']} | {row['ab_target_colour']:.3f} | {row['ab_layout_iou']:.3f} | {row['ba_target_colour']:.3f} "
              f"| {row['ba_layout_iou']:.3f} | {row['cycle_l1']:.4f} | {row['cpu_seconds']:.0f} |", flush=True)

    record(0.0)
    start = time.process_time()
    for net in trainer.nets.values():
        net.train()
    while trainer.step < trainer.steps:
        trainer.train_step()
        if trainer.step % args.eval_every == 0 or trainer.step == trainer.steps:
            record(time.process_time() - start)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "figures.json").write_text(json.dumps(rows, indent=1))
    with evaluating(trainer.nets.values()):
        columns = trainer.task.render(trainer.nets, {key: images[:8] for key, images in held_out.items()})
    save_grid(columns, args.out / "translations.png")


if __name__ == "__main__":
    main()
