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
import dataclasses
import difflib
import math
import tomllib
import types
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ganzoo.errors import GanzooError
from ganzoo.train.runtime import PRECISIONS

PACKAGED_ZOO = "zoo.toml"
#: the distribution that ships the packaged zoo.toml and the built-in components.
CORE_DISTRIBUTION = "ganzoo"
#: the preset key listing the distributions a preset needs beyond the one providing it.
NEEDS_KEY = "plugins"


class PresetError(GanzooError):
    """A preset file or value problem; the message names the file, preset and key."""


@dataclass
class ComponentConfig:
    """A registry name plus keyword arguments: everything needed to rebuild the component."""

    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, value: Any, where: str) -> "ComponentConfig":
        if isinstance(value, ComponentConfig):
            return value
        if isinstance(value, str):
            return cls(value)
        if isinstance(value, dict) and isinstance(value.get("name"), str):
            kwargs = {k: v for k, v in value.items() if k != "name"}
            return cls(value["name"], kwargs)
        raise PresetError(f"{where}: expected a component name or a table with 'name', got {value!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, **self.kwargs}


@dataclass(frozen=True)
class Range:
    """The valid values of a number: ``low``/``high`` bounds (``None``: unbounded), open or closed."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        return self.high is None or (value < self.high or (not self.high_open and value == self.high))

    def __str__(self) -> str:
        low = "(-inf" if self.low is None else f"{'(' if self.low_open else '['}{self.low!r}"
        high = "inf)" if self.high is None else f"{self.high!r}{')' if self.high_open else ']'}"
        return f"{low}, {high}"


def ranged(default: Any, low: float | None = None, high: float | None = None, *, low_open: bool = False,
           high_open: bool = False) -> Any:
    """A dataclass field whose valid values (each element, for tuples) lie in the given range."""
    return field(default=default, metadata={"range": Range(low, high, low_open, high_open)})


def chosen(default: str, *choices: str) -> Any:
    """A dataclass field taking one of ``choices``."""
    return field(default=default, metadata={"choices": choices})


@dataclass
class OptimConfig:
    """Adam settings of one phase's optimiser."""

    lr: float = ranged(2e-4, 0, low_open=True)
    betas: tuple[float, float] = ranged((0.5, 0.999), 0, 1, high_open=True)
    weight_decay: float = ranged(0.0, 0)


@dataclass
class ScheduleConfig:
    """Learning-rate schedule: ``constant``, ``linear`` (to zero from ``decay_start`` x steps on)
    or ``step`` (multiply by ``gamma`` every ``every`` steps)."""

    kind: str = chosen("constant", "constant", "linear", "step")
    decay_start: float = ranged(0.5, 0, 1)
    every: int = ranged(0, 0)
    gamma: float = ranged(0.5, 0, low_open=True)


@dataclass
class AugmentConfig:
    """Augmentation applied on the device: random crop from ``jitter`` px (0 = off) and h-flips."""

    flip: bool = False
    jitter: int = ranged(0, 0, 4096)


@dataclass
class TrainConfig:
    """Everything a training run needs; saved beside every run as ``config.json``."""

    preset: str
    description: str = ""
    task: ComponentConfig = field(default_factory=lambda: ComponentConfig("unconditional"))
    dataset: ComponentConfig = field(default_factory=lambda: ComponentConfig("shapes"))
    nets: dict[str, ComponentConfig] = field(default_factory=dict)
    conditioner: ComponentConfig | None = None
    loss: ComponentConfig = field(default_factory=lambda: ComponentConfig("bce"))
    resolution: int = ranged(32, 4, 4096)
    channels: int = ranged(3, 1, 4)
    batch_size: int = ranged(64, 1)
    steps: int = ranged(1000, 1)
    #: training length in passes over the data; replaces ``steps`` when set.
    epochs: float | None = ranged(None, 0, low_open=True)
    n_critic: int = ranged(1, 1)
    ema: float = ranged(0.0, 0, 1, high_open=True)
    ema_start: int = ranged(0, 0)
    optim: dict[str, OptimConfig] = field(default_factory=dict)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    precision: str = chosen("auto", *PRECISIONS)
    seed: int = ranged(0, 0, 2**32 - 1)
    device: str = "auto"
    log_every: int = ranged(50, 1)
    sample_every: int = ranged(500, 1)
    checkpoint_every: int = ranged(1000, 1)
    sample_count: int = ranged(64, 1)
    #: numbered snapshots every K steps in ``RUN/snapshots`` (0 = none).
    snapshot_every: int = ranged(0, 0)
    #: how many of the newest snapshots stay (0 = all); the best one always stays.
    keep_snapshots: int = ranged(0, 0)
    #: the evaluated metric choosing ``RUN/best.pt`` ("" = the first metric evaluated).
    best_metric: str = ""
    #: parameters initialised from another run: ``{"generator.stage1": "runs/x:generator"}``.
    init_from: dict[str, str] = field(default_factory=dict)
    #: parameters kept frozen (``role`` or ``role.submodule``).
    freeze: list[str] = field(default_factory=list)
    #: score the model every this many steps (0 = never) with ``eval_metrics`` (empty: the task's
    #: default metric) on ``eval_count`` images from fixed noise, against the training data.
    eval_every: int = ranged(0, 0)
    eval_metrics: list[str] = field(default_factory=list)
    eval_count: int = ranged(1000, 1)
    #: the feature extractors of those metrics: image features (FID, KID, IS) and text-image agreement.
    eval_extractor: ComponentConfig = field(default_factory=lambda: ComponentConfig("inception-fid"))
    eval_text_extractor: ComponentConfig = field(default_factory=lambda: ComponentConfig("clip"))
    #: the fast step (whole step as one CUDA graph, see docs/performance.md): auto (on for CUDA), on, off.
    fast: str = "auto"
    #: channels-last memory format for the networks (pays with bf16 convolutions on tensor cores).
    channels_last: bool = False

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)

    @property
    def load_size(self) -> int:
        return max(self.augment.jitter, self.resolution)


