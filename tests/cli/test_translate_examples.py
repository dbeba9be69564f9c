"""``ganzoo translate RUN --examples N``: held-out inputs of the run's own data, written and translated."""

from __future__ import annotations

from click.testing import CliRunner

from ganzoo.cli import cli


def train(preset: str, out: str) -> None:
    result = CliRunner().invoke(cli, ["train", preset, "--steps", "1", "--out", out, "--quiet"])
    assert result.exit_code == 0, result.output


def test_examples_are_written_then_translated(tiny_host, in_tmp):
    train("tiny-paired", "run")
    result = CliRunner().invoke(cli, ["translate", "run", "--examples", "3", "-o", "out"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (in_tmp / "out" / "inputs").iterdir()) == ["example-000.png", "example-001.png", "example-002.png"]
    assert sorted(p.name for p in (in_tmp / "out").glob("*.png")) == ["example-000.png", "example-001.png", "example-002.png"]
    again = CliRunner().invoke(cli, ["translate", "run", "out/inputs", "-o", "again"])
    assert again.exit_code == 0 and "translated 3 images" in again.output


def test_examples_need_a_translation_model_and_exclude_input(tiny_host, in_tmp):
    train("tiny", "noise")
    result = CliRunner().invoke(cli, ["translate", "noise", "--examples", "2"])
    assert result.exit_code != 0 and "samples from noise; use `ganzoo sample`" in result.output
    result = CliRunner().invoke(cli, ["translate", "noise"])
    assert result.exit_code != 0 and "or --examples N" in result.output
