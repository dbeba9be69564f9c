"""--eval-every: the metric on a fixed sample set during training, logged to metrics.jsonl, kept in
``Trainer.last_eval``; missing extractor weights stop the run before its first step."""

from __future__ import annotations

import json

import torch
from click.testing import CliRunner

from ganzoo.cli import cli
from ganzoo.presets import load_book
from ganzoo.train.evaluation import PeriodicEvaluation
from ganzoo.train.loop import Trainer


def eval_lines(run) -> list[dict]:
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [line for line in lines if "eval" in line]


def test_eval_lines_are_written_every_k_steps_and_kept_on_the_trainer(tiny_host, in_tmp, monkeypatch):
    config = load_book().resolve("tiny", {"steps": 5, "eval_every": 2, "eval_count": 12, "eval_metrics": ["fid", "is"],
                                          "eval_extractor": {"name": "tiny"}, "device": "cpu"})
    trainer = Trainer(config, in_tmp / "run")
    calls, evaluate = [], PeriodicEvaluation.__call__
    monkeypatch.setattr(PeriodicEvaluation, "__call__", lambda self, nets, device, progress=None: calls.append(trainer.step) or evaluate(self, nets, device))
    trainer.run()
    assert calls == [2, 4, 5]  # every 2 steps and at the end; nothing on the steps between
    lines = eval_lines(in_tmp / "run")
    assert [line["step"] for line in lines] == [2, 4, 5] and set(lines[-1]["eval"]) == {"fid", "is"}
    assert trainer.last_eval == lines[-1]["eval"] and trainer.last_eval["fid"] > 0


def test_same_weights_give_the_same_score(tiny_host, in_tmp):
    config = load_book().resolve("tiny", {"steps": 2, "eval_every": 2, "eval_count": 12, "eval_extractor": {"name": "tiny"}, "device": "cpu"})
    trainer = Trainer(config, in_tmp / "run")
    trainer.run()
    state = torch.get_rng_state()
    assert trainer.evaluate() == trainer.last_eval == eval_lines(in_tmp / "run")[0]["eval"]
    assert torch.equal(torch.get_rng_state(), state)  # training's random state is untouched


def test_cli_flag_and_paired_default_metric(tiny_host, in_tmp):
    result = CliRunner().invoke(cli, ["train", "tiny-paired", "--device", "cpu", "--quiet", "--out", "run", "--steps", "2",
                                      "--eval-every", "1", "--set", "eval_count=4"])
    assert result.exit_code == 0, result.output
    assert [list(line["eval"]) for line in eval_lines(in_tmp / "run")] == [["l1"], ["l1"]]  # the task's default metric


def test_missing_weights_stop_the_run_before_it_starts(tiny_host, in_tmp, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(in_tmp / "hub"))
    result = CliRunner().invoke(cli, ["train", "tiny", "--device", "cpu", "--quiet", "--out", "run", "--eval-every", "2"])
    assert result.exit_code == 1 and "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert "eval_every: inception-fid: weights-inception-2015-12-05-6726825d.pth is not in" in result.output and "--set eval_extractor.weights=PATH" in result.output
    assert not (in_tmp / "run" / "checkpoint.pt").exists() and not (in_tmp / "run" / "metrics.jsonl").exists()
