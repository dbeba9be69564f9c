"""Scaffold a publishable plugin package: ``ganzoo new-plugin NAME``.

The package is a working example of every step docs/writing-a-plugin.md describes: a pyproject
with the ``ganzoo.plugins`` entry point, a generator registered with its ports and context
arguments, a preset shipped inside the package (mixing it with the dcgan plugin's discriminator,
which the pyproject and the preset declare), a conformance test and a README.
"""

from __future__ import annotations

import importlib.metadata as metadata
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

import ganzoo
from ganzoo.errors import GanzooError
from ganzoo.outputs import writable_folder
from ganzoo.registry import Registry
from ganzoo.version import CORE_DISTRIBUTION, DISTRIBUTIONS, PLUGIN_PREFIX

NAME_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class PluginNames:
    """The names one plugin NAME implies, e.g. ``my-gan``: ``ganzoo-my-gan``, ``ganzoo_my_gan``."""

    name: str

    @classmethod
    def parse(cls, name: str) -> "PluginNames":
        if not NAME_PATTERN.fullmatch(name):
            raise GanzooError(f"plugin name {name!r}: use lower-case letters, digits and single '-' (e.g. my-gan), starting with a letter")
        return cls(name.removeprefix(PLUGIN_PREFIX) or name)

    @property
    def distribution(self) -> str:
        return f"{PLUGIN_PREFIX}{self.name}"

    @property
    def package(self) -> str:
        return f"ganzoo_{self.name.replace('-', '_')}"

    @property
    def identifier(self) -> str:
        return self.name.replace("-", "_")

    @property
    def class_prefix(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("-"))

    def substitutions(self) -> dict[str, str]:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "package": self.package,
            "identifier": self.identifier,
            "cls": self.class_prefix,
            "ganzoo_version": ganzoo.__version__,
            "core_distribution": CORE_DISTRIBUTION,
            "dcgan_distribution": DISTRIBUTIONS["dcgan"],
        }


PYPROJECT = """\
[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "$distribution"
version = "0.1.0"
description = "ganzoo plugin: the $name generator"
readme = "README.md"
requires-python = ">=3.11"
license = "MIT"
# every distribution the presets use: $dcgan_distribution provides the discriminator of $name-shapes
dependencies = ["$core_distribution>=$ganzoo_version", "$dcgan_distribution>=0.1"]

[project.optional-dependencies]
test = ["pytest>=7"]

# ganzoo finds the plugin through this entry point: NAME = "module with the @hookimpl functions"
[project.entry-points."ganzoo.plugins"]
$name = "$package.plugin"

[tool.setuptools.packages.find]
include = ["$package*"]

# the presets file ships inside the package, read by the ganzoo_presets hook
[tool.setuptools.package-data]
$package = ["presets.toml"]
"""

README = """\
# $distribution

A ganzoo plugin providing the generator `$name`: a small
upsampling generator (noise -> 4x4 map -> nearest-neighbour upsampling + 3x3 convolutions ->
tanh image), unconditional or class-conditional, at 16, 32 or 64 px.

## Install

    pip install -e .            # from this folder, into the environment where ganzoo lives
    ganzoo list generator       # shows `$name`, provided by $distribution 0.1.0
    ganzoo info $name           # its parameters, defaults and ports

## Train

The plugin ships the preset `$name-shapes` (in `$package/presets.toml`): this generator against
the DCGAN discriminator (from $dcgan_distribution, a dependency) with ganzoo's non-saturating loss on
the built-in shapes. `ganzoo presets` lists it as provided by $distribution.

    ganzoo train $name-shapes --device cpu
    ganzoo train dcgan-class --gen $name           # or mix it into any noise preset
    ganzoo export runs/$name-shapes-000 -o $name.safetensors
    ganzoo sample $name.safetensors -n 16

## Develop

    pip install -e ".[test]"
    pytest

- `$package/nets.py`: the network and its registered factory (`@component` with its `Ports`).
- `$package/plugin.py`: the `ganzoo_components` and `ganzoo_presets` hooks.
- `$package/presets.toml`: the presets, package data of the distribution; `plugins = [...]`
  names the other distributions a preset uses (also dependencies in `pyproject.toml`).
- `tests/`: ganzoo's conformance checks over every declared resolution, channel count and
  condition, plus the registration.

Exports made with this plugin record `$distribution` and its version: loading one where the
plugin is missing says `pip install $distribution`.
"""

INIT = '''\
"""ganzoo plugin: the $name generator."""
'''

