import json

from click.testing import CliRunner

from ganzoo import plugins
from ganzoo.cli import cli
from ganzoo.version import CORE_DISTRIBUTION


def run(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result


def test_list_json_shows_components_and_providers(tiny_host):
    result = run("list", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    rows = {(r["kind"], r["name"]): r for r in data["components"]}
    assert rows[("generator", "tiny-gen")]["distribution"] == "tiny-plugin"
    assert rows[("dataset", "shapes")]["distribution"] == CORE_DISTRIBUTION
    assert data["broken"] == []


def test_list_filters_by_kind_and_wildcard(tiny_host):
    data = json.loads(run("list", "generator", "tiny-*", "--json").output)
    assert [r["name"] for r in data["components"]] == ["tiny-gen", "tiny-translator"]
    data = json.loads(run("list", "shapes*", "--json").output)  # a pattern alone
    assert {r["name"] for r in data["components"]} == {"shapes", "shapes-paired", "shapes-unpaired"}


def test_list_table_groups_by_kind(tiny_host):
    output = run("list", "tiny-*").output
    generators, losses = output.index("generator (2)"), output.index("loss (1)")
    assert generators < output.index("tiny-translator") < losses < output.index("tiny-bce")
    assert "tiny-plugin" in output and "discriminator (" in output and "dataset (" not in output


def test_list_shows_broken_plugins(tiny_host):
    from ganzoo.plugins import BrokenPlugin

    tiny_host.broken.append(BrokenPlugin("oops", "ganzoo-oops", "0.1", "ImportError: no module named torchx"))
    result = run("list")
    assert result.exit_code == 0
    assert "broken" in result.output and "ganzoo-oops" in result.output and "torchx" in result.output
    assert json.loads(run("list", "--json").output)["broken"][0]["distribution"] == "ganzoo-oops"


def test_unknown_kind_with_pattern_is_refused(tiny_host):
    result = CliRunner().invoke(cli, ["list", "generatr", "x*"])
    assert result.exit_code == 2 and "Did you mean 'generator'" in result.output


def test_info_shows_parameters_ports_and_provider(tiny_host):
    result = run("info", "tiny-gen", "--json")
    (entry,) = json.loads(result.output)["components"]
    assert entry["parameters"]["latent_dim"] == 8 and entry["parameters"]["resolution"] == "(required)"
    assert entry["ports"]["conditions"] == ["none", "class", "embedding"]
    assert entry["distribution"] == "tiny-plugin"
    text = run("info", "tiny-gen").output
    assert "latent_dim" in text and "tiny-plugin" in text


def test_info_unknown_name_suggests(tiny_host, in_tmp):
    result = CliRunner().invoke(cli, ["info", "tiny-gne"])
    assert result.exit_code == 1 and "Did you mean 'tiny-gen'" in result.output


def test_presets_json(tiny_host, in_tmp):
    rows = json.loads(run("presets", "--json").output)
    names = {r["name"] for r in rows}
    assert {"demo", "tiny", "tiny-class"} <= names


def test_presets_show_their_provider_and_the_users_layers(tiny_host, in_tmp):
    (in_tmp / "zoo.toml").write_text('[tiny]\nsteps = 3\n[mine]\nextends = "tiny"\n')
    rows = {r["name"]: r for r in json.loads(run("presets", "--json").output)}
    assert (rows["tiny"]["distribution"], rows["tiny"]["provided_by"]) == ("tiny-plugin", "tiny-plugin 1.0")
    assert rows["tiny"]["sources"] == ["tiny-plugin 1.0", str(in_tmp / "zoo.toml")]
    assert (rows["mine"]["distribution"], rows["mine"]["needs"]) == (None, ["tiny-plugin"])
    assert (rows["demo"]["distribution"], rows["demo"]["provided_by"]) == (CORE_DISTRIBUTION, f"{CORE_DISTRIBUTION} 0.1.0 (zoo.toml)")
    table = run("presets").output
    assert "tiny-plugin 1.0 + " in table and f"{CORE_DISTRIBUTION} 0.1.0" in table


def test_with_only_the_core_list_and_presets_name_the_missing_plugins(in_tmp, monkeypatch):
    """As with only the core distribution installed (GANZOO_NO_AUTOLOAD=1: no plugin loads)."""
    monkeypatch.setenv(plugins.AUTOLOAD_ENV, "1")
    plugins.reset(None)
    try:
        rows = {r["name"]: r for r in json.loads(run("presets", "--json").output)}
        assert rows["stackgan-patchgan"]["missing"] == ["ganzoo-stackgan", "ganzoo-pix2pix"]
        assert rows["demo"]["missing"] == ["ganzoo-pix2pix"]
        assert "preset demo needs ganzoo-pix2pix: pip install ganzoo-pix2pix" in run("presets").output
        listed = run("list")
        assert listed.exit_code == 0 and "preset stackgan-patchgan needs ganzoo-stackgan, ganzoo-pix2pix" in listed.output
        assert json.loads(run("list", "--json").output)["missing_plugins"]["demo"] == ["ganzoo-pix2pix"]
        refused = CliRunner().invoke(cli, ["train", "demo", "--dry-run"])
        assert refused.exit_code == 1
        assert refused.output == "Error: preset 'demo' needs ganzoo-pix2pix, which is not installed: pip install ganzoo-pix2pix\n"
    finally:
        plugins.reset(None)


def test_version_and_help():
    assert "ganzoo, version" in run("--version").output
    for command in ("list", "info", "train", "sample", "presets"):
        assert "Usage" in run(command, "--help").output
