"""A typed registry of components by kind and name, in the manner of timm's model registry.

Plugins describe components with :func:`component` and hand them to the host through the
``ganzoo_components`` hook; the host adds them to a :class:`Registry`. Components are always
created from ``(name, keyword arguments)`` so that any run or export can be rebuilt from a
description alone.
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import inspect
import re
import sys
import typing
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable

from ganzoo.errors import GanzooError
from ganzoo.interfaces import Ports

KINDS: tuple[str, ...] = ("generator", "discriminator", "loss", "conditioner", "dataset", "task", "metric", "extractor")


class RegistryError(GanzooError):
    """A user-facing registry problem; the message is one line and names the way out."""


class UnknownComponent(RegistryError):
    pass


class DuplicateComponent(RegistryError):
    pass


class BadArguments(RegistryError):
    pass


@dataclass(frozen=True)
class Provider:
    """Who provides a component: the plugin name and its installed distribution."""

    plugin: str
    distribution: str
    version: str

    def __str__(self) -> str:
        return f"{self.distribution} {self.version}"


@dataclass(frozen=True)
class Component:
    """A registered, named factory of one kind, with the ports it declares.

    ``factory`` may be a class or a function; its keyword parameters (and their defaults) are the
    component's public parameters, shown by ``ganzoo info`` and recorded in every run.
    """

    kind: str
    name: str
    factory: Callable[..., Any]
    description: str = ""
    ports: Ports = field(default_factory=Ports)
    provider: Provider | None = None
    #: the module that made it (where :func:`component` was applied; else the factory's module):
    #: :func:`collect` takes a module's own components, not the ones it imports.
    module: str = ""

    def __post_init__(self) -> None:
        if not self.module:
            object.__setattr__(self, "module", getattr(self.factory, "__module__", "") or "")
        if self.kind not in KINDS:
            raise RegistryError(f"component {self.name!r} has unknown kind {self.kind!r}; valid: {', '.join(KINDS)}")
        if not re.fullmatch(r"[a-z0-9][a-z0-9_.:-]*", self.name):
            raise RegistryError(f"component name {self.name!r} must be lower-case letters, digits, '-', '_', '.', ':'")

    def __call__(self, **kwargs: Any) -> Any:
        return self.create(**kwargs)

    @property
    def qualified(self) -> str:
        return f"{self.kind} {self.name!r}"

    def parameters(self) -> dict[str, Any]:
        """Keyword parameters and their defaults (``inspect.Parameter.empty`` when required)."""
        params = {}
        for p in inspect.signature(self.factory).parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            params[p.name] = p.default
        return params

    def accepts_any_keyword(self) -> bool:
        return any(p.kind == p.VAR_KEYWORD for p in inspect.signature(self.factory).parameters.values())

    def check_arguments(self, kwargs: dict[str, Any]) -> None:
        """Refuse keyword arguments the factory does not take, naming the valid ones."""
        if self.accepts_any_keyword():
            return
        valid = self.parameters()
        unknown = sorted(set(kwargs) - set(valid))
        if unknown:
            raise BadArguments(
                f"{self.qualified} has no parameter {', '.join(map(repr, unknown))}; "
                f"valid: {', '.join(valid) or '(none)'}"
            )

    def create(self, **kwargs: Any) -> Any:
        """Build the component; ``None`` values are dropped so unset options keep the defaults."""
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        self.check_arguments(kwargs)
        return self.factory(**kwargs)


def component(
    kind: str,
    name: str | None = None,
    *,
    description: str | None = None,
    ports: Ports | None = None,
) -> Callable[[Callable[..., Any]], Component]:
    """Decorator turning a factory (class or function) into a :class:`Component`.

    The name defaults to the function name with ``_`` replaced by ``-``; the description to the
    first line of the docstring. Return the decorated objects from your ``ganzoo_components`` hook.
    """
    module = sys._getframe(1).f_globals.get("__name__", "")

    def wrap(factory: Callable[..., Any]) -> Component:
        doc = (factory.__doc__ or "").strip().splitlines()
        return Component(
            kind=kind,
            name=name or factory.__name__.replace("_", "-").lower(),
            factory=factory,
            description=description if description is not None else (doc[0] if doc else ""),
            ports=ports or Ports(),
            module=module,
        )

    return wrap


def with_defaults(base: Component | Callable[..., Any], **defaults: Any) -> Callable[..., Any]:
    """The factory of ``base`` with some defaults changed, for a thin named variant (``dcgan-sn``).

    Unlike :func:`functools.partial`, the result (keywords only) keeps the factory's signature and
    resolved type hints, with the changed defaults still parameters: ``ganzoo info`` shows them, a
    preset may set them, and their values are type-checked like any other argument. A default for
    a parameter the factory does not take is a :class:`TypeError` at import, not at training time.
    """
    factory = base.factory if isinstance(base, Component) else base
    signature = inspect.signature(factory)
    unknown = sorted(set(defaults) - set(signature.parameters))
    if unknown:
        raise TypeError(f"{getattr(factory, '__name__', factory)!r} has no parameter {', '.join(unknown)}")
    try:
        hints = typing.get_type_hints(factory.__init__ if inspect.isclass(factory) else factory)
    except Exception:  # unresolvable annotations stay unchecked, as for the factory itself
        hints = {}

    @functools.wraps(factory, assigned=("__module__", "__name__", "__qualname__", "__doc__"), updated=())
    def variant(**kwargs: Any) -> Any:
        return factory(**{**defaults, **kwargs})

    variant.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[p.replace(kind=p.KEYWORD_ONLY, default=defaults.get(p.name, p.default)) for p in signature.parameters.values()]
    )
    variant.__annotations__ = {k: v for k, v in hints.items() if k in signature.parameters}
    return variant


def _natural_key(text: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


class Registry:
    """Components by kind and name. Plain dicts; unknown names are rejected with the choices."""

    def __init__(self) -> None:
        self._components: dict[str, dict[str, Component]] = {kind: {} for kind in KINDS}

    def add(self, item: Component, provider: Provider | None = None) -> Component:
        if not isinstance(item, Component):
            raise RegistryError(f"expected a ganzoo Component, got {type(item).__name__} ({item!r})")
        if provider is not None:
            item = replace(item, provider=provider)
        existing = self._components[item.kind].get(item.name)
        if existing is not None:
            raise DuplicateComponent(
                f"{item.qualified} is registered twice: by {_who(existing.provider)} and by {_who(item.provider)}; "
                "uninstall one of them"
            )
        self._components[item.kind][item.name] = item
        return item

    def remove_provider(self, plugin: str) -> None:
        for table in self._components.values():
            for name in [n for n, c in table.items() if c.provider and c.provider.plugin == plugin]:
                del table[name]

    def get(self, kind: str, name: str) -> Component:
        if kind not in KINDS:
            raise UnknownComponent(f"unknown kind {kind!r}; valid: {', '.join(KINDS)}")
        table = self._components[kind]
        if name in table:
            return table[name]
        raise UnknownComponent(unknown_message(kind, name, sorted(table, key=_natural_key)))

    def find(self, name: str) -> list[Component]:
        """Every component of any kind with this name."""
        return [table[name] for table in self._components.values() if name in table]

    def names(self, kind: str) -> list[str]:
        return sorted(self._components[kind], key=_natural_key)

    def list(
        self,
        kind: str | None = None,
        pattern: str | Iterable[str] | None = None,
        exclude: str | Iterable[str] | None = None,
    ) -> list[Component]:
        """Components filtered by kind and fnmatch wildcards, naturally sorted (timm's ``list_models``)."""
        kinds = KINDS if kind is None else (kind,)
        if kind is not None and kind not in KINDS:
            raise UnknownComponent(f"unknown kind {kind!r}; valid: {', '.join(KINDS)}")
        include = [pattern] if isinstance(pattern, str) else list(pattern or [])
        excluded = [exclude] if isinstance(exclude, str) else list(exclude or [])
        found = []
        for k in kinds:
            for name, item in self._components[k].items():
                if include and not any(fnmatch.fnmatchcase(name, p) for p in include):
                    continue
                if any(fnmatch.fnmatchcase(name, p) for p in excluded):
                    continue
                found.append(item)
        return sorted(found, key=lambda c: (KINDS.index(c.kind), _natural_key(c.name)))

    def create(self, kind: str, name: str, **kwargs: Any) -> Any:
        return self.get(kind, name).create(**kwargs)

    def __len__(self) -> int:
        return sum(len(t) for t in self._components.values())


def unknown_message(kind: str, name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=3, cutoff=0.5)
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    return f"unknown {kind} {name!r}.{hint} Valid: {', '.join(choices) or '(none registered)'}"


def _who(provider: Provider | None) -> str:
    return f"{provider.distribution} {provider.version} (plugin {provider.plugin!r})" if provider else "an unnamed caller"


def collect(*namespaces: Any) -> list[Component]:
    """Every :class:`Component` defined at the top level of the given modules (or ``globals()``
    dicts), in definition order. Components a module merely imports are left to the module that
    defines them, so a plugin may import a built-in loss without registering it a second time."""
    found: list[Component] = []
    for namespace in namespaces:
        names = namespace if isinstance(namespace, dict) else vars(namespace)
        owner = names.get("__name__")
        found.extend(v for v in names.values()
                     if isinstance(v, Component) and (owner is None or v.module == owner) and v not in found)
    return found
