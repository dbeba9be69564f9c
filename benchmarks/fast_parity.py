"""Step-for-step parity of the fast (graph-replayed) step with the eager step, on any device.

Two trainers from the same seed, one eager and one fast, train the same steps; the script prints,
per preset, whether the fast one replayed a graph, the largest weight difference relative to the
largest weight, and both runs' mean statistics. Both paths draw the same random numbers in the same
order (a replayed graph advances the generators exactly as the eager kernels do), so in fp32 the
difference should stay at the level of cuDNN's non-deterministic kernels; on the CPU it is 0.

    python benchmarks/fast_parity.py --device cuda --presets dcgan pix2pix ugatit --steps 30 --precision fp32
    python benchmarks/fast_parity.py --device cpu --presets demo --steps 3
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from ganzoo.cli.flags import parse_assignment
from ganzoo.presets import load_book
from ganzoo.train.loop import Trainer


def train(preset: str, fast: str, steps: int, overrides: dict, folder: Path) -> Trainer:
    config = load_book().resolve(preset, {**overrides, "fast": fast, "steps": steps, "epochs": None})
    trainer = Trainer(config, folder / fast)
    trainer.train_mode()  # as `run` does
    for _ in range(steps):
        trainer.train_step()
    return trainer


def compare(preset: str, steps: int, overrides: dict) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        eager = train(preset, "off", steps, overrides, Path(folder))
        fast = train(preset, "on", steps, overrides, Path(folder))
    worst, scale = 0.0, 0.0
    for role, net in eager.nets.items():
        for (name, a), b in zip(net.state_dict().items(), fast.nets[role].state_dict().values()):
            if a.is_floating_point():
                worst = max(worst, (a - b).abs().max().item())
                scale = max(scale, a.abs().max().item())
    return {
        "preset": preset, "device": str(eager.runtime.device), "precision": eager.runtime.precision, "steps": steps,
        "graphed": fast.fast.graph is not None, "replays": fast.fast.replays, "note": fast.fast.note,
        "max_weight_diff_relative": worst / max(scale, 1e-12),
        "eager_stats": eager.stats.read(), "fast_stats": fast.stats.read(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", nargs="+", default=["demo"])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precision", default="fp32")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--set", nargs="*", action="extend", default=[], help="KEY=VALUE overrides (TOML values) for every preset")
    args = parser.parse_args()
    overrides = {"device": args.device, "precision": args.precision, **dict(parse_assignment(item) for item in args.set)}
    for preset in args.presets:
        print(json.dumps(compare(preset, args.steps, overrides)))


if __name__ == "__main__":
    main()
