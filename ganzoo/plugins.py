"""Plugin discovery and the process-wide registry.

Entry points in the ``ganzoo.plugins`` group are loaded one by one: a plugin that fails to import
(or whose hook raises, or that registers a name already taken) is recorded as *broken* with its
distribution, version and cause, and everything else keeps working. Set ``GANZOO_NO_AUTOLOAD=1``
to skip entry points (tests register throwaway plugins on a fresh :class:`PluginHost`).
"""

from __future__ import annotations

import importlib.metadata as metadata
import os
import traceback
from dataclasses import dataclass, field
from typing import Any

import pluggy

from ganzoo import hookspecs
from ganzoo.registry import Component, Provider, Registry, RegistryError
from ganzoo.version import CORE_DISTRIBUTION, __version__

AUTOLOAD_ENV = "GANZOO_NO_AUTOLOAD"
#: core components, registered through the same hooks as every third-party plugin.
BUILTIN_MODULES = ("ganzoo.builtins",)


@dataclass(frozen=True)
class BrokenPlugin:
    plugin: str
    distribution: str
    version: str
    cause: str

    def __str__(self) -> str:
        return f'plugin "{self.plugin}" ({self.distribution} {self.version}) is broken: {self.cause}'


@dataclass
class PluginHost:
    """A pluggy manager, the registry it fills, and what failed to load."""

    autoload: bool | None = None
    registry: Registry = field(default_factory=Registry)
    providers: dict[str, Provider] = field(default_factory=dict)
    broken: list[BrokenPlugin] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.manager = pluggy.PluginManager(hookspecs.PROJECT)
        self.manager.add_hookspecs(hookspecs)

        for module_name in BUILTIN_MODULES:
            module = __import__(module_name, fromlist=["_"])
            self.register(module, module_name, CORE_DISTRIBUTION, __version__)
        autoload = self.autoload if self.autoload is not None else not os.environ.get(AUTOLOAD_ENV)
        if autoload:
            self.load_entry_points()

    def load_entry_points(self) -> None:
        """Load every ``ganzoo.plugins`` entry point, sorted for a deterministic order."""
        points = sorted(metadata.entry_points(group=hookspecs.ENTRY_POINT_GROUP), key=lambda ep: (ep.dist.name if ep.dist else "", ep.name))
        for ep in points:
            dist = ep.dist.name if ep.dist else "(unknown distribution)"
            version = ep.dist.version if ep.dist else "?"
            if self.manager.has_plugin(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as error:  # a broken plugin must not take the tool down
                self._mark_broken(ep.name, dist, version, error)
                continue
            self.register(plugin, ep.name, dist, version)

    def register(self, plugin: Any, name: str, distribution: str = "(local)", version: str = "0") -> bool:
        """Register a plugin object and add its components; on failure record it as broken."""
        provider = Provider(name, distribution, version)
        try:
            self.manager.register(plugin, name=name)
        except Exception as error:
            self._mark_broken(name, distribution, version, error)
            return False
        try:
            caller = self.manager.subset_hook_caller("ganzoo_components", remove_plugins=[p for p in self.manager.get_plugins() if p is not plugin])
            items = [item for batch in caller() for item in (batch or [])]
            added: list[Component] = []
            try:
                for item in items:
                    added.append(self.registry.add(item, provider))
            except Exception:
                self.registry.remove_provider(name)
                raise
        except Exception as error:
            self.manager.unregister(plugin)
            self._mark_broken(name, distribution, version, error)
            return False
        self.providers[name] = provider
        return True

    def unregister(self, name: str) -> None:
        plugin = self.manager.get_plugin(name)
        if plugin is not None:
            self.manager.unregister(plugin)
        self.registry.remove_provider(name)
        self.providers.pop(name, None)

    def preset_texts(self) -> list[tuple[Provider, str]]:
        """(provider, TOML text) for every loaded plugin that ships presets."""
        texts = []
        for name, provider in self.providers.items():
            impl = getattr(self.manager.get_plugin(name), "ganzoo_presets", None)
            text = impl() if impl is not None else None
            if text:
                texts.append((provider, text))
        return texts

    def _mark_broken(self, name: str, distribution: str, version: str, error: BaseException) -> None:
        if isinstance(error, RegistryError):
            cause = str(error)
        else:
            frame = traceback.extract_tb(error.__traceback__)[-1:] if error.__traceback__ else []
            where = f" ({os.path.basename(frame[0].filename)}:{frame[0].lineno})" if frame else ""
            cause = f"{type(error).__name__}: {error}{where}"
        self.broken.append(BrokenPlugin(name, distribution, version, cause))


_host: PluginHost | None = None


def host() -> PluginHost:
    """The process-wide plugin host, loaded on first use."""
    global _host
    if _host is None:
        _host = PluginHost()
    return _host


def registry() -> Registry:
    return host().registry


def reset(new_host: PluginHost | None = None) -> None:
    """Replace the process-wide host (tests); ``None`` reloads on next use."""
    global _host
    _host = new_host