NETS = '''\
"""The $name generator: a small upsampling generator, the starting point of your own family.

Noise (multiplied by a learned class embedding when class-conditional) is projected to a 4x4
feature map; each block doubles the resolution with nearest-neighbour upsampling, a 3x3
convolution, BatchNorm and ReLU; a last 3x3 convolution and tanh give the image in [-1, 1].
"""

from __future__ import annotations

import math

from torch import Tensor, nn

from ganzoo import Condition, Generator, Ports, component

RESOLUTIONS = (16, 32, 64)
CONDITIONS = ("none", "class")


class ${cls}Generator(Generator):
    """``z [B, latent_dim]`` (and labels ``[B]``) -> images ``[B, channels, resolution, resolution]``."""

    def __init__(self, resolution: int, channels: int, condition: Condition, latent_dim: int, width: int) -> None:
        super().__init__()
        if resolution not in RESOLUTIONS:
            raise ValueError(f"generator '$name' works at {RESOLUTIONS} px, not {resolution}")
        if condition.kind not in CONDITIONS:
            raise ValueError(f"generator '$name' takes conditions {CONDITIONS}, not {condition}")
        self.resolution, self.channels, self.latent_dim, self.width = resolution, channels, latent_dim, width
        self.embed = nn.Embedding(condition.dim, latent_dim) if condition.kind == "class" else None
        self.project = nn.Linear(latent_dim, width * 4 * 4)
        blocks: list[nn.Module] = []
        for _ in range(int(math.log2(resolution)) - 2):
            blocks += [nn.Upsample(scale_factor=2), nn.Conv2d(width, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
        self.body = nn.Sequential(*blocks, nn.Conv2d(width, channels, 3, padding=1), nn.Tanh())

    def forward(self, z: Tensor | None, condition: Tensor | None = None) -> Tensor:
        if z is None:
            raise ValueError("generator '$name' needs noise z")
        if self.embed is not None:
            if condition is None:
                raise ValueError("generator '$name' was built class-conditional but got no labels")
            z = z * self.embed(condition)
        return self.body(self.project(z).view(-1, self.width, 4, 4))


# The ports say what the generator accepts before anything is built, so `ganzoo train` refuses a
# bad mix (a 128 px dataset, text captions) in one line. `resolution`, `channels` and `condition`
# are context arguments: the builder fills them in from the config and the dataset because the
# signature names them. The other parameters are public: presets and `--set` set them.
@component("generator", "$name", ports=Ports(resolutions=RESOLUTIONS, conditions=CONDITIONS))
def ${identifier}_generator(
    resolution: int = 32,
    channels: int = 3,
    condition: Condition | str | None = None,
    latent_dim: int = 64,
    width: int = 64,
) -> Generator:
    """Small upsampling generator (noise -> 4x4 -> nearest upsampling + 3x3 convs -> tanh)."""
    return ${cls}Generator(resolution, channels, Condition.parse(condition), latent_dim, width)
'''

PLUGIN = '''\
"""The hooks ganzoo calls: the components and the presets of this plugin."""

from __future__ import annotations

from ganzoo import Component, collect, hookimpl
from ganzoo.presets import package_presets

from $package import nets


@hookimpl
def ganzoo_components() -> list[Component]:
    return collect(nets)


@hookimpl
def ganzoo_presets() -> str:
    return package_presets(__package__)  # $package/presets.toml
'''

PRESETS = """\
# Presets of $distribution, shipped in the package (see pyproject.toml's package-data) and
# listed by `ganzoo presets` as provided by $distribution.

[$name-shapes]
description = "$name generator vs the DCGAN discriminator on the built-in shapes, 32 px"
plugins = ["$dcgan_distribution"]  # the discriminator's distribution (also a dependency in pyproject.toml)
task = "unconditional"
dataset = { name = "shapes", count = 1024 }
resolution = 32
batch_size = 32
steps = 1000
ema = 0.999
sample_every = 250
checkpoint_every = 250
nets.generator = { name = "$name", width = 64 }
nets.discriminator = { name = "dcgan", width = 32 }
loss = "nonsaturating"
"""

TEST = '''\
"""The $name generator passes ganzoo's conformance checks; the plugin registers it."""

from __future__ import annotations

import pytest

from ganzoo.plugins import PluginHost
from ganzoo.testing import check_generator, declared_cases
from $package import plugin
from $package.nets import ${identifier}_generator


@pytest.mark.parametrize(("resolution", "channels", "condition"), declared_cases(${identifier}_generator))
def test_generator_shapes_range_and_gradients(resolution, channels, condition):
    check_generator(${identifier}_generator, resolution, channels, condition, width=8, latent_dim=16)


def test_refuses_a_resolution_it_does_not_declare():
    with pytest.raises(ValueError, match="48"):
        ${identifier}_generator(resolution=48)


def test_the_plugin_registers_the_generator_and_its_preset():
    host = PluginHost(autoload=False)
    assert host.register(plugin, "$name", "$distribution", "0.1.0"), host.broken
    item = host.registry.get("generator", "$name")
    assert item.provider is not None and item.provider.distribution == "$distribution"
    assert "[$name-shapes]" in plugin.ganzoo_presets()
'''

#: relative path (with ``$package`` etc. substituted) -> template.
FILES: dict[str, str] = {
    "pyproject.toml": PYPROJECT,
    "README.md": README,
    "$package/__init__.py": INIT,
    "$package/nets.py": NETS,
    "$package/plugin.py": PLUGIN,
    "$package/presets.toml": PRESETS,
    "tests/test_$identifier.py": TEST,
}


def render(names: PluginNames) -> dict[str, str]:
    """The package's files: relative path -> contents."""
    values = names.substitutions()
    return {Template(path).substitute(values): Template(text).substitute(values) for path, text in FILES.items()}


def scaffold_plugin(name: str, directory: Path, registry: Registry | None = None) -> Path:
    """Write the package ``ganzoo-NAME`` under ``directory``; returns its folder.

    Refuses a name whose distribution is installed or whose generator name is taken (in
    ``registry``), and a non-empty target folder, so nothing is overwritten.
    """
    names = PluginNames.parse(name)
    target = Path(directory) / names.distribution
    writable_folder(target, "--dir", Path(directory))
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise GanzooError(f"{target} already exists and is not empty; choose another NAME or --dir")
    try:
        installed = metadata.version(names.distribution)
    except metadata.PackageNotFoundError:
        installed = None
    if names.distribution in DISTRIBUTIONS.values():
        raise GanzooError(f"plugin name {names.name!r}: {names.distribution} is one of ganzoo's own distributions; choose another NAME")
    if installed is not None:
        raise GanzooError(f"plugin name {names.name!r}: {names.distribution} {installed} is already installed; choose another NAME")
    if registry is not None and names.name in registry.names("generator"):
        taken = registry.get("generator", names.name).provider
        raise GanzooError(f"plugin name {names.name!r}: a generator of that name is already provided by {taken or 'another plugin'}; choose another NAME")
    for relative, text in render(names).items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return target
