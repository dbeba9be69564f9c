"""The options that set a run's config, as one table shared by ``ganzoo train`` and ``ganzoo bench``.

Each row is a flag and what it sets. A flag that sets a config key takes its type, range, choices
and help from that key's declaration in :mod:`ganzoo.config`, so ``--help``, docs/cli.md (generated
from ``--help``), docs/presets.md (generated from the config) and the validation cannot disagree.
Flags default to ``None``: an option not given leaves the preset's value.

From flags to config: :func:`flag_overrides` turns the given flags into dotted-key overrides,
read against the preset's table (which roles its task has, which dataset it reads), and
:func:`ganzoo.resolve.resolve_run` applies them to the preset once and checks the result once.
"""

from __future__ import annotations

import copy
import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import click
from rich.markup import escape

from ganzoo.cli.common import err_console
from ganzoo.config import ComponentConfig, Range, TrainConfig, literal_choices
from ganzoo.data.catalog import catalog, entry_read_by
from ganzoo.data.guess import guess_loader
from ganzoo.presets import apply_override
from ganzoo.registry import Registry


@dataclass(frozen=True)
class PresetTable:
    """The preset's raw table (``extends`` resolved, flags not yet applied) and the registry: what a
    flag needs to know to say what it sets."""

    table: dict[str, Any]
    registry: Registry

    def component(self, key: str) -> ComponentConfig:
        """The component at top-level ``key`` (``task``, ``dataset``), or the config's default."""
        if key in self.table:
            return ComponentConfig.parse(self.table[key], key)
        return TrainConfig.__dataclass_fields__[key].default_factory()

    @property
    def task_roles(self) -> dict[str, str]:
        """Role -> kind of the preset's task (``{"gen_ab": "generator", ...}`` for UGATIT)."""
        return self.registry.get("task", self.component("task").name).factory.roles

    def networks(self) -> list[tuple[str, str]]:
        """(kind, component name) of each network the preset names for its task's roles."""
        nets = self.table.get("nets", {})
        return [(kind, ComponentConfig.parse(nets[role], f"nets.{role}").name) for role, kind in self.task_roles.items() if role in nets]


Overrides = dict[str, Any]


@dataclass(frozen=True)
class Flag:
    """An option: ``--name`` (``dest`` in the command's keyword arguments) and what it sets."""

    name: str
    help: str
    #: may be given with ``--resume`` (it changes how the run goes on, not what it learns).
    on_resume: bool = False

    @property
    def dest(self) -> str:
        return self.name.replace("-", "_")

    def option(self) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return click.option(f"--{self.name}", self.dest, help=self.help)

    def overrides(self, value: Any, preset: PresetTable) -> Overrides:
        raise NotImplementedError


@dataclass(frozen=True)
class Setting(Flag):
    """Sets the top-level config key of the same name; type, range, choices and help come from it."""

    help: str = ""
    #: config keys reset to their default when this flag is given (``--steps`` clears ``epochs``).
    clears: tuple[str, ...] = ()

    @property
    def field(self) -> dataclasses.Field:
        return TrainConfig.__dataclass_fields__[self.dest]

    def option(self) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        hint = typing.get_type_hints(TrainConfig)[self.dest]
        return click.option(f"--{self.name}", self.dest, type=click_type(hint, self.field.metadata.get("range")),
                            help=self.help or sentence(self.field.metadata["doc"]))

    def overrides(self, value: Any, preset: PresetTable) -> Overrides:
        return {self.dest: value} | {key: TrainConfig.__dataclass_fields__[key].default for key in self.clears}


@dataclass(frozen=True)
class Switch(Setting):
    """``--name/--no-name`` setting the config key to ``on`` or ``off``."""

    def option(self) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return click.option(f"--{self.name}/--no-{self.name}", self.dest, default=None,
                            help=self.help or sentence(self.field.metadata["doc"]))

    def overrides(self, value: Any, preset: PresetTable) -> Overrides:
        return {self.dest: "on" if value else "off"}


@dataclass(frozen=True)
class Part(Flag):
    """Names the component of a kind: every role of that kind (UGATIT's ``gen_ab`` and ``gen_ba``),
    or the one role named like the kind when the preset has it; ``loss``, ``conditioner`` (``none``
    removes it) and ``dataset`` are the config keys of those names."""

    kind: str = ""

    def overrides(self, value: Any, preset: PresetTable) -> Overrides:
        if self.kind == "conditioner":
            return {"conditioner": None if value == "none" else {"name": value}}
        if self.kind in ("loss", "dataset"):
            return {f"{self.kind}.name": value}
        nets = preset.table.get("nets", {})
        return {f"nets.{role}.name": value for role, kind in preset.task_roles.items()
                if kind == self.kind and (role == self.kind or self.kind not in nets)}


@dataclass(frozen=True)
class DatasetArgument(Flag):
    """Sets one keyword argument of the dataset component."""

    click_type: Any = None
    is_flag: bool = False

    def option(self) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        if self.is_flag:
            # not given is None (the preset's value), not False
            return click.option(f"--{self.name}", self.dest, is_flag=True, default=None, callback=lambda c, p, v: v or None,
                                help=self.help)
        return click.option(f"--{self.name}", self.dest, type=self.click_type, help=self.help)

    def overrides(self, value: Any, preset: PresetTable) -> Overrides:
        return {f"dataset.{self.dest}": value}


