"""Training throughput (images/s) of presets through the real training loop, on any device.

    python benchmarks/train_speed.py --device cpu --presets demo dcgan pix2pix --steps 20
    python benchmarks/train_speed.py --device cuda --presets dcgan pix2pix-facades --steps 200

Reports steps/s and images/s after warm-up steps; on CUDA the clock stops after a synchronise.
No weights or data are downloaded: presets run on their built-in datasets unless they name a
real one (then pass --set dataset.root=...).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import torch

from ganzoo.presets import load_book
from ganzoo.train.loop import Trainer


def measure(preset: str, device: str, steps: int, warmup: int, overrides: dict) -> dict:
    config = load_book().resolve(preset, {"device": device, "steps": steps + warmup, **overrides})
    with tempfile.TemporaryDirectory() as run_dir:
        trainer = Trainer(config, run_dir)
        for _ in range(warmup):
            trainer.train_step()
        sync = torch.cuda.synchronize if trainer.runtime.device.type == "cuda" else (lambda: None)
        sync()
        start = time.perf_counter()
        for _ in range(steps):
            trainer.train_step()
        sync()
        elapsed = time.perf_counter() - start
    return {
        "preset": preset,
        "device": str(trainer.runtime.device),
        "precision": trainer.runtime.precision,
        "threads": torch.get_num_threads(),
        "batch_size": config.batch_size,
        "resolution": config.resolution,
        "steps_per_s": round(steps / elapsed, 3),
        "img_per_s": round(steps * config.batch_size / elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", nargs="+", default=["demo"])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--set", nargs="*", default=[], help="KEY=VALUE overrides (TOML values)")
    args = parser.parse_args()
    from ganzoo.cli.train import parse_assignment

    overrides = dict(parse_assignment(item) for item in args.set)
    for preset in args.presets:
        print(json.dumps(measure(preset, args.device, args.steps, args.warmup, overrides)))


if __name__ == "__main__":
    main()
