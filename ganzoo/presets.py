"""Presets: named training configurations in ``zoo.toml`` files, resolved into typed dataclasses.

Layers, lowest first: the presets shipped by installed distributions (each plugin's
``ganzoo_presets`` hook, and ganzoo's packaged ``zoo.toml`` with the demo and cross-family mixes),
then the user's ``./zoo.toml`` in the working directory, then ``--zoo PATH``. Each preset is
*provided by* one distribution; two distributions defining the same name is a clash, reported
naming both. The user's files layer over any preset: a preset defined in several layers is
deep-merged (tables merge, values replace), and ``extends = "other"`` inherits from another
preset. CLI options override the result. A preset names the plugin distributions it needs
beyond its own in ``plugins = [...]``, so a missing one is named before anything is resolved.
"""

from __future__ import annotations

import copy
import difflib
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Mapping

from ganzoo import plugins
from ganzoo.config import DATA_LOCATIONS, RUN_SETTINGS, ConfigError, TrainConfig, from_plain
from ganzoo.version import CORE_DISTRIBUTION, __version__

PACKAGED_ZOO = "zoo.toml"
#: the preset key listing the distributions a preset needs beyond the one providing it.
NEEDS_KEY = "plugins"
#: keys that name presets rather than set anything: not overridable (``--set preset=x`` would
#: record another preset's name for this one's settings).
NAMING_KEYS = ("preset", "extends", NEEDS_KEY)
#: the longest ``extends`` chain followed (deeper chains are a mistake or a hostile file).
MAX_EXTENDS = 64


#: dotted-key overrides of a preset's values (``{"nets.discriminator.name": "patchgan-sn"}``).
Overrides = Mapping[str, Any]


class PresetError(ConfigError):
    """A preset file problem; the message names the file, preset and key."""


# ----------------------------------------------------------------------------------------------
# Layers of zoo.toml files
# ----------------------------------------------------------------------------------------------

def parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PresetError(f"{source}: {error}") from None


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        # a table naming another component replaces the old one (its kwargs belong to the old one)
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and value.get("name", merged[key].get("name")) == merged[key].get("name"):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


@dataclass
class PresetBook:
    """Every known preset (raw, merged across layers), where each came from and who provides it.

    ``installed``: the distributions present (set by :func:`load_book`); presets needing others
    are refused naming them. ``None`` checks nothing (a book built by hand).
    """

    raw: dict[str, dict[str, Any]] = field(default_factory=dict)
    sources: dict[str, list[str]] = field(default_factory=dict)
    #: preset -> the distribution defining it (absent for presets only a user's file defines).
    providers: dict[str, str] = field(default_factory=dict)
    #: preset -> the one-line error of two distributions defining it.
    clashes: dict[str, str] = field(default_factory=dict)
    installed: set[str] | None = None

    def add_layer(self, text: str, source: str, distribution: str | None = None) -> None:
        """Add the presets of one file; ``distribution`` when an installed distribution ships it
        (its presets are its own), ``None`` for a user's file (layered over everything)."""
        for name, table in parse_toml(text, source).items():
            if not isinstance(table, dict):
                raise PresetError(f"{source}: top-level key {name!r} must be a preset table ([{name}])")
            needs = table.get(NEEDS_KEY, [])
            if not isinstance(needs, list) or not all(isinstance(d, str) for d in needs):
                raise PresetError(f"{source}: preset {name!r}: {NEEDS_KEY} must be a list of distribution names, "
                                  f"e.g. {NEEDS_KEY} = [\"ganzoo-dcgan\"]")
            if distribution is not None:
                owner = self.providers.setdefault(name, distribution)
                if owner != distribution:
                    self.clashes[name] = (f"preset {name!r} is defined by both {self.sources[name][0]} and {source}; "
                                          "uninstall one of them")
                    continue
            self.raw[name] = deep_merge(self.raw.get(name, {}), table)
            self.sources.setdefault(name, []).append(source)

    def names(self) -> list[str]:
        return sorted(self.raw)

    def provided_by(self, name: str) -> str:
        """The distribution (with version) or the user's file that defines ``name``."""
        return self.sources[name][0]

    def needs(self, name: str) -> list[str]:
        """The plugin distributions ``name`` needs: the providers of it and of the presets it
        extends, and what each declares in ``plugins`` (those known without the missing ones)."""
        found: list[str] = []
        seen: set[str] = set()
        while name in self.raw and name not in seen:
            seen.add(name)
            table = self.raw[name]
            for distribution in [self.providers.get(name), *table.get(NEEDS_KEY, [])]:
                if distribution and distribution != CORE_DISTRIBUTION and distribution not in found:
                    found.append(distribution)
            name = str(table.get("extends", ""))
        return found

    def missing(self, name: str) -> list[str]:
        """The distributions ``name`` needs that are not installed."""
        return [] if self.installed is None else [d for d in self.needs(name) if d not in self.installed]

    def unrunnable(self) -> dict[str, list[str]]:
        """Preset -> the missing distributions it needs, for every preset that lacks some."""
        return {name: missing for name in self.names() if (missing := self.missing(name))}

    def flatten(self, name: str) -> dict[str, Any]:
        """The preset's raw table with ``extends`` resolved (a chain of at most :data:`MAX_EXTENDS`)."""
        chain: list[str] = []
        parent: Any = name
        while parent is not None:
            parent = str(parent)
            if parent not in self.raw:
                close = difflib.get_close_matches(parent, self.names(), n=3)
                hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
                raise PresetError(f"unknown preset {parent!r}.{hint} Valid: {', '.join(self.names())}")
            if parent in chain:
                raise PresetError(f"preset {parent!r} extends itself through {' -> '.join(chain + [parent])}")
            if len(chain) == MAX_EXTENDS:
                raise PresetError(f"preset {name!r} extends a chain of more than {MAX_EXTENDS} presets ({' -> '.join(chain[:3])} -> ...); "
                                  "shorten it")
            chain.append(parent)
            parent = self.raw[parent].get("extends")
        table: dict[str, Any] = {}
        for link in reversed(chain):
            table = deep_merge(table, {key: value for key, value in self.raw[link].items() if key != "extends"})
        return table

    def resolve(self, name: str, overrides: Overrides | Callable[[dict[str, Any]], Overrides] | None = None) -> TrainConfig:
        """The typed config of preset ``name``, with dotted-key ``overrides`` applied on top; its
        values are checked once, by :func:`ganzoo.resolve.checked`.

        ``overrides`` may be a function of the preset's table (``extends`` resolved): the command
        line's flags read it to know what they set (``--disc`` sets every discriminator role of the
        preset's task), so the preset is read once.
        """
        if name in self.clashes:
            raise PresetError(self.clashes[name])
        missing = self.missing(name)
        if missing:
            raise PresetError(f"preset {name!r} needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
                              f"not installed: pip install {' '.join(missing)}")
        table = self.flatten(name)
        table.pop("preset", None)
        table.pop(NEEDS_KEY, None)
        if callable(overrides):
            overrides = overrides(copy.deepcopy(table))
        preset = copy.deepcopy(table)
        for dotted, value in (overrides or {}).items():
            if dotted.split(".")[0] in NAMING_KEYS:
                raise PresetError(f"{dotted} = {value!r}: {dotted.split('.')[0]!r} names presets and is not a setting; "
                                  f"train another preset by its name (ganzoo train NAME)")
            apply_override(table, dotted, value)
        changed = overridden(preset, table, overrides or {})
        if changed and "description" not in (overrides or {}):
            table["description"] = f"{name} (overridden: {', '.join(changed)})"
        where = f"preset {name!r} ({', '.join(self.sources.get(name, ['?']))})"
        return from_plain(TrainConfig, {"preset": name, **table}, where)


