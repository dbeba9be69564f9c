"""The names the project is published under agree everywhere: each pyproject.toml, the presets'
``plugins = [...]`` lists, the scaffold's dependencies, and every ``pip install`` hint in the code
and the documents name a distribution of ``ganzoo.version.DISTRIBUTIONS`` (or the scaffold's own)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from ganzoo.presets import parse_toml
from ganzoo.runs.checkpoint import ComponentRecord, missing_components
from ganzoo.scaffold import PluginNames, render
from ganzoo.version import CORE_DISTRIBUTION, DISTRIBUTIONS, FORMER_CORE_DISTRIBUTIONS, PLUGIN_PREFIX
from tests.conftest import make_tiny_host

ROOT = Path(__file__).resolve().parents[1]
#: the example plugin of the documents (docs/writing-a-plugin.md, the scaffold's help).
EXAMPLE_PLUGIN = f"{PLUGIN_PREFIX}my-gan"
#: a requirement's name: what precedes its extras, version or marker.
REQUIREMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")
PIP_INSTALL = re.compile(r"pip install ([^`\n\"]*)")


def project(folder: Path) -> dict:
    return tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def requirement_name(requirement: str) -> str:
    return REQUIREMENT_NAME.match(requirement.strip("'\"")).group(0).lower()


def test_every_pyproject_is_named_from_the_one_table():
    plugin_folders = {p.name: p for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").is_file()}
    assert project(ROOT)["name"] == CORE_DISTRIBUTION
    assert set(DISTRIBUTIONS) == {"core", *plugin_folders}
    for family, folder in plugin_folders.items():
        meta = project(folder)
        assert meta["name"] == DISTRIBUTIONS[family]
        ours = {name for name in map(requirement_name, meta["dependencies"]) if name.startswith(PLUGIN_PREFIX)}
        assert CORE_DISTRIBUTION in ours and ours <= set(DISTRIBUTIONS.values()), (family, ours)


def test_presets_need_only_published_distributions():
    files = [ROOT / "zoo.toml", ROOT / "ganzoo" / "zoo.toml", *sorted((ROOT / "plugins").glob("*/ganzoo_*/presets.toml"))]
    for path in files:
        for name, preset in parse_toml(path.read_text(encoding="utf-8"), str(path)).items():
            assert set(preset.get("plugins", [])) <= set(DISTRIBUTIONS.values()), f"{path}: preset {name}"


def test_the_scaffolds_dependencies_are_this_projects_distributions():
    files = render(PluginNames.parse("my-gan"))
    pyproject = tomllib.loads(files["pyproject.toml"])["project"]
    assert pyproject["name"] == EXAMPLE_PLUGIN
    assert {requirement_name(r) for r in pyproject["dependencies"]} == {CORE_DISTRIBUTION, DISTRIBUTIONS["dcgan"]}
    presets = next(text for path, text in files.items() if path.endswith("presets.toml"))
    for preset in parse_toml(presets, "scaffold presets").values():
        assert set(preset.get("plugins", [])) <= set(DISTRIBUTIONS.values())


def pip_install_names(text: str) -> list[str]:
    """The distribution names after every ``pip install`` in ``text`` (options, paths and
    placeholders such as ``{CORE_DISTRIBUTION}`` or ``$distribution`` left out)."""
    names = []
    for arguments in PIP_INSTALL.findall(text):
        for word in arguments.split():
            word = word.strip("'`()")
            if word.startswith(("#", "&&", ";", "|")):
                break  # a comment or the next command follows
            if not word or word.startswith(("-", ".", "/", "{", "$")) or "/" in word or not REQUIREMENT_NAME.match(word):
                continue
            names.append(requirement_name(word))
    return names


def test_every_pip_install_hint_names_a_published_distribution():
    sources = [*ROOT.glob("*.md"), *(ROOT / "docs").glob("*.md"), *(ROOT / "ganzoo").rglob("*.py"), *(ROOT / "plugins").glob("*/*.md"),
               *(ROOT / "plugins").glob("*/ganzoo_*/*.py"), ROOT / "Makefile"]
    wrong = []
    for path in sources:
        for name in pip_install_names(path.read_text(encoding="utf-8")):
            if name.startswith("ganzoo") and name not in {*DISTRIBUTIONS.values(), EXAMPLE_PLUGIN}:
                wrong.append(f"{path.relative_to(ROOT)}: pip install {name}")
    assert not wrong, wrong


def test_the_hint_check_sees_the_old_name():
    assert pip_install_names("say `pip install 'ganzoo[fid]'` or pip install ganzoo-ugatit torch  # later") == ["ganzoo", "ganzoo-ugatit", "torch"]
    assert pip_install_names("pip install -e ./ganzoo-x && ganzoo info x") == []
    assert pip_install_names('f"pip install {CORE_DISTRIBUTION} -e ./x"') == []


def test_a_component_recorded_under_the_former_core_name_asks_to_upgrade_the_core():
    records = [ComponentRecord("loss", "gone-loss", FORMER_CORE_DISTRIBUTIONS[0], "0.0.9")]
    message = missing_components(records, make_tiny_host().registry)
    assert message.endswith(f"not installed: pip install --upgrade {CORE_DISTRIBUTION} (this is 0.1.0)"), message
