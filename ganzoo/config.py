"""The typed run configuration: dataclasses with ``Literal`` choices and declared ranges, and the
one validation pass over them.

The bottom of the core: it imports nothing of data, metrics, training or the plugin host, so any
layer may read a config. Presets (``ganzoo.presets``) turn TOML layers into a :class:`TrainConfig`;
``ganzoo.resolve`` checks it once, here, with :func:`check_config`.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

from ganzoo.errors import GanzooError

Precision = Literal["auto", "fp32", "bf16"]
FastMode = Literal["auto", "on", "off"]
PRECISIONS: tuple[str, ...] = typing.get_args(Precision)
FAST_MODES: tuple[str, ...] = typing.get_args(FastMode)
#: whether ``fast = "auto"`` turns the CUDA-graph step on for CUDA. Off until a GPU run has shown
#: that it matches eager training in quality (the parity run is still owed, docs/performance.md).
FAST_AUTO_ON_CUDA = False


class ConfigError(GanzooError):
    """A config value problem; the message names the key, the value and what is valid."""


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
        raise ConfigError(f"{where}: expected a component name or a table with 'name', got {value!r}")

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

    kind: Literal["constant", "linear", "step"] = "constant"
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
    #: ``auto``: bf16 on CUDA when the fast step is on, else fp32.
    precision: Precision = "auto"
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
    #: real images in the reference statistics of those evaluations (0: as many as ``eval_count``),
    #: computed once per run (and cached).
    eval_reference_count: int = ranged(0, 0)
    #: the feature extractors of those metrics: image features (FID, KID, IS) and text-image agreement.
    eval_extractor: ComponentConfig = field(default_factory=lambda: ComponentConfig("inception-fid"))
    eval_text_extractor: ComponentConfig = field(default_factory=lambda: ComponentConfig("clip"))
    #: the fast step (the whole step as one CUDA graph, see docs/performance.md): on, off, or auto
    #: (off until a GPU run shows parity with the eager step, see :data:`FAST_AUTO_ON_CUDA`).
    fast: FastMode = "auto"
    #: channels-last memory format for the networks (pays with bf16 convolutions on tensor cores).
    channels_last: bool = False

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)

    @property
    def load_size(self) -> int:
        return max(self.augment.jitter, self.resolution)


def check_config(config: Any, where: str = "") -> None:
    """Refuse any value outside its field's declared range or ``Literal`` choices, naming key, value
    and what is valid.

    The one validation pass, run on the merged config (whichever layer set each value: a preset,
    ./zoo.toml, --zoo, a flag or --set) and on configs read back from runs and exports.
    """
    hints = typing.get_type_hints(type(config))
    for spec in dataclasses.fields(config):
        key = f"{where}.{spec.name}" if where else spec.name
        value = getattr(config, spec.name)
        bounds, choices = spec.metadata.get("range"), literal_choices(hints[spec.name])
        if bounds is not None and value is not None:
            for number in value if isinstance(value, tuple) else (value,):
                if number not in bounds:
                    raise ConfigError(f"{key} = {to_plain(value)!r} is out of range: valid {bounds}")
        if choices and value not in choices:
            raise ConfigError(f"{key} = {value!r} is not one of {', '.join(map(str, choices))}")
        nested = value.items() if isinstance(value, dict) else [(None, value)]
        for name, item in nested:
            if dataclasses.is_dataclass(item):
                check_config(item, key if name is None else f"{key}.{name}")


def literal_choices(hint: Any) -> tuple[Any, ...]:
    """The values of a ``Literal[...]`` type (also inside ``X | None``); empty for other types."""
    if typing.get_origin(hint) is Literal:
        return typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return tuple(choice for arg in typing.get_args(hint) for choice in literal_choices(arg))
    return ()


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
        raise ConfigError(f"{where}: expected a table, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = [k for k in data if k not in names]
    if unknown:
        close = difflib.get_close_matches(unknown[0], names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}{hint}; valid: {', '.join(names)}")
    values = {key: convert(hints[key], value, f"{where}.{key}") for key, value in data.items()}
    try:
        return cls(**values)
    except TypeError as error:
        raise ConfigError(f"{where}: {error}") from None


def convert(hint: Any, value: Any, where: str) -> Any:
    """``value`` as type ``hint`` (ints widen to float), or a :class:`ConfigError` naming ``where``."""
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
            except ConfigError as error:
                errors.append(str(error))
        raise ConfigError(errors[0])
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"{where} = {value!r} is not one of {', '.join(map(str, args))}")
        return value
    if hint is ComponentConfig:
        return ComponentConfig.parse(value, where)
    if dataclasses.is_dataclass(hint):
        return value if isinstance(value, hint) else from_plain(hint, value, where)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a table, got {value!r}")
        return {k: convert(args[1], v, f"{where}.{k}") for k, v in value.items()}
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        if origin is tuple and args and Ellipsis not in args and len(value) != len(args):
            raise ConfigError(f"{where}: expected {len(args)} values, got {to_plain(value)!r}")
        item = args[0] if args else Any
        return origin(convert(item, v, where) for v in value)
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint in (int, str, bool) and type(value) is hint:
        return value
    raise ConfigError(f"{where}: expected {getattr(hint, '__name__', hint)}, got {value!r}")
