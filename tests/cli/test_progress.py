"""Long work shows how far it is (counts, elapsed time, ETA) and stays quiet for scripts; defaults
that the chosen extractor cannot serve are left out with one line saying so (issue 22)."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from ganzoo.cli import cli

TINY = ["--extractor", "tiny", "--device", "cpu"]


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def train(out, preset="tiny", *extra):
    result = invoke("train", preset, "--device", "cpu", "--quiet", "--out", out, "--steps", "2", *extra)
    assert result.exit_code == 0, result.output
    return out


def bar(output: str, what: str) -> tuple[int, int] | None:
    """``(done, total)`` of the progress bar labelled ``what``, as printed (no terminal: its last state)."""
    found = re.search(rf"^{re.escape(what)}\s.*?(\d+)/(\d+)\s.*eta", output, flags=re.M)
    return (int(found[1]), int(found[2])) if found else None


def test_evaluate_shows_generating_extracting_and_reference_progress(tiny_host, in_tmp):
    run = train(in_tmp / "run")
    result = invoke("--no-color", "evaluate", run, "-n", 24, "--batch-size", 8, *TINY)
    assert result.exit_code == 0, result.output
    assert bar(result.output, "generate") == (24, 24) and bar(result.output, "tiny") == (24, 24)
    assert bar(result.output, "reference") == (64, 64)  # the 64 training images, once (then cached)
    assert "\x1b[" not in result.output


def test_evaluate_is_quiet_with_quiet_or_json(tiny_host, in_tmp):
    run = train(in_tmp / "run")
    quiet = invoke("evaluate", run, "-n", 8, "--quiet", *TINY)
    assert quiet.exit_code == 0, quiet.output
    assert bar(quiet.output, "generate") is None and "fid" in quiet.output
    as_json = invoke("evaluate", run, "-n", 8, "--json", *TINY)
    assert as_json.exit_code == 0 and json.loads(as_json.stdout)["count"] == 8  # nothing but the JSON


def test_translator_evaluation_counts_the_sources(tiny_host, in_tmp):
    run = train(in_tmp / "run", "tiny-paired")
    result = invoke("evaluate", run, "-n", 6, "--batch-size", 4, "--device", "cpu")
    assert result.exit_code == 0, result.output
    assert bar(result.output, "translate") == (6, 6)
    assert "metrics: l1, psnr, ssim" in result.output


def test_default_metrics_adapt_to_an_extractor_without_logits(tiny_host, in_tmp):
    run = train(in_tmp / "run")
    result = invoke("evaluate", run, "-n", 8, "--quiet", "--extractor", "tiny-features", "--device", "cpu")
    assert result.exit_code == 0, result.output
    assert "metrics: fid, kid (image extractor tiny-features); is left out: is needs class logits" in " ".join(result.output.split())
    assert list(json.loads((run / "evaluation.json").read_text())["scores"]) == ["fid", "kid"]
    named = invoke("evaluate", run, "-n", 8, "--metrics", "is", "--extractor", "tiny-features", "--device", "cpu")
    assert named.exit_code == 1 and "is needs class logits" in named.output  # asked for by name: refused as before


def test_bench_shows_each_mode_s_steps(tiny_host, in_tmp):
    result = invoke("bench", "tiny", "--device", "cpu", "--steps", "2", "--batch-size", "4", "--mode", "eager")
    assert result.exit_code == 0, result.output
    done, total = bar(result.output, "eager")
    assert done == total >= 2 + 4  # timed steps after the warm-up ones


def test_evaluation_during_training_shows_its_progress_under_the_training_bar(tiny_host, in_tmp):
    result = invoke("train", "tiny", "--device", "cpu", "--out", in_tmp / "run", "--steps", "2", "--eval-every", "2",
                    "--set", "eval_count=12", "--set", "eval_extractor.name=tiny")
    assert result.exit_code == 0, result.output
    assert bar(result.output, "eval generate") == (12, 12) and bar(result.output, "eval reference") == (12, 12)


def test_eval_reference_count_sets_the_reference_size(tiny_host, in_tmp):
    train(in_tmp / "run", "tiny", "--eval-every", "2", "--set", "eval_count=12", "--set", "eval_extractor.name=tiny",
          "--eval-reference-count", "20")
    # the reference statistics are cached under a name that records how many images they hold
    result = invoke("evaluate", in_tmp / "run", "-n", 8, "--json", "--reference-count", 20, *TINY)
    assert json.loads(result.stdout)["protocol"]["reference"]["cached"]
