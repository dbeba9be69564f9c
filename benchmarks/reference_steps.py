"""The reference training steps, re-implemented here, timed beside ganzoo's eager and fast steps.

Two steps as their projects ship them, written for this benchmark from the published descriptions
(no code copied; they are the trainers of ``references.py``, which ``quality.py`` trains too):

* pytorch/examples DCGAN: the paper's 64 px generator and discriminator (width 64, z 100), fp32,
  a Sigmoid at the end of D with ``BCELoss``, the real and fake halves of D's loss back-propagated
  separately, and ``.item()`` on D(x), D(G(z)) and both losses every step (the example prints them
  every iteration), batch 128;
* pytorch-CycleGAN-and-pix2pix's pix2pix: U-Net 256 (8 downsamplings, BatchNorm, dropout 0.5 in
  the three innermost 512-channel decoder blocks) + the 70x70 PatchGAN (3 layers, BatchNorm),
  ``BCEWithLogitsLoss`` + 100 x L1, batch 1, losses read only at print time (its linear learning-rate
  schedule advances each step too).

Both read the same device-resident batches, drawn from the dataset of the ganzoo preset they are
compared with (ganzoo's ``dcgan`` at 64 px and ``pix2pix-facades`` on the built-in paired shapes at
256 px), and are timed in the same process. Data loading is not timed for any of them (ganzoo
gathers and augments on the device inside its step; the reference projects load on CPU workers).

    python benchmarks/reference_steps.py --device cuda                    # the issue's settings
    python benchmarks/reference_steps.py --device cpu --dcgan-batch 8 --steps 3 --warmup 1
"""

from __future__ import annotations

import argparse
import json
import time
from tempfile import TemporaryDirectory
from typing import Any, Callable

import torch
from references import ExamplesDcganTrainer, Pix2PixTrainer
from torch import Tensor
from torch.utils.flop_counter import FlopCounterMode

from ganzoo.presets import load_book
from ganzoo.train.bench import synchronize, time_mode
from ganzoo.train.fast import WARMUP_STEPS
from ganzoo.train.loop import Trainer
from ganzoo.train.runtime import resolve_device

# ----------------------------------------------------------------------------------------------

CASES: dict[str, dict[str, Any]] = {
    "dcgan": {"preset": "dcgan", "reference": lambda: ExamplesDcganTrainer(), "overrides": {}},
    "pix2pix": {"preset": "pix2pix-facades", "reference": lambda: Pix2PixTrainer(8, 64, steps=10**6),
                "overrides": {"dataset": {"name": "shapes-paired", "count": 64}}},
}


def time_reference(make: Callable[[], Any], batches: list[dict[str, Tensor]], device: torch.device, steps: int,
                   warmup: int) -> dict[str, float]:
    reference = make()
    for net in reference.nets():
        net.to(device).train()
    step = reference.step
    for index in range(warmup):
        step(batches[index % len(batches)])
    with FlopCounterMode(display=False) as counter:
        step(batches[0])
    synchronize(device)
    start = time.perf_counter()
    for index in range(steps):
        step(batches[index % len(batches)])
    synchronize(device)
    seconds = (time.perf_counter() - start) / steps
    batch_size = batches[0]["image"].shape[0]
    return {"step_ms": seconds * 1e3, "images_per_s": batch_size / seconds, "gflop_per_step": counter.get_total_flops() / 1e9}


def run_case(name: str, device: str, batch_size: int | None, steps: int, warmup: int, precision: str) -> dict[str, Any]:
    case = CASES[name]
    overrides = {"device": device, "precision": precision, **case["overrides"]}
    if batch_size is not None:
        overrides["batch_size"] = batch_size
    config = load_book().resolve(case["preset"], overrides)
    resolved = resolve_device(device)
    ganzoo_warmup = max(warmup, WARMUP_STEPS + 1) if resolved.type == "cuda" else warmup
    torch.manual_seed(0)
    # the reference reads batches of the same dataset, prepared on the device beforehand
    with TemporaryDirectory() as folder:
        trainer = Trainer(config, folder)
        batches = [trainer.batches.at(i) for i in range(4)]
    reference = time_reference(case["reference"], batches, resolved, steps, warmup)
    rows = {"reference": reference}
    flops = None
    for mode in ("eager", "fast"):
        timing, flops, context = time_mode(config, mode, steps, ganzoo_warmup, flops=flops)
        rows[mode] = {**timing.to_dict(), "gflop_per_step": flops / 1e9}
    return {
        "case": name, "preset": case["preset"], "device": context["device"], "ganzoo_precision": context["precision"],
        "batch_size": config.batch_size, "resolution": config.resolution, "steps": steps, **rows,
        "eager_vs_reference": rows["eager"]["images_per_s"] / reference["images_per_s"],
        "fast_vs_reference": rows["fast"]["images_per_s"] / reference["images_per_s"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--dcgan-batch", type=int, default=None, help="DCGAN batch size (default: the preset's 128)")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--precision", default="auto", help="ganzoo's precision (the reference is always fp32)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    results = []
    for name in args.cases:
        result = run_case(name, args.device, args.dcgan_batch if name == "dcgan" else None, args.steps, args.warmup, args.precision)
        results.append(result)
        print(f"{name} on {result['device']} (ganzoo {result['ganzoo_precision']}), batch {result['batch_size']}, "
              f"{result['resolution']} px, {result['steps']} timed steps")
        for mode in ("reference", "eager", "fast"):
            row = result[mode]
            graph = " (graph)" if row.get("graphed") else ""
            print(f"  {mode:9s}{graph:8s} {row['step_ms']:10.2f} ms/step {row['images_per_s']:10.1f} img/s "
                  f"{row['gflop_per_step']:8.2f} GFLOP/step")
        print(f"  ganzoo eager / reference: {result['eager_vs_reference']:.2f}x   fast / reference: {result['fast_vs_reference']:.2f}x")
        if result["fast"]["note"]:
            print(f"  fast: {result['fast']['note']}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=2)


if __name__ == "__main__":
    main()
