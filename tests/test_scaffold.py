"""`ganzoo new-plugin`: the scaffolded package works, and installs and uninstalls as a real plugin."""

from __future__ import annotations

import importlib
import importlib.metadata as metadata
import importlib.util
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from ganzoo import plugins
from ganzoo.cli import cli
from ganzoo.errors import GanzooError
from ganzoo.mix import check_mix
from ganzoo.presets import PresetBook, load_book
from ganzoo.scaffold import PluginNames, render, scaffold_plugin
from ganzoo.testing import check_generator, declared_cases
from ganzoo.version import CORE_DISTRIBUTION, DISTRIBUTIONS


def test_names_follow_from_the_plugin_name():
    names = PluginNames.parse("my-gan")
    assert (names.distribution, names.package, names.identifier, names.class_prefix) == ("ganzoo-my-gan", "ganzoo_my_gan", "my_gan", "MyGan")
    assert PluginNames.parse("ganzoo-my-gan") == names


@pytest.mark.parametrize("name", ["My-Gan", "my_gan", "1gan", "my--gan", "my-gan-", "", "my gan"])
def test_bad_names_are_refused(name):
    with pytest.raises(GanzooError, match=f"plugin name {name!r}: use lower-case letters"):
        PluginNames.parse(name)


def test_refuses_to_overwrite_or_to_clash(tiny_host, tmp_path):
    (tmp_path / "ganzoo-taken" / "x").mkdir(parents=True)
    with pytest.raises(GanzooError, match="already exists and is not empty"):
        scaffold_plugin("taken", tmp_path)
    with pytest.raises(GanzooError, match="a generator of that name is already provided by tiny-plugin 1.0"):
        scaffold_plugin("tiny-gen", tmp_path, tiny_host.registry)
    for own in ("core", "dcgan"):  # the project's own names, installed or not
        with pytest.raises(GanzooError, match=f"ganzoo-{own} is one of ganzoo's own distributions"):
            scaffold_plugin(own, tmp_path)
    installed = next((d.metadata["Name"] for d in metadata.distributions()
                      if (d.metadata["Name"] or "").startswith("ganzoo-") and d.metadata["Name"] not in DISTRIBUTIONS.values()), None)
    if installed:
        with pytest.raises(GanzooError, match=f"{installed} .* is already installed"):
            scaffold_plugin(installed, tmp_path)


def test_every_scaffolded_python_file_compiles():
    for relative, text in render(PluginNames.parse("my-gan")).items():
        if relative.endswith(".py"):
            compile(text, relative, "exec")


@pytest.fixture
def scaffolded(tmp_path, monkeypatch):
    """A scaffolded package importable in this process (as an installed one would be)."""
    target = scaffold_plugin("probe-gan", tmp_path)
    monkeypatch.syspath_prepend(str(target))
    yield target
    for module in [m for m in sys.modules if m.startswith("ganzoo_probe_gan")]:
        del sys.modules[module]


def test_scaffolded_generator_passes_the_conformance_checks_and_mixes(tiny_host, scaffolded):
    plugin = importlib.import_module("ganzoo_probe_gan.plugin")
    assert tiny_host.register(plugin, "probe-gan", "ganzoo-probe-gan", "0.1.0"), tiny_host.broken
    generator = tiny_host.registry.get("generator", "probe-gan")
    cases = declared_cases(generator)
    assert {(r, cond.kind) for r, _, cond in cases} == {(r, k) for r in (16, 32, 64) for k in ("none", "class")}
    for resolution, channels, condition in cases:
        check_generator(generator, resolution, channels, condition, width=8, latent_dim=8)
    book = PresetBook()
    book.add_layer(plugin.ganzoo_presets(), "plugin probe-gan")
    config = book.resolve("probe-gan-shapes", {"nets.discriminator.name": "tiny-disc", "loss": "tiny-bce"})
    assert check_mix(config, tiny_host.registry).nets["generator"].name == "probe-gan"


