"""Check a mix of components from their declared ports, before anything is built.

Each component declares what it accepts (``Ports``); a task declares its roles, the condition it
feeds and the dataset layout it reads. :func:`check_mix` compares declarations and raises
:class:`MixError` with one line naming both parts and the mismatch.
"""

from __future__ import annotations

import inspect
import types
import typing
from dataclasses import dataclass
from typing import Any, Collection

from ganzoo.config import ComponentConfig, ConfigError, TrainConfig, convert
from ganzoo.errors import GanzooError
from ganzoo.interfaces import Ports
from ganzoo.registry import Component, Registry, RegistryError


class MixError(GanzooError):
    """An incompatible mix of components; the message names both parts and the mismatch."""


@dataclass(frozen=True)
class Resolved:
    """A registered component and the keyword arguments the config gives it."""

    component: Component
    kwargs: dict[str, Any]

    @property
    def name(self) -> str:
        return self.component.name

    @property
    def ports(self) -> Ports:
        return self.component.ports


def resolve(registry: Registry, kind: str, config: ComponentConfig) -> Resolved:
    """The component and kwargs for ``config``; ``family:variant`` means ``family`` with ``variant=``."""
    try:
        return Resolved(registry.get(kind, config.name), dict(config.kwargs))
    except RegistryError:
        family, sep, variant = config.name.partition(":")
        if not sep or family not in registry.names(kind):
            raise
        return Resolved(registry.get(kind, family), {**config.kwargs, "variant": variant})


_PLAIN = (int, float, str, bool, type(None))


def _is_plain(hint: Any) -> bool:
    """Whether ``hint`` is built from numbers, strings, booleans and lists/tuples/dicts of them."""
    if hint in _PLAIN:
        return True
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return True
    if origin in (typing.Union, types.UnionType, list, tuple, dict):
        return all(_is_plain(arg) for arg in typing.get_args(hint) if arg is not Ellipsis)
    return False


def check_argument_types(item: Resolved, key: str) -> None:
    """Refuse a keyword argument whose value does not fit the factory's annotation, naming the
    config key (``nets.generator.latent_dim``), the value and the expected type."""
    factory = item.component.factory
    try:
        hints = typing.get_type_hints(factory.__init__ if inspect.isclass(factory) else factory)
    except Exception:  # annotations that cannot be resolved here are not checked
        return
    for name, value in item.kwargs.items():
        hint = hints.get(name)
        if hint is None or not _is_plain(hint):
            continue
        if typing.get_origin(hint) is typing.Literal:
            fits = value in typing.get_args(hint)
        else:
            try:
                convert(hint, value, f"{key}.{name}")
                fits = True
            except ConfigError:
                fits = False
        if not fits:
            if typing.get_origin(hint) is typing.Literal:
                expected = "one of " + ", ".join(map(repr, typing.get_args(hint)))
            else:
                expected = getattr(hint, "__name__", None) or str(hint).replace("typing.", "")
            raise MixError(f"{key}.{name} = {value!r}: {item.component.qualified} takes {expected}")


def _kinds(values: tuple[str, ...] | None) -> str:
    return "/".join(map(str, values)) if values else "any"


@dataclass(frozen=True)
class Mix:
    """The resolved components of a config, checked to work together."""

    task: Resolved
    #: ``None`` in a mix checked for rebuilding some networks only (see :func:`check_mix`).
    dataset: Resolved | None
    loss: Resolved | None
    conditioner: Resolved | None
    nets: dict[str, Resolved]
    #: the condition kind the networks are fed (after the conditioner, if any).
    fed: str

    @property
    def task_class(self) -> type:
        return self.task.component.factory


