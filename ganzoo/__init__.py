"""ganzoo: classic GANs behind one clean tool, built from plugins."""

from __future__ import annotations

from typing import Any

from ganzoo.hookspecs import hookimpl
from ganzoo.interfaces import (
    Condition,
    Conditioner,
    Discriminator,
    ExtraOutput,
    GenerativeTask,
    Generator,
    Loss,
    Phase,
    Ports,
    Task,
    Translation,
    TranslationTask,
)
from ganzoo.registry import Component, collect, component
from ganzoo.version import __version__


def __getattr__(name: str) -> Any:
    """``ganzoo.load`` imported on first use, so ``import ganzoo`` (every plugin does) stays light."""
    if name == "load":
        from ganzoo.loading import load

        return load
    raise AttributeError(f"module 'ganzoo' has no attribute {name!r}")


__all__ = [
    "Component",
    "Condition",
    "Conditioner",
    "Discriminator",
    "ExtraOutput",
    "GenerativeTask",
    "Generator",
    "Loss",
    "Phase",
    "Ports",
    "Task",
    "Translation",
    "TranslationTask",
    "__version__",
    "collect",
    "component",
    "hookimpl",
    "load",
]
