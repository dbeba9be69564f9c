"""The distributions as a user installs them from the package index: for the core and every plugin,
an sdist and a wheel built from that sdist (``python -m build``, as a release is made, from a clean
export of the tree), ``twine check`` on all of them, then the wheels installed (not editable) into
fresh environments where the editable sources cannot shadow them. Torch and the other third-party
packages are reused from this environment through a directory of links, so nothing is downloaded.
In such an environment a new plugin goes the whole way: ``ganzoo new-plugin``, ``python -m build``,
install, train with it.

The export is ``git stash create`` (HEAD plus uncommitted changes to tracked files), else HEAD:
a file git does not track is not in the distributions, as it would not be in a release.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ganzoo import plugins
from ganzoo.presets import load_book
from ganzoo.version import CORE_DISTRIBUTION, DISTRIBUTIONS, PLUGIN_PREFIX

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_FOLDERS = sorted(p for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").is_file())
#: names in site-packages that belong to the editable install, never linked into the new environments.
EDITABLE = ("ganzoo", "__editable__")
#: a mixed preset of ganzoo's zoo.toml, shrunk to train in seconds.
MIXED_PRESET = ["stackgan-patchgan", "--device", "cpu", "--steps", "2", "--batch-size", "2", "--resolution", "16",
                "--set", "dataset.count=8", "--set", "sample_count=2", "--set", "conditioner.dim=16", "--set", "conditioner.width=16",
                "--set", "nets.generator.base_channels=4", "--set", "nets.generator.latent_dim=8", "--set", "nets.generator.condition_dim=8",
                "--set", "nets.discriminator.n_layers=2", "--set", "nets.discriminator.base_channels=8"]


def run(*command: str | Path, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", plugins.AUTOLOAD_ENV)}
    result = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True,
                            env=env | {"OMP_NUM_THREADS": "1", "COLUMNS": "200"})
    if check:
        assert result.returncode == 0, f"{' '.join(map(str, command))}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def exported_tree(target: Path) -> Path:
    """The tracked files as a release would see them (no build output, no untracked files)."""
    if shutil.which("git") is None or run("git", "-C", ROOT, "rev-parse", "--git-dir", check=False).returncode != 0:
        pytest.skip("needs a git checkout to export the tree")
    commit = run("git", "-C", ROOT, "stash", "create").stdout.strip() or "HEAD"
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def third_party_links(target: Path) -> Path:
    """Links to every entry of this interpreter's site-packages but ganzoo's own and the .pth files."""
    target.mkdir()
    for folder in dict.fromkeys(Path(p) for p in sys.path if Path(p).name in ("site-packages", "dist-packages") and Path(p).is_dir()):
        for entry in folder.iterdir():
            if entry.name.startswith(EDITABLE) or entry.suffix == ".pth" or (target / entry.name).exists():
                continue
            (target / entry.name).symlink_to(entry)
    return target


def environment(folder: Path, wheels: list[Path], third_party: Path) -> Path:
    """A fresh virtual environment holding ``wheels`` (installed, not editable); its python."""
    run(sys.executable, "-m", "venv", "--without-pip", folder)
    python = folder / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    (site / "third_party.pth").write_text(f"{third_party}\n", encoding="utf-8")
    run(sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", "--python", python,
        "install", "--no-deps", "--no-index", *wheels)
    return python


def build(source: Path, out: Path, python: Path | str = sys.executable) -> None:
    """``python -m build`` of ``source`` into ``out``: the sdist, then the wheel built from the sdist.
    Offline, so without an isolated build environment (setuptools comes from this one)."""
    run(python, "-m", "build", "--no-isolation", "--outdir", out, source, cwd=out)


def requirement_names(wheel: Path) -> set[str]:
    """The distributions a wheel's metadata requires (names only, normalised)."""
    with zipfile.ZipFile(wheel) as bundle:
        metadata = bundle.read(next(n for n in bundle.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    return {re.split(r"[ ;<>=!~\[(]", line.removeprefix("Requires-Dist:").strip())[0].lower()
            for line in metadata.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line}


@pytest.fixture(scope="module")
def distributions(tmp_path_factory) -> Path:
    """The folder holding every distribution's sdist and wheel (built from the sdist)."""
    tree = exported_tree(tmp_path_factory.mktemp("export"))
    out = tmp_path_factory.mktemp("dist")
    for source in [tree, *(tree / "plugins" / p.name for p in PLUGIN_FOLDERS)]:
        build(source, out)
    return out


@pytest.fixture(scope="module")
def wheels(distributions) -> dict[str, Path]:
    """Distribution name -> its wheel, for the core and every plugin."""
    built = {w.name.split("-")[0].replace("_", "-"): w for w in distributions.glob("*.whl")}
    assert set(built) == set(DISTRIBUTIONS.values()), built
    return built


@pytest.fixture(scope="module")
def third_party(tmp_path_factory) -> Path:
    return third_party_links(tmp_path_factory.mktemp("links") / "site")


@pytest.fixture(scope="module")
def full(wheels, third_party, tmp_path_factory) -> Path:
    """The environment with the core and all plugins; its python."""
    return environment(tmp_path_factory.mktemp("full") / "env", list(wheels.values()), third_party)


@pytest.fixture(scope="module")
def expected():
    """What this checkout's plugins register and ship, loaded from the sources."""
    host = plugins.PluginHost(autoload=True)
    assert not host.broken, host.broken
    components = {(c.kind, c.name, c.provider.distribution) for c in host.registry.list()}
    plugins.reset(host)
    try:
        book = load_book(cwd=ROOT / "plugins")
    finally:
        plugins.reset(None)
    return components, dict(book.providers)


def ganzoo_in(python: Path, *args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    return run(python.parent / "ganzoo", *args, cwd=cwd, check=check)


def test_installed_wheels_register_every_component_and_import_from_the_environment(full, expected, tmp_path):
    components, _ = expected
    listed = json.loads(ganzoo_in(full, "list", "--json", cwd=tmp_path).stdout)
    assert listed["broken"] == [] and listed["missing_plugins"] == {}
    assert {(c["kind"], c["name"], c["distribution"]) for c in listed["components"]} == components
    for folder in PLUGIN_FOLDERS:
        assert any(dist == DISTRIBUTIONS[folder.name] for *_, dist in components), f"ganzoo-{folder.name} registers nothing"
    modules = ["ganzoo", *(f"ganzoo_{p.name.replace('-', '_')}.plugin" for p in PLUGIN_FOLDERS)]
    # where each module would be imported from (found, not imported: no torch start-up)
    script = f"import importlib.util, json; print(json.dumps({{m: importlib.util.find_spec(m).origin for m in {modules!r}}}))"
    files = json.loads(run(full, "-c", script, cwd=tmp_path).stdout)
    environment_root = full.parent.parent.resolve()
    outside = {m: f for m, f in files.items() if not Path(f).resolve().is_relative_to(environment_root)}
    assert not outside, f"imported from outside the wheel environment: {outside}"


def test_installed_wheels_ship_each_plugins_presets(full, expected, tmp_path):
    _, providers = expected
    rows = json.loads(ganzoo_in(full, "presets", "--json", cwd=tmp_path).stdout)
    assert {row["name"]: row["distribution"] for row in rows} == providers
    for folder in PLUGIN_FOLDERS:
        assert DISTRIBUTIONS[folder.name] in providers.values(), f"ganzoo-{folder.name} ships no presets"
    assert all(row["missing"] == [] for row in rows)


def test_a_mixed_preset_trains_from_the_installed_wheels(full, tmp_path):
    ganzoo_in(full, "train", *MIXED_PRESET, "--out", "run", "--quiet", cwd=tmp_path)
    assert (tmp_path / "run" / "checkpoint.pt").is_file()
    config = json.loads((tmp_path / "run" / "config.json").read_text(encoding="utf-8"))
    assert {c["distribution"] for c in config["components"]} == {CORE_DISTRIBUTION, "ganzoo-stackgan", "ganzoo-pix2pix"}


def test_the_core_alone_lists_and_names_the_missing_plugins(wheels, third_party, tmp_path):
    core = environment(tmp_path / "core", [wheels[CORE_DISTRIBUTION]], third_party)
    listed = json.loads(ganzoo_in(core, "list", "--json", cwd=tmp_path).stdout)
    assert {c["distribution"] for c in listed["components"]} == {CORE_DISTRIBUTION}
    assert {("loss", "bce"), ("loss", "nonsaturating")} <= {(c["kind"], c["name"]) for c in listed["components"]}
    assert listed["missing_plugins"]["stackgan-patchgan"] == ["ganzoo-stackgan", "ganzoo-pix2pix"]
    rows = {row["name"]: row for row in json.loads(ganzoo_in(core, "presets", "--json", cwd=tmp_path).stdout)}
    assert set(rows) == {"demo", "stackgan-patchgan", "dcgan-hinge-sn", "lsgan-sn-text-flowers"}
    assert rows["demo"]["missing"] == ["ganzoo-pix2pix"]
    assert rows["lsgan-sn-text-flowers"]["missing"] == ["ganzoo-dcgan", "ganzoo-lsgan-sn", "ganzoo-stackgan"]
    refused = ganzoo_in(core, "train", "demo", "--device", "cpu", cwd=tmp_path, check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip() == "Error: preset 'demo' needs ganzoo-pix2pix, which is not installed: pip install ganzoo-pix2pix"


def test_every_distribution_has_an_sdist_and_a_wheel_that_twine_accepts(distributions, wheels):
    sdists = {s.name.removesuffix(".tar.gz").rsplit("-", 1)[0].replace("_", "-") for s in distributions.glob("*.tar.gz")}
    assert sdists == set(DISTRIBUTIONS.values())
    files = sorted(distributions.iterdir())
    checked = run(sys.executable, "-m", "twine", "check", "--strict", *files)
    assert checked.stdout.count("PASSED") == len(files) == 2 * len(DISTRIBUTIONS), checked.stdout
    for name, wheel in wheels.items():  # every plugin depends on the core by its published name, and on nothing unpublished
        ours = {r for r in requirement_names(wheel) if r.startswith(PLUGIN_PREFIX)}
        assert ours <= set(DISTRIBUTIONS.values()) and (name == CORE_DISTRIBUTION or CORE_DISTRIBUTION in ours), (name, ours)
    with zipfile.ZipFile(wheels[CORE_DISTRIBUTION]) as bundle:
        assert {"ganzoo/zoo.toml", f"{wheels[CORE_DISTRIBUTION].name.rsplit('-', 3)[0]}.dist-info/licenses/LICENSE"} <= set(bundle.namelist())


def test_a_new_plugin_builds_installs_and_trains_from_the_wheels(full, wheels, tmp_path):
    ganzoo_in(full, "new-plugin", "wheel-gan", "--dir", tmp_path, cwd=tmp_path)
    out = tmp_path / "dist"
    out.mkdir()
    build(tmp_path / "ganzoo-wheel-gan", out, python=full)
    wheel = next(out.glob("*.whl"))
    # the scaffold's dependencies are this project's distributions, all among the built wheels
    assert requirement_names(wheel) == {CORE_DISTRIBUTION, DISTRIBUTIONS["dcgan"]} <= set(wheels)
    run(sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", "--python", full, "install", "--no-deps", "--no-index", wheel)
    try:
        ganzoo_in(full, "train", "wheel-gan-shapes", "--device", "cpu", "--steps", "2", "--batch-size", "2", "--set", "dataset.count=8",
                  "--set", "sample_count=2", "--out", "run", "--quiet", cwd=tmp_path)
        config = json.loads((tmp_path / "run" / "config.json").read_text(encoding="utf-8"))
        assert {c["distribution"] for c in config["components"]} == {CORE_DISTRIBUTION, "ganzoo-wheel-gan", DISTRIBUTIONS["dcgan"]}
    finally:
        run(sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", "--python", full, "uninstall", "-y", "ganzoo-wheel-gan")