@pytest.mark.skipif(importlib.util.find_spec("ganzoo_dcgan") is None, reason="its preset uses the dcgan discriminator")
def test_the_package_declares_every_distribution_its_presets_use(tiny_host, scaffolded):
    """The presets ship as package data, and the pyproject depends on (and each preset lists in
    ``plugins``) every distribution other than ganzoo and the plugin itself that they use."""
    pyproject = tomllib.loads((scaffolded / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["tool"]["setuptools"]["package-data"] == {"ganzoo_probe_gan": ["presets.toml"]}
    dependencies = {re.split(r"[<>=!~ ]", dep)[0] for dep in pyproject["project"]["dependencies"]}
    host = plugins.PluginHost(autoload=True)
    assert host.register(importlib.import_module("ganzoo_probe_gan.plugin"), "probe-gan", "ganzoo-probe-gan", "0.1.0"), host.broken
    plugins.reset(host)
    book = load_book(cwd=scaffolded)
    for name in [n for n, dist in book.providers.items() if dist == "ganzoo-probe-gan"]:
        mix = check_mix(book.resolve(name), host.registry)
        used = {r.component.provider.distribution for r in [mix.task, mix.dataset, mix.loss, *mix.nets.values()]}
        assert used - {CORE_DISTRIBUTION, "ganzoo-probe-gan"} == set(book.needs(name)) - {"ganzoo-probe-gan"} == dependencies - {CORE_DISTRIBUTION}


def test_cli_new_plugin(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["new-plugin", "cli-gan", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    target = tmp_path / "ganzoo-cli-gan"
    assert f"created {target}" in result.output and "pip install -e" in result.output
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()) == [
        "README.md", "ganzoo_cli_gan/__init__.py", "ganzoo_cli_gan/nets.py", "ganzoo_cli_gan/plugin.py",
        "ganzoo_cli_gan/presets.toml", "pyproject.toml", "tests/test_cli_gan.py"]
    assert 'cli-gan = "ganzoo_cli_gan.plugin"' in (target / "pyproject.toml").read_text()
    result = runner.invoke(cli, ["new-plugin", "Bad_Name", "--dir", str(tmp_path)])
    assert result.exit_code == 1 and result.output.startswith("Error: plugin name 'Bad_Name'")


# ----------------------------------------------------------------------------------------------
# The real thing: pip install, ganzoo list, train, export, load, pip uninstall
# ----------------------------------------------------------------------------------------------

def ganzoo_cli(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != plugins.AUTOLOAD_ENV} | {"OMP_NUM_THREADS": "1", "COLUMNS": "200"}
    result = subprocess.run([sys.executable, "-m", "ganzoo", *args], cwd=cwd, env=env, capture_output=True, text=True)
    if check:
        assert result.returncode == 0, f"ganzoo {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


def listed(cwd: Path) -> set[tuple[str, str, str]]:
    rows = json.loads(ganzoo_cli("list", "--json", cwd=cwd).stdout)["components"]
    return {(row["kind"], row["name"], row.get("distribution", "")) for row in rows}


def pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args], check=True)


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("ganzoo_dcgan") is None, reason="mixes with the dcgan discriminator")
def test_a_scaffolded_plugin_installs_trains_exports_and_uninstalls(tmp_path):
    name = f"probe-{os.getpid()}"  # unique, so concurrent runs do not step on each other
    names = PluginNames.parse(name)
    target = scaffold_plugin(name, tmp_path)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(target / "tests")],
                            cwd=target, env={**os.environ, "PYTHONPATH": str(target), "OMP_NUM_THREADS": "1"},
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:]

    pip("install", "--no-build-isolation", "--no-deps", "-e", str(target))
    try:
        with_plugin = listed(tmp_path)
        ours = {row for row in with_plugin if row[2] == names.distribution}
        assert ours == {("generator", name, names.distribution)}
        ganzoo_cli("train", f"{name}-shapes", "--device", "cpu", "--steps", "1", "--batch-size", "4",
                   "--set", "dataset.count=8", "--set", "sample_count=4", "--out", "run", "--quiet", cwd=tmp_path)
        ganzoo_cli("export", "run", "-o", "model.safetensors", cwd=tmp_path)
        ganzoo_cli("sample", "model.safetensors", "-n", "4", "-o", "grid.png", "--device", "cpu", cwd=tmp_path)
        assert (tmp_path / "grid.png").is_file()
    finally:
        pip("uninstall", "-y", names.distribution)
    assert listed(tmp_path) == with_plugin - ours
    missing = ganzoo_cli("sample", "model.safetensors", "--device", "cpu", cwd=tmp_path, check=False)
    assert missing.returncode == 1
    assert (f"needs generator '{name}' from '{names.distribution}' '0.1.0', which is not installed: the file names "
            f"'{names.distribution}', which ganzoo does not know") in missing.stderr  # no pip command for a name a file chose
