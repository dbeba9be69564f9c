"""Resolve once: every entry point checks a config in ganzoo.resolve and hands the result on."""

from __future__ import annotations

import dataclasses

import pytest
from click.testing import CliRunner

import ganzoo.resolve
from ganzoo import plugins
from ganzoo.cli import cli
from ganzoo.export import export_run
from ganzoo.loading import load, load_export
from ganzoo.mix import MixError
from ganzoo.presets import load_book
from ganzoo.resolve import ResolvedRun, checked, resolve_run
from ganzoo.train.loop import Trainer


@pytest.fixture
def mix_checks(monkeypatch):
    """How many times the mix was checked since the test began."""
    calls = []
    original = ganzoo.resolve.check_mix
    monkeypatch.setattr(ganzoo.resolve, "check_mix", lambda config, *args: calls.append(config.preset) or original(config, *args))
    return calls


def test_resolve_run_gives_the_config_its_checked_mix_and_registry(tiny_host):
    run = resolve_run(load_book(), "tiny", tiny_host.registry, {"steps": 3})
    assert isinstance(run, ResolvedRun) and run.registry is tiny_host.registry
    assert run.config.steps == 3 and run.mix.nets["generator"].name == "tiny-gen"
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.config = run.config  # type: ignore[misc]
    with pytest.raises(MixError, match="tiny-translator"):
        resolve_run(load_book(), "tiny", tiny_host.registry, {"nets.generator.name": "tiny-translator"})


def test_each_entry_point_checks_once(tiny_host, in_tmp, mix_checks):
    result = CliRunner().invoke(cli, ["train", "tiny", "--steps", "2", "--out", "run", "--quiet"])
    assert result.exit_code == 0, result.output
    assert len(mix_checks) == 1  # the CLI resolved; the Trainer and its builders took the result

    result = CliRunner().invoke(cli, ["train", "--resume", "run", "--steps", "3", "--quiet"])
    assert result.exit_code == 0, result.output
    assert len(mix_checks) == 2

    load(in_tmp / "run")
    assert len(mix_checks) == 3
    export_run(in_tmp / "run", in_tmp / "tiny.safetensors")
    assert len(mix_checks) == 4
    load_export(in_tmp / "tiny.safetensors")
    assert len(mix_checks) == 5


def test_the_trainer_takes_a_resolved_run_or_a_bare_config(tiny_host, in_tmp, mix_checks):
    config = load_book().resolve("tiny", {"steps": 1})
    resolved = checked(config, plugins.registry())
    assert Trainer(resolved, in_tmp / "a").resolved is resolved
    assert len(mix_checks) == 1
    assert Trainer(config, in_tmp / "b").resolved.mix.task.name == "unconditional"
    assert len(mix_checks) == 2