def check_mix(config: TrainConfig, registry: Registry, roles: Collection[str] | None = None) -> Mix:
    """The checked mix of ``config``. ``roles``: rebuild only those networks (loading a model to
    sample): the dataset, the loss and the other roles are then neither needed nor checked, so
    their plugins need not be installed."""
    task = resolve(registry, "task", config.task)
    task_class = task.component.factory
    task_label = f"task {task.name!r}"
    check_argument_types(task, "task")
    raw = task_class.condition_kind
    dataset = loss = None
    feeder = f"the data via {task_label}"
    if roles is None:
        dataset = resolve(registry, "dataset", config.dataset)
        loss = resolve(registry, "loss", config.loss)
        check_argument_types(dataset, "dataset")
        check_argument_types(loss, "loss")
        check_dataset(config, dataset, task_class, task_label)
        feeder = f"dataset {dataset.name!r} via {task_label}"

    fed = raw
    conditioner = None
    if config.conditioner is not None:
        conditioner = resolve(registry, "conditioner", config.conditioner)
        check_argument_types(conditioner, "conditioner")
        if raw not in conditioner.ports.conditions:
            raise MixError(
                f"conditioner {conditioner.name!r} consumes {_kinds(conditioner.ports.conditions)} "
                f"but {task_label} provides {raw}"
            )
        fed, feeder = conditioner.ports.produces or raw, f"conditioner {conditioner.name!r}"
    elif raw == "text":
        raise MixError(f"{task_label} gives captions, which networks cannot take directly: choose a text conditioner with --cond (learned, clip, embeddings)")

    task_roles = dict(task_class.roles)
    missing = [role for role in task_roles if role not in config.nets]
    extra = [role for role in config.nets if role not in task_roles]
    if missing or extra:
        problem = f"needs {', '.join(missing)}" if missing else f"has no role {', '.join(extra)}"
        raise MixError(f"{task_label} {problem}; its roles are {', '.join(task_roles)} (preset {config.preset!r} [nets])")

    nets: dict[str, Resolved] = {}
    for role, kind in task_roles.items():
        if roles is not None and role not in roles:
            continue
        item = resolve(registry, kind, config.nets[role])
        check_argument_types(item, f"nets.{role}")
        label = f"{kind} {item.name!r}" + (f" (role {role})" if role != kind else "")
        ports = item.ports
        role_fed = task_class.role_conditions.get(role, fed)
        if role_fed not in ports.conditions:
            raise MixError(f"{label} accepts {_kinds(ports.conditions)} conditions but {feeder} feeds it {role_fed}")
        if kind == "generator" and (ports.input == "image") != (role_fed == "image"):
            given = "a source image" if role_fed == "image" else "noise"
            raise MixError(f"{label} translates from {'an image' if ports.input == 'image' else 'noise'} but {task_label} feeds it {given}")
        if ports.resolutions and config.resolution not in ports.resolutions:
            raise MixError(f"{label} works at {_kinds(ports.resolutions)} px, not at {config.resolution} px (--resolution)")
        if ports.channels and config.channels not in ports.channels:
            raise MixError(f"{label} takes {_kinds(ports.channels)} channels, not {config.channels} (--channels)")
        lacking = set(task_class.requires.get(role, ())) - set(ports.features)
        if lacking:
            raise MixError(f"{task_label} needs {', '.join(sorted(lacking))} from its {role} but {label} does not provide it")
        nets[role] = item
    return Mix(task=task, dataset=dataset, loss=loss, conditioner=conditioner, nets=nets, fed=fed)


def check_dataset(config: TrainConfig, dataset: Resolved, task_class: type, task_label: str) -> None:
    """The dataset gives the task its layout and condition, at the config's channels and size."""
    raw = task_class.condition_kind
    data_label = f"dataset {dataset.name!r}"
    if task_class.layout not in dataset.ports.features:
        layouts = sorted(dataset.ports.features & {"images", "paired", "unpaired"})
        raise MixError(f"{task_label} reads {task_class.layout} data but {data_label} is {_kinds(tuple(layouts))}")
    if raw not in dataset.ports.conditions:
        raise MixError(f"{task_label} needs {raw} conditions but {data_label} provides {_kinds(dataset.ports.conditions)}")
    if dataset.ports.channels and config.channels not in dataset.ports.channels:
        raise MixError(f"{data_label} provides {_kinds(dataset.ports.channels)} channels, not {config.channels} (--channels)")
    if dataset.ports.resolutions and config.resolution not in dataset.ports.resolutions:
        raise MixError(f"{data_label} provides {_kinds(dataset.ports.resolutions)} px, not {config.resolution} (--resolution)")
