"""ganzoo: classic GANs behind one clean tool, built from plugins."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ganzoo.hookspecs import hookimpl
from ganzoo.version import __version__

if TYPE_CHECKING:
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
    from ganzoo.loading import load
    from ganzoo.registry import Component, collect, component

#: where each public name lives: imported on first use, so ``import ganzoo`` (every plugin and
#: every command does) costs no ``import torch`` until something needs it (``ganzoo --help`` does not).
_PUBLIC = {
    **dict.fromkeys(("Condition", "Conditioner", "Discriminator", "ExtraOutput", "GenerativeTask", "Generator", "Loss", "Phase",
                     "Ports", "Task", "Translation", "TranslationTask"), "ganzoo.interfaces"),
    **dict.fromkeys(("Component", "collect", "component"), "ganzoo.registry"),
    "load": "ganzoo.loading",
}


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
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
