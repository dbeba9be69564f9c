"""The docs stay true: the CLI reference matches the commands, the plugin guide's worked example
is what `ganzoo new-plugin` writes, and relative links point at existing files."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

from ganzoo.scaffold import PluginNames, render

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def test_cli_reference_is_current():
    generated = runpy.run_path(str(DOCS / "gen_cli.py"))["render"]()
    assert (DOCS / "cli.md").read_text(encoding="utf-8") == generated, "docs/cli.md is out of date: run python docs/gen_cli.py"


def test_preset_keys_table_is_current():
    generated = runpy.run_path(str(DOCS / "gen_presets.py"))["render"]()
    assert (DOCS / "presets.md").read_text(encoding="utf-8") == generated, "docs/presets.md is out of date: run python docs/gen_presets.py"


@pytest.mark.parametrize("relative", ["pyproject.toml", "ganzoo_my_gan/nets.py", "ganzoo_my_gan/plugin.py", "ganzoo_my_gan/presets.toml"])
def test_plugin_guide_shows_the_scaffold_verbatim(relative):
    guide = (DOCS / "writing-a-plugin.md").read_text(encoding="utf-8")
    assert render(PluginNames.parse("my-gan"))[relative] in guide, f"docs/writing-a-plugin.md no longer shows the scaffold's {relative}"


@pytest.mark.parametrize("page", sorted(p.relative_to(ROOT).as_posix() for p in [ROOT / "README.md", *DOCS.rglob("*.md")]))
def test_relative_links_resolve(page):
    path = ROOT / page
    links = re.findall(r"\]\(([^)\s]+)\)", path.read_text(encoding="utf-8"))
    broken = [link for link in links
              if not re.match(r"[a-z]+:", link) and not link.startswith("#")
              and not (path.parent / link.split("#")[0]).exists()]
    assert not broken, f"{page}: broken links {broken}"
