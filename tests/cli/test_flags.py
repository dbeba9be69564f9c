"""The option table (ganzoo/cli/flags.py): one declaration per flag, read by --help, the docs and
the validation alike, and a path from flag to factory that reads the preset, consults the registry
and checks the config once."""

from __future__ import annotations

import collections
import dataclasses
import json

import pytest
from click.testing import CliRunner

from ganzoo import config as config_module
from ganzoo import resolve as resolve_module
from ganzoo.cli import cli
from ganzoo.cli.flags import TRAIN_FLAGS, Setting, sentence
from ganzoo.cli.train import train_command
from ganzoo.config import TrainConfig
from ganzoo.presets import PresetBook
from ganzoo.registry import Registry


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_disc_flag_consults_the_registry_once_and_checks_the_config_once(monkeypatch, in_tmp):
    """The issue's own example: `ganzoo train stackgan --disc patchgan-sn --dry-run` (real plugins)."""
    lookups: collections.Counter = collections.Counter()
    checks, flattened = [], []
    get, check, flatten = Registry.get, config_module.check_config, PresetBook.flatten

    def counting_get(self, kind, name):
        lookups[kind, name] += 1
        return get(self, kind, name)

    def counting_check(config, where=""):
        if not where:  # the whole config, not its nested parts
            checks.append(config)
        return check(config, where)

    def counting_flatten(self, name, seen=()):
        if not seen:
            flattened.append(name)
        return flatten(self, name, seen)

    monkeypatch.setattr(Registry, "get", counting_get)
    monkeypatch.setattr(resolve_module, "check_config", counting_check)
    monkeypatch.setattr(PresetBook, "flatten", counting_flatten)
    result = invoke("train", "stackgan", "--disc", "patchgan-sn", "--dry-run", "--out", "run")
    assert result.exit_code == 0, result.output
    assert lookups["discriminator", "patchgan-sn"] == 1
    assert len(checks) == 1 and checks[0].nets["discriminator"].name == "patchgan-sn"
    assert flattened == ["stackgan"]


def test_each_setting_flag_takes_type_range_and_help_from_its_config_key():
    params = {param.name: param for param in train_command.params}
    for flag in TRAIN_FLAGS:
        if not isinstance(flag, Setting):
            continue
        field = TrainConfig.__dataclass_fields__[flag.dest]
        assert params[flag.dest].help == sentence(field.metadata["doc"]), flag.name
        bounds = field.metadata.get("range")
        if bounds is not None and bounds.low is not None:
            assert params[flag.dest].type.min == bounds.low, flag.name


def test_every_config_field_declares_its_meaning():
    for cls in (TrainConfig, config_module.OptimConfig, config_module.ScheduleConfig, config_module.AugmentConfig):
        missing = [spec.name for spec in dataclasses.fields(cls) if not spec.metadata.get("doc")]
        assert not missing, f"{cls.__name__}: declare doc= for {missing}"


def test_resume_names_the_flags_it_accepts(tiny_host, in_tmp):
    assert invoke("train", "tiny", "--quiet", "--out", "run", "--steps", "1").exit_code == 0
    result = invoke("train", "--resume", "run", "--batch-size", "4")
    assert result.exit_code == 1
    assert "--batch-size cannot change a resumed run (only --device, --fast, --steps, --epochs, --tensorboard)" in result.output


@pytest.mark.parametrize(("flags", "key", "expected"), [
    (["--no-fast"], "fast", "off"),
    (["--fast"], "fast", "on"),
    (["--steps", "7", "--set", "steps=9"], "steps", 9),  # --set is applied last
    (["--loss", "nonsaturating"], "loss", {"name": "nonsaturating"}),
    (["--steps", "7"], "epochs", None),
])
def test_flags_set_their_config_keys(tiny_host, in_tmp, flags, key, expected):
    result = invoke("train", "tiny", "--dry-run", *flags)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output[result.output.index("{"):result.output.rindex("}") + 1])
    assert printed[key] == expected