def check_config(config: Any, where: str = "") -> None:
    """Refuse any value outside its field's declared range or choices, naming key, value and range.

    The one validation pass, run on the merged config (whichever layer set each value: a preset,
    ./zoo.toml, --zoo, a flag or --set) and on configs read back from runs and exports.
    """
    for spec in dataclasses.fields(config):
        key = f"{where}.{spec.name}" if where else spec.name
        value = getattr(config, spec.name)
        bounds, choices = spec.metadata.get("range"), spec.metadata.get("choices")
        if bounds is not None and value is not None:
            for number in value if isinstance(value, tuple) else (value,):
                if number not in bounds:
                    raise PresetError(f"{key} = {to_plain(value)!r} is out of range: valid {bounds}")
        if choices is not None and value not in choices:
            raise PresetError(f"{key} = {value!r} is not one of {', '.join(choices)}")
        nested = value.items() if isinstance(value, dict) else [(None, value)]
        for name, item in nested:
            if dataclasses.is_dataclass(item):
                check_config(item, key if name is None else f"{key}.{name}")


def to_plain(value: Any) -> Any:
    """Dataclasses -> plain dicts/lists (JSON and TOML friendly); component configs flattened."""
    if isinstance(value, ComponentConfig):
        return value.to_dict()
    if dataclasses.is_dataclass(value):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    return value


# ----------------------------------------------------------------------------------------------
# Typed conversion from plain TOML values
# ----------------------------------------------------------------------------------------------

def from_plain(cls: type, data: dict[str, Any], where: str) -> Any:
    """Build dataclass ``cls`` from a plain dict, refusing unknown keys and wrong types."""
    if not isinstance(data, dict):
        raise PresetError(f"{where}: expected a table, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = [k for k in data if k not in names]
    if unknown:
        close = difflib.get_close_matches(unknown[0], names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise PresetError(f"{where}: unknown key {unknown[0]!r}{hint}; valid: {', '.join(names)}")
    values = {key: convert(hints[key], value, f"{where}.{key}") for key, value in data.items()}
    try:
        return cls(**values)
    except TypeError as error:
        raise PresetError(f"{where}: {error}") from None


def convert(hint: Any, value: Any, where: str) -> Any:
    """``value`` as type ``hint`` (ints widen to float), or a :class:`PresetError` naming ``where``."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for option in (a for a in args if a is not type(None)):
            try:
                return convert(option, value, where)
            except PresetError as error:
                errors.append(str(error))
        raise PresetError(errors[0])
    if hint is ComponentConfig:
        return ComponentConfig.parse(value, where)
    if dataclasses.is_dataclass(hint):
        return value if isinstance(value, hint) else from_plain(hint, value, where)
    if origin is dict:
        if not isinstance(value, dict):
            raise PresetError(f"{where}: expected a table, got {value!r}")
        return {k: convert(args[1], v, f"{where}.{k}") for k, v in value.items()}
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise PresetError(f"{where}: expected a list, got {value!r}")
        if origin is tuple and args and Ellipsis not in args and len(value) != len(args):
            raise PresetError(f"{where}: expected {len(args)} values, got {to_plain(value)!r}")
        item = args[0] if args else Any
        return origin(convert(item, v, where) for v in value)
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint in (int, str, bool) and type(value) is hint:
        return value
    raise PresetError(f"{where}: expected {getattr(hint, '__name__', hint)}, got {value!r}")


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

    def flatten(self, name: str, seen: tuple[str, ...] = ()) -> dict[str, Any]:
        """The preset's raw table with ``extends`` resolved."""
        if name not in self.raw:
            close = difflib.get_close_matches(name, self.names(), n=3)
            hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
            raise PresetError(f"unknown preset {name!r}.{hint} Valid: {', '.join(self.names())}")
        if name in seen:
            raise PresetError(f"preset {name!r} extends itself through {' -> '.join(seen + (name,))}")
        table = dict(self.raw[name])
        parent = table.pop("extends", None)
        if parent is None:
            return table
        return deep_merge(self.flatten(str(parent), seen + (name,)), table)

    def resolve(self, name: str, overrides: dict[str, Any] | None = None) -> TrainConfig:
        """The typed config of preset ``name``, with dotted-key ``overrides`` applied on top."""
        if name in self.clashes:
            raise PresetError(self.clashes[name])
        missing = self.missing(name)
        if missing:
            raise PresetError(f"preset {name!r} needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
                              f"not installed: pip install {' '.join(missing)}")
        table = self.flatten(name)
        table.pop("preset", None)
        table.pop(NEEDS_KEY, None)
        for dotted, value in (overrides or {}).items():
            apply_override(table, dotted, value)
        where = f"preset {name!r} ({', '.join(self.sources.get(name, ['?']))})"
        config = from_plain(TrainConfig, {"preset": name, **table}, where)
        check_config(config)
        return config


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
    import ganzoo
    from ganzoo import plugins

    host = plugins.host()
    book = PresetBook(installed={CORE_DISTRIBUTION} | {p.distribution for p in host.providers.values()})
    for provider, text in host.preset_texts():
        book.add_layer(text, str(provider), provider.distribution)
    packaged = resources.files("ganzoo").joinpath(PACKAGED_ZOO)
    book.add_layer(packaged.read_text(encoding="utf-8"), f"{CORE_DISTRIBUTION} {ganzoo.__version__} ({PACKAGED_ZOO})", CORE_DISTRIBUTION)
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