@dataclass(frozen=True)
class DataPath(Flag):
    """``--data PATH``: the dataset's root (or manifest); for a built-in dataset, which takes no path,
    the loader that reads PATH's layout for the task (a note says what was guessed)."""

    def option(self) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return click.option(f"--{self.name}", self.dest, type=click.Path(exists=True, path_type=Path), help=self.help)

    def overrides(self, value: Any, preset: PresetTable, dataset: str | None = None) -> Overrides:
        dataset = dataset or preset.component("dataset").name
        task = preset.registry.get("task", preset.component("task").name).factory
        return data_overrides(value, dataset, task, preset.registry)


@dataclass(frozen=True)
class InitFrom(Flag):
    """``--init-from TARGET=RUN[:ROLE]`` (repeatable), added to the preset's ``init_from``."""

    def option(self) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return click.option(f"--{self.name}", self.dest, multiple=True, metavar="TARGET=RUN[:ROLE]",
                             callback=lambda c, p, v: [parse_init(x) for x in v] or None, help=self.help)

    def overrides(self, value: Any, preset: PresetTable) -> Overrides:
        return {"init_from": dict(preset.table.get("init_from", {})) | dict(value)}


@dataclass(frozen=True)
class Assignments(Flag):
    """``--set KEY=VALUE`` (repeatable): any key, the value read as TOML; applied after every other flag."""

    def option(self) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return click.option(f"--{self.name}", self.dest, multiple=True, metavar="KEY=VALUE",
                            callback=lambda c, p, v: [parse_assignment(x) for x in v] or None, help=self.help)

    def overrides(self, value: Any, preset: PresetTable) -> Overrides:
        return dict(value)


def data_overrides(path: Path, dataset: str, task_class: type, registry: Registry) -> Overrides:
    """``--data PATH`` for ``dataset``: its ``root``/``manifest`` argument when it takes one, else the
    loader reading PATH's layout for the task (a note on stderr says what was guessed)."""
    params = registry.get("dataset", dataset).parameters()
    for key in ("root", "manifest"):
        if key in params:
            return {f"dataset.{key}": str(path)}
    guess = guess_loader(path, task_class.layout, task_class.condition_kind, catalog(registry))
    if guess.note:
        err_console.print(f"--data: {escape(guess.note)}", soft_wrap=True)
    return {"dataset.name": guess.name, **{f"dataset.{key}": value for key, value in guess.arguments.items()}}


GEN = Part("gen", "Generator component (overrides the preset's).", kind="generator")
DISC = Part("disc", "Discriminator component, e.g. patchgan-sn or timm:resnet18.", kind="discriminator")
#: the options of ``ganzoo train`` that set the run's config, in the order ``--help`` lists them.
TRAIN_FLAGS: tuple[Flag, ...] = (
    GEN,
    DISC,
    Part("loss", "Adversarial loss component (bce, nonsaturating, lsgan, hinge, ...).", kind="loss"),
    Part("cond", "Conditioner component (class, learned, clip, embeddings) or 'none'.", kind="conditioner"),
    Part("dataset", "Dataset component (see `ganzoo list dataset`).", kind="dataset"),
    DataPath("data", "Root of real data for the dataset (default: the built-in set, or the data home's copy of a known dataset). "
                     "A preset on built-in data reads PATH with the loader its layout calls for (class folders, A|B files, "
                     "trainA/trainB, caption files, a .jsonl manifest), at its train/ split when it has one."),
    DatasetArgument("direction", "Paired data: which half is the input.", click_type=click.Choice(["AtoB", "BtoA"])),
    DatasetArgument("skip-bad", "Skip unreadable/too-small images instead of failing.", is_flag=True),
    Setting("device", on_resume=True),
    Setting("precision"),
    Switch("fast", on_resume=True),
    Setting("seed"),
    Setting("steps", on_resume=True, clears=("epochs",)),
    Setting("epochs", on_resume=True, clears=("steps",)),
    Setting("batch-size"),
    Setting("resolution"),
    Setting("channels"),
    Setting("ema"),
    Setting("eval-every"),
    Setting("eval-reference-count"),
    Switch("tensorboard", on_resume=True),
    Setting("snapshot-every"),
    Setting("keep-snapshots"),
    Setting("best-metric"),
    Assignments("set", "Override any preset key, e.g. --set nets.generator.latent_dim=128 (repeatable)."),
    InitFrom("init-from", "Initialise a network or submodule from another run, e.g. "
                          "generator.stage1=runs/stackgan-000:generator (repeatable)."),
)
#: ``ganzoo bench`` times the preset's step with these changed.
BENCH_FLAGS: tuple[Flag, ...] = tuple(flag for flag in TRAIN_FLAGS if flag.name in
                                      ("gen", "disc", "device", "precision", "batch-size", "resolution", "set"))


