"""Every bad command line of :mod:`tests.reliability.cases` gives its one-line error and exit status;
every config field with numbers declares a range, and values outside it are refused naming it."""

from __future__ import annotations

import json
import os

import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from ganzoo import plugins
from ganzoo.cli import cli
from ganzoo.config import ConfigError, TrainConfig, check_config
from ganzoo.presets import load_book
from tests.conftest import make_tiny_host
from tests.reliability.cases import CASES, FLAGS, Case, field_cases, ranged_fields
from tests.reliability.workspace import train_runs


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def assert_one_line_error(result, case: Case) -> None:
    output = result.output.strip()
    assert result.exit_code == case.exit_code, (case.args, output)
    assert result.exception is None or isinstance(result.exception, SystemExit), (case.args, repr(result.exception))
    assert case.message in output, (case.args, output)
    if case.exit_code == 1:
        assert len(output.splitlines()) == 1, output


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """The files and runs the cases name (see the docstring of :mod:`tests.reliability.cases`)."""
    root = tmp_path_factory.mktemp("workspace")
    previous = os.getcwd()
    os.chdir(root)
    plugins.reset(make_tiny_host())
    try:
        train_runs()
        (root / "started").mkdir()
        (root / "started" / "config.json").write_text((root / "run" / "config.json").read_text())
        (root / "notes.txt").write_text("hello, world\n")
        (root / "notes.safetensors").write_text("hello, world\n")
        (root / "blob.bin").write_bytes(bytes(range(256)) * 4)
        (root / "afile").write_text("a regular file\n")
        torch.save({"where": root}, root / "pickled.pt")  # a Path object: weights_only refuses it
        Image.new("RGB", (24, 24), "white").save(root / "image.png")
        yield root
    finally:
        plugins.reset(None)
        os.chdir(previous)


@pytest.mark.parametrize("case", CASES, ids=[" ".join(c.args) for c in CASES])
def test_bad_command_line_gives_one_line(workspace, case):
    assert_one_line_error(invoke(*case.args), case)


FIELD_CASES = field_cases()


@pytest.mark.parametrize("case", FIELD_CASES, ids=[" ".join(c.args[3:]) for c in FIELD_CASES])
def test_out_of_range_settings_are_refused_naming_key_value_and_range(workspace, case):
    assert_one_line_error(invoke(*case.args), case)


def test_every_numeric_field_declares_its_range():
    missing = [key for key, spec in ranged_fields() if "range" not in spec.metadata]
    assert not missing, f"declare a range (presets.ranged) for {missing}"
    assert set(FLAGS.values()) <= {key for key, _ in ranged_fields()}


@pytest.mark.parametrize(("key", "spec"), ranged_fields(), ids=[key for key, _ in ranged_fields()])
def test_range_boundaries_and_defaults_are_accepted(tiny_host, key, spec):
    """The default and the closed ends of each range pass the validation pass."""
    bounds = spec.metadata["range"]
    values = [v for v, is_open in ((bounds.low, bounds.low_open), (bounds.high, bounds.high_open)) if v is not None and not is_open]
    book = load_book()
    for value in values:
        if isinstance(spec.default, tuple):
            value = [value] * len(spec.default)
        elif isinstance(spec.default, float) or spec.default is None:
            value = float(value)
        check_config(book.resolve("tiny", {key: value}))


def test_every_layer_is_validated(tiny_host, tmp_path):
    """A bad value is refused whichever layer set it: ./zoo.toml, --zoo or --set (flags are click's)."""
    (tmp_path / "zoo.toml").write_text("[tiny]\nema = 2.0\n")
    with pytest.raises(ConfigError, match=r"ema = 2.0 is out of range: valid \[0, 1\)"):
        check_config(load_book(cwd=tmp_path).resolve("tiny"))
    (tmp_path / "extra.toml").write_text("[tiny.optim.D]\nlr = 0.0\n")
    with pytest.raises(ConfigError, match=r"optim.D.lr = 0.0 is out of range: valid \(0, inf\)"):
        check_config(load_book([tmp_path / "extra.toml"]).resolve("tiny"))
    with pytest.raises(ConfigError, match=r"schedule.gamma = -1.0"):
        check_config(load_book().resolve("tiny", {"schedule.gamma": -1.0}))


def test_saved_configs_are_validated_too(tiny_host):
    from ganzoo.runs.checkpoint import resolved_meta

    config = TrainConfig("x").to_dict() | {"batch_size": 0}
    with pytest.raises(ConfigError, match="batch_size = 0"):
        resolved_meta({"config": config, "source": json.loads('{"kind": "none", "dim": 0}')})
