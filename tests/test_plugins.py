"""Discovery through real entry points of throwaway distributions written to a temp folder."""

import sys
import textwrap

import pytest

from ganzoo import plugins


def make_distribution(root, dist, version, entry_name, module, source):
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[ganzoo.plugins]\n{entry_name} = {module}\n")


GOOD = """
from ganzoo import component, hookimpl, Ports

@component("loss", "{name}")
def factory():
    return None

@hookimpl
def ganzoo_components():
    return [factory]
"""


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("zz_")]:
        del sys.modules[name]


def test_broken_plugin_is_reported_and_others_load(site):
    make_distribution(site, "zz-broken", "0.3", "zzbroken", "zz_broken", "import does_not_exist_anywhere\n")
    make_distribution(site, "zz-good", "1.2", "zzgood", "zz_good", GOOD.format(name="zz-loss"))
    host = plugins.PluginHost(autoload=True)
    broken = [b for b in host.broken if b.plugin == "zzbroken"]
    assert len(broken) == 1
    assert broken[0].distribution == "zz-broken" and broken[0].version == "0.3"
    assert "ModuleNotFoundError" in broken[0].cause and "does_not_exist_anywhere" in broken[0].cause
    item = host.registry.get("loss", "zz-loss")
    assert item.provider.distribution == "zz-good" and item.provider.version == "1.2"


def test_duplicate_names_across_plugins_name_both_distributions(site):
    make_distribution(site, "zz-first", "1.0", "zzfirst", "zz_first", GOOD.format(name="zz-same"))
    make_distribution(site, "zz-second", "2.0", "zzsecond", "zz_second", GOOD.format(name="zz-same"))
    host = plugins.PluginHost(autoload=True)
    assert host.registry.get("loss", "zz-same").provider.distribution == "zz-first"
    (broken,) = [b for b in host.broken if b.plugin == "zzsecond"]
    assert "zz-first 1.0" in broken.cause and "zz-second 2.0" in broken.cause


def test_autoload_can_be_turned_off(site, monkeypatch):
    make_distribution(site, "zz-good", "1.2", "zzgood", "zz_good", GOOD.format(name="zz-loss"))
    monkeypatch.setenv(plugins.AUTOLOAD_ENV, "1")
    host = plugins.PluginHost()
    assert "zzgood" not in host.providers
    assert host.registry.get("task", "unconditional")  # built-ins still register through the hooks


def test_hook_that_raises_marks_plugin_broken_and_registers_nothing(tiny_host):
    class Exploding:
        @staticmethod
        @plugins.hookspecs.hookimpl
        def ganzoo_components():
            raise RuntimeError("boom")

    assert not tiny_host.register(Exploding(), "exploding", "zz-explode", "0.1")
    assert "RuntimeError: boom" in tiny_host.broken[-1].cause


def test_unregister_removes_only_that_plugins_components(tiny_host):
    assert tiny_host.registry.get("generator", "tiny-gen")
    tiny_host.unregister("tiny")
    assert "tiny-gen" not in tiny_host.registry.names("generator")
    assert "shapes" in tiny_host.registry.names("dataset")


def test_builtin_families_are_installed():
    host = plugins.PluginHost(autoload=True)
    distributions = {p.distribution for p in host.providers.values()}
    expected = {f"ganzoo-{name}" for name in ("gan", "dcgan", "lsgan-sn", "stackgan", "pix2pix", "ugatit")}
    assert expected <= distributions, host.broken
