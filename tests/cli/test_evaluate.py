"""`ganzoo evaluate` on generative models (unconditional, class- and text-conditional) with the tiny
extractor: table, JSON, saved results with their protocol, the results log and --compare."""

from __future__ import annotations

import json

import pytest
import torch
from click.testing import CliRunner

from ganzoo.cli import cli

TINY = ["--extractor", "tiny", "--text-extractor", "tiny", "--device", "cpu"]


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def train(out, preset="tiny", *extra):
    result = invoke("train", preset, "--device", "cpu", "--quiet", "--out", out, "--steps", "2", *extra)
    assert result.exit_code == 0, result.output
    return out


def test_generative_model_json_is_saved_with_its_protocol(tiny_host, in_tmp):
    run = train(in_tmp / "run")
    result = invoke("evaluate", run, "-n", 24, "--json", *TINY)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert list(record["scores"]) == ["fid", "kid", "is"] and record["count"] == 24
    assert record["higher_is_better"] == {"fid": False, "kid": False, "is": True}
    protocol = record["protocol"]
    assert protocol["extractors"]["image"] == {"name": "tiny", "sha256": "tiny-random-seed-0", "resize": "area to 4x4",
                                               "note": "not comparable with published FIDs"}
    assert protocol["reference"]["count"] == 64 and protocol["reference"]["dataset"] == "shapes" and not protocol["reference"]["cached"]
    assert json.loads((run / "evaluation.json").read_text()) == record and (run / "evaluation.png").is_file()
    again = json.loads(invoke("evaluate", run, "-n", 24, "--json", *TINY).stdout)
    assert again["scores"] == record["scores"]  # same seed, same samples, same numbers
    assert again["protocol"]["reference"]["cached"]
    log = (run / "evaluations.jsonl").read_text().splitlines()
    assert len(log) == 2 and json.loads(log[0])["scores"] == record["scores"]


def test_class_conditional_model_gets_per_class_scores_in_the_table(tiny_host, in_tmp):
    run = train(in_tmp / "run", "tiny-class")
    result = invoke("evaluate", run, "-n", 30, "--metrics", "fid,is", *TINY)
    assert result.exit_code == 0, result.output
    assert "per class" in result.output and "tiny (sha256 tiny-random-" in result.output
    record = json.loads((run / "evaluation.json").read_text())
    classes = record["per_class"]["fid"]
    assert len(classes) == record["protocol"]["classes"] >= 2 and "is" not in record["per_class"]
    assert all(value >= 0 for value in classes.values())


def test_text_conditional_model_gets_clip_score_and_r_precision(tiny_host, in_tmp):
    run = train(in_tmp / "run", "tiny", "--set", "task=text-conditional", "--set", "dataset.condition=text", "--cond", "learned",
                "--set", "conditioner.dim=8", "--set", "conditioner.width=8")
    result = invoke("evaluate", run, "-n", 16, "--json", *TINY)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert list(record["scores"]) == ["clip-score", "r-precision", "fid"]
    assert 0 <= record["scores"]["r-precision"] <= 100 and 0 <= record["scores"]["clip-score"] <= 100
    assert record["protocol"]["r_precision_candidates"] == min(100, record["protocol"]["caption_pool"])


def test_compare_shows_saved_results_side_by_side(tiny_host, in_tmp):
    first, second = train("a"), train("b", "tiny", "--seed", "1")
    for run in (first, second):
        assert invoke("evaluate", run, "-n", 16, "--metrics", "fid,kid", *TINY).exit_code == 0
    result = invoke("evaluate", "--compare", first, second)
    assert result.exit_code == 0, result.output
    header, *rows = [line for line in result.output.splitlines() if "│" in line or "┃" in line]
    assert [cell.strip() for cell in header.split("┃")[2:4]] == ["a", "b"]
    assert [row.split("│")[1].strip() for row in rows][:2] == ["fid (lower is better)", "kid (lower is better)"]
    assert "not comparable" not in result.output
    both = json.loads(invoke("evaluate", "--compare", first, second, "--json").stdout)
    assert set(both) == {"a", "b"} and both["a"]["scores"] != both["b"]["scores"]


def test_compare_without_a_saved_result_says_what_to_run(tiny_host, in_tmp):
    run = train(in_tmp / "run")
    result = invoke("evaluate", "--compare", run)
    assert result.exit_code == 1 and f"run `ganzoo evaluate {run}` first" in result.output


def test_missing_extractor_weights_is_one_line(tiny_host, in_tmp, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(in_tmp / "hub"))
    run = train(in_tmp / "run")
    result = invoke("evaluate", run, "--device", "cpu")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "`ganzoo weights get inception-fid --from FILE`" in result.output and len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("args, message", [
    (["--metrics", "l1"], "l1 compares outputs with targets pixel by pixel"),
    (["--metrics", "fid,nope"], "unknown metric 'nope'"),
    (["--metrics", "is", "--extractor", "inception-torchscript"], "needs --extractor-weights PATH"),
])
def test_bad_requests_are_refused(tiny_host, in_tmp, args, message):
    run = train(in_tmp / "run")
    result = invoke("evaluate", run, "-n", 8, *args, "--device", "cpu")
    assert result.exit_code != 0 and message in result.output, result.output
