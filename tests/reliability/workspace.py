"""The runs and the export every workspace of the reliability cases holds (the names the cases use,
see :mod:`tests.reliability.cases`), trained in the current folder with the tiny plugin."""

from __future__ import annotations

from click.testing import CliRunner

from ganzoo.cli import cli

#: folder -> (preset, extra flags): one step each.
RUNS = {
    "run": ("tiny", ()),
    "classrun": ("tiny-class", ()),
    "pairedrun": ("tiny-paired", ()),
    "textrun": ("tiny", ("--set", "task=text-conditional", "--cond", "learned")),
}


def train_runs() -> None:
    """Train :data:`RUNS` and export ``run`` to ``model.safetensors``."""
    for folder, (preset, extra) in RUNS.items():
        result = CliRunner().invoke(cli, ["train", preset, "--quiet", "--device", "cpu", "--steps", "1", "--out", folder, *extra])
        assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["export", "run", "-o", "model.safetensors"])
    assert result.exit_code == 0, result.output