def overridden(preset: dict[str, Any], table: dict[str, Any], overrides: Overrides) -> list[str]:
    """``key=value`` for each override that changes what the preset trains (not a run setting, not
    where the data is), so a run's description follows what was trained: ``dataset=mnist``,
    ``discriminator=patchgan-sn``, ``resolution=32``."""
    changed = []
    for dotted in overrides:
        if dotted.split(".")[0] in RUN_SETTINGS or dotted in DATA_LOCATIONS or lookup(preset, dotted) == lookup(table, dotted):
            continue
        value = lookup(table, dotted)
        label = dotted.removeprefix("nets.").removesuffix(".name")
        shown = value.get("name", value) if isinstance(value, dict) else "none" if value is None else value
        changed.append(f"{label}={shown}")
    return changed


def lookup(table: dict[str, Any], dotted: str) -> Any:
    """The value at ``a.b.c`` of a nested table (``None`` where absent; a component named by a bare
    string has that ``name``)."""
    node: Any = table
    for key in dotted.split("."):
        if isinstance(node, str):
            node = {"name": node}
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def apply_override(table: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``a.b.c`` in a nested table. Replacing a component's ``name`` drops its old kwargs."""
    keys = dotted.split(".")
    node = table
    for key in keys[:-1]:
        child = node.get(key)
        if isinstance(child, str):  # shorthand component "bce" -> table
            child = {"name": child}
        if not isinstance(child, dict):
            child = {}
        node[key] = child
        node = child
    last = keys[-1]
    if last == "name" and node.get("name") != value:
        node.clear()
    if isinstance(value, dict) and "name" in value and isinstance(node.get(last), (dict, str)):
        node[last] = dict(value)
        return
    node[last] = value


def package_presets(package: str, filename: str = "presets.toml") -> str:
    """The presets file shipped inside ``package``: what a plugin's ``ganzoo_presets`` hook returns."""
    return resources.files(package).joinpath(filename).read_text(encoding="utf-8")


def load_book(extra: list[Path] | None = None, cwd: Path | None = None) -> PresetBook:
    """All layers: the installed distributions' presets (plugins, then ganzoo's packaged
    zoo.toml), ./zoo.toml, then ``extra`` files."""
    host = plugins.host()
    book = PresetBook(installed={CORE_DISTRIBUTION} | {p.distribution for p in host.providers.values()})
    for provider, text in host.preset_texts():
        book.add_layer(text, str(provider), provider.distribution)
    packaged = resources.files("ganzoo").joinpath(PACKAGED_ZOO)
    book.add_layer(packaged.read_text(encoding="utf-8"), f"{CORE_DISTRIBUTION} {__version__} ({PACKAGED_ZOO})", CORE_DISTRIBUTION)
    packaged_path = Path(str(packaged)).resolve()
    local = (cwd or Path.cwd()) / "zoo.toml"
    files = ([local] if local.is_file() and local.resolve() != packaged_path else []) + list(extra or [])
    for path in files:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise PresetError(f"cannot read presets file {path}: {error.strerror or error}") from None
        except UnicodeDecodeError:
            raise PresetError(f"presets file {path} is not a UTF-8 text (TOML) file") from None
        book.add_layer(text, str(path))
    return book