def flag_options(flags: Iterable[Flag]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a click command with the options of ``flags``, in table order."""
    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for flag in reversed(tuple(flags)):
            command = flag.option()(command)
        return command

    return decorate


def given(flags: Iterable[Flag], values: dict[str, Any]) -> list[tuple[Flag, Any]]:
    """The flags the user gave, with their values (a flag not given is ``None``)."""
    return [(flag, values[flag.dest]) for flag in flags if values.get(flag.dest) is not None]


def flag_overrides(flags: Iterable[Flag], values: dict[str, Any], preset: PresetTable) -> Overrides:
    """The dotted-key overrides of the given flags, in table order (``--set`` last, so it wins)."""
    overrides: Overrides = {}
    chosen = dict(given(flags, values))
    named = {flag.dest for flag in chosen}
    for flag, value in chosen.items():
        if isinstance(flag, DataPath):  # the dataset named by --dataset, when given, reads PATH
            dataset = next((v for f, v in chosen.items() if isinstance(f, Part) and f.kind == "dataset"), None)
            overrides.update(flag.overrides(value, preset, dataset))
        elif not isinstance(flag, Assignments):  # a key another given flag sets is not cleared (--steps 5 --epochs 2: both, refused)
            overrides.update({key: setting for key, setting in flag.overrides(value, preset).items() if key == flag.dest or key not in named})
    for flag, value in chosen.items():
        if isinstance(flag, Assignments):
            overrides.update(flag.overrides(value, preset))
    return overrides | native_overrides(overrides, preset)


def native_overrides(overrides: Overrides, preset: PresetTable) -> Overrides:
    """A known dataset the flags switch to brings its own resolution and channels (MNIST: 28 px grey,
    trained at 32 px where the networks take 32 and up), unless a flag or ``--set`` gives them; a
    note on stderr says so. A preset naming the dataset itself keeps its own values."""
    table = copy.deepcopy(preset.table)
    for dotted, value in overrides.items():
        apply_override(table, dotted, value)
    chosen = PresetTable(table, preset.registry)
    dataset = chosen.component("dataset").name
    if dataset == preset.component("dataset").name or dataset not in preset.registry.names("dataset"):
        return {}
    entry = entry_read_by(preset.registry.get("dataset", dataset).factory)
    if entry is None:
        return {}
    ports = [preset.registry.get(kind, name).ports for kind, name in chosen.networks() if name in preset.registry.names(kind)]
    native: Overrides = {}
    if entry.resolution and "resolution" not in overrides:
        native["resolution"] = nearest_size(entry.resolution, [p.resolutions for p in ports if p.resolutions])
    if entry.channels and "channels" not in overrides and all(not p.channels or entry.channels in p.channels for p in ports):
        native["channels"] = entry.channels
    if native:
        said = ", ".join(f"{key} {value}" for key, value in native.items())
        fitted = native.get("resolution", entry.resolution) != entry.resolution
        why = f"its images are {entry.resolution} px; {native['resolution']} is the nearest size the networks take" if fitted else "the dataset's own"
        err_console.print(f"dataset {escape(dataset)}: {said} ({why}); --resolution and --channels choose others", soft_wrap=True)
    return native


def nearest_size(native: int, declared: list[tuple[int, ...]]) -> int:
    """``native`` where every network takes it, else the smallest size above it they all take
    (else the largest below)."""
    common = set.intersection(*(set(sizes) for sizes in declared)) if declared else set()
    if not common or native in common:
        return native
    above = [size for size in common if size > native]
    return min(above) if above else max(common)


def click_type(hint: Any, bounds: Range | None) -> Any:
    """The click parameter type of a config field: a choice, or a number within its range."""
    choices = literal_choices(hint)
    if choices:
        return click.Choice([str(choice) for choice in choices])
    numbers = {arg for arg in (typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,))}
    kind = float if float in numbers else int if int in numbers else None
    if kind is None:
        return None
    ranged = click.FloatRange if kind is float else click.IntRange
    if bounds is None:
        return ranged()
    return ranged(min=bounds.low, max=bounds.high, min_open=bounds.low_open, max_open=bounds.high_open)


def sentence(doc: str) -> str:
    """A config field's description as help text: capitalised, with a full stop."""
    return doc[:1].upper() + doc[1:] + ("" if doc.endswith(".") else ".")


def parse_assignment(text: str) -> tuple[str, Any]:
    """``key.sub=value`` with the value read as TOML (numbers, booleans, lists), else a string."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise click.BadParameter(f"{text!r} is not KEY=VALUE (e.g. nets.generator.latent_dim=128)", param_hint="--set")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key.strip(), value


def parse_init(text: str) -> tuple[str, str]:
    """``TARGET=RUN[:ROLE]`` for --init-from."""
    target, sep, source = text.partition("=")
    if not sep or not target.strip() or not source.strip():
        raise click.BadParameter(f"{text!r} is not TARGET=RUN[:ROLE] (e.g. generator.stage1=runs/stackgan-000:generator)",
                                 param_hint="--init-from")
    return target.strip(), source.strip()
