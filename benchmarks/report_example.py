"""The example run report of docs/training.md: two short CPU runs of the `demo` preset (pix2pix
on built-in shapes) with snapshots, a best model and labelled grids, then `ganzoo report`.

    python benchmarks/report_example.py --out /tmp/report-example --steps 600

Evaluation during training (`--eval-every`) is issue 14's and not on this branch yet: until it
is, ``FixedPairsL1`` stands in for it through the contract the loop reads (``last_eval``): every
``--eval-every`` steps it scores the L1 of the fixed sample pairs (output vs target, [0, 1]
scale) and logs it as ``{"step", "eval"}`` in metrics.jsonl.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from ganzoo import plugins
from ganzoo.cli.runlog import RunLog
from ganzoo.presets import load_book
from ganzoo.report import write_report
from ganzoo.train.checkpoint import METRICS
from ganzoo.train.loop import Trainer
from ganzoo.train.runtime import evaluating


class FixedPairsL1(Trainer):
    """The loop with a stand-in evaluation: L1 of the fixed pairs every ``eval_every`` steps."""

    def __init__(self, *args, eval_every: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.eval_every = eval_every

    def train_step(self) -> None:
        super().train_step()
        if self.step % self.eval_every:
            return
        metric = plugins.registry().get("metric", "l1")()
        nets = self.render_nets()
        with torch.no_grad(), evaluating(nets.values()):
            images = self.task.render(nets, self.fixed)
        metric.update(images["output"], images["target"])
        self.last_eval = {"l1": metric.compute()}
        self._train_mode()
        with open(self.run_dir / METRICS, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"step": self.step, "eval": self.last_eval}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--eval-every", type=int, default=100)
    args = parser.parse_args()
    every = {"sample_every": 100, "sample_count": 16, "log_every": 20, "checkpoint_every": args.steps, "snapshot_every": 100,
             "keep_snapshots": 2}
    variants = {"demo": {}, "demo-l1-weight-10": {"task.l1_weight": 10.0}}
    for name, overrides in variants.items():
        config = load_book().resolve("demo", {"device": "cpu", "steps": args.steps, **every, **overrides})
        run_dir = args.out / name
        trainer = FixedPairsL1(config, run_dir, eval_every=args.eval_every)
        log = RunLog(run_dir)
        log.print(f"training {name} for {trainer.steps} steps on {trainer.runtime.device} -> {run_dir}")
        trainer.run(log)
        log.close()
        print(name, json.loads((run_dir / "best.json").read_text()))
    write_report([args.out / name for name in variants], args.out / "report.html", title="ganzoo report: demo, two L1 weights")
    print(args.out / "report.html")


if __name__ == "__main__":
    main()
