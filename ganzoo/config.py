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
TensorBoardMode = Literal["auto", "on", "off"]
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
           high_open: bool = False, doc: str = "") -> Any:
    """A dataclass field whose valid values (each element, for tuples) lie in the given range;
    ``doc``: its one-line meaning, shown by ``--help`` and in docs/presets.md."""
    return field(default=default, metadata={"range": Range(low, high, low_open, high_open), "doc": doc})


def described(default: Any = dataclasses.MISSING, *, doc: str, factory: Any = dataclasses.MISSING) -> Any:
    """A dataclass field with its one-line meaning (``--help`` and docs/presets.md read it here)."""
    return field(default=default, default_factory=factory, metadata={"doc": doc})


def field_doc(cls: type, name: str) -> str:
    """The one-line meaning declared for field ``name`` of config class ``cls``."""
    return {spec.name: spec for spec in dataclasses.fields(cls)}[name].metadata.get("doc", "")


@dataclass
class OptimConfig:
    """Adam settings of one phase's optimiser."""

    lr: float = ranged(2e-4, 0, low_open=True, doc="learning rate")
    betas: tuple[float, float] = ranged((0.5, 0.999), 0, 1, high_open=True, doc="Adam's beta1, beta2")
    weight_decay: float = ranged(0.0, 0, doc="L2 weight decay")


@dataclass
class ScheduleConfig:
    """Learning-rate schedule: ``constant``, ``linear`` (to zero from ``decay_start`` x steps on)
    or ``step`` (multiply by ``gamma`` every ``every`` steps)."""

    kind: Literal["constant", "linear", "step"] = described("constant", doc="constant, linear (to zero from decay_start x steps), "
                                                                            "or step (x gamma every `every` steps)")
    decay_start: float = ranged(0.5, 0, 1, doc="linear: the fraction of the steps after which the rate decays")
    every: int = ranged(0, 0, doc="step: steps between two decays")
    gamma: float = ranged(0.5, 0, low_open=True, doc="step: the factor of each decay")


@dataclass
class AugmentConfig:
    """Augmentation applied on the device: random crop from ``jitter`` px (0 = off) and h-flips."""

    flip: bool = described(False, doc="random horizontal flips")
    jitter: int = ranged(0, 0, 4096, doc="load at this size, then crop randomly to the resolution (0 = off; pix2pix: 286 -> 256)")


def _component(name: str) -> Any:
    return lambda: ComponentConfig(name)


@dataclass
class TrainConfig:
    """Everything a training run needs; saved beside every run as ``config.json``.

    Each field declares its meaning (and, for numbers, its valid range; for choices, a ``Literal``
    type): the command line's help, docs/presets.md and the validation all read it from here.
    """

    preset: str = described(doc="the preset the run was made from")
    description: str = described("", doc="one line shown by `ganzoo presets` and in reports")
    task: ComponentConfig = described(factory=_component("unconditional"), doc="the G/D interplay (`ganzoo list task`)")
    dataset: ComponentConfig = described(factory=_component("shapes"), doc="the data (`ganzoo list dataset`)")
    nets: dict[str, ComponentConfig] = described(factory=dict, doc="one component per role of the task (generator, discriminator, ...)")
    conditioner: ComponentConfig | None = described(None, doc="turns the data's condition into what the networks take (`ganzoo list conditioner`)")
    loss: ComponentConfig = described(factory=_component("bce"), doc="the adversarial loss (`ganzoo list loss`)")
    resolution: int = ranged(32, 4, 4096, doc="image size fed to the networks, in pixels")
    channels: int = ranged(3, 1, 4, doc="image channels (1 grey, 3 RGB)")
    batch_size: int = ranged(64, 1, doc="images per step and process (the global batch is this x the number of processes)")
    steps: int = ranged(1000, 1, doc="training steps")
    epochs: float | None = ranged(None, 0, low_open=True, doc="training length in passes over the data; replaces steps when set")
    n_critic: int = ranged(1, 1, doc="discriminator steps per generator step (phases that repeat n_critic times)")
    ema: float = ranged(0.0, 0, 1, high_open=True, doc="EMA decay of the generator weights (0 = off)")
    ema_start: int = ranged(0, 0, doc="the step the EMA starts at (before it, the EMA copies the weights)")
    optim: dict[str, OptimConfig] = described(factory=dict, doc="Adam per phase of the task: optim.PHASE.lr, .betas, .weight_decay")
    schedule: ScheduleConfig = described(factory=ScheduleConfig, doc="the learning-rate schedule")
    augment: AugmentConfig = described(factory=AugmentConfig, doc="augmentation, applied on the device")
    precision: Precision = described("auto", doc="arithmetic: fp32, or bf16 autocast (auto: bf16 on CUDA when the fast step is on, else fp32)")
    seed: int = ranged(0, 0, 2**32 - 1, doc="seed of weights, noise, data order and augmentation")
    device: str = described("auto", doc="where to train: auto, cpu, cuda or cuda:N")
    log_every: int = ranged(50, 1, doc="steps between two lines of metrics.jsonl")
    sample_every: int = ranged(500, 1, doc="steps between two sample grids")
    checkpoint_every: int = ranged(1000, 1, doc="steps between two checkpoints")
    sample_count: int = ranged(64, 1, doc="images in a sample grid")
    snapshot_every: int = ranged(0, 0, doc="keep a numbered snapshot every K steps in RUN/snapshots (0 = none)")
    keep_snapshots: int = ranged(0, 0, doc="how many of the newest snapshots stay (0 = all); the best always stays")
    best_metric: str = described("", doc="the evaluated metric that picks RUN/best.pt (empty: the first one evaluated)")
    init_from: dict[str, str] = described(factory=dict, doc="parameters initialised from another run: {\"generator.stage1\" = \"runs/x:generator\"}")
    freeze: list[str] = described(factory=list, doc="roles or submodules kept frozen, e.g. [\"generator.stage1\"]")
    eval_every: int = ranged(0, 0, doc="score the model every K steps with eval_metrics on eval_count images (0 = never)")
    eval_metrics: list[str] = described(factory=list, doc="metrics of --eval-every (empty: the task's default)")
    eval_count: int = ranged(1000, 1, doc="images generated per evaluation")
    eval_reference_count: int = ranged(0, 0, doc="real images in the reference statistics of --eval-every, computed once per run "
                                                 "and cached (0: as many as eval_count)")
    eval_extractor: ComponentConfig = described(factory=_component("inception-fid"), doc="image features of FID, KID and IS")
    eval_text_extractor: ComponentConfig = described(factory=_component("clip"), doc="text-image agreement of clip-score and r-precision")
    fast: FastMode = described("auto", doc="the fast step, the whole step replayed as one CUDA graph: on, off, or auto "
                                           "(off until a GPU run shows parity; on the CPU it runs eagerly)")
    tensorboard: TensorBoardMode = described("auto", doc="TensorBoard events in RUN/tensorboard: on, off, or auto "
                                                         "(on when the tensorboard package is installed)")
    channels_last: bool = described(False, doc="channels-last memory format for the networks (bf16 convolutions on tensor cores)")

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
