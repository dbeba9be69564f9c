"""ganzoo: classic GANs behind one clean tool, built from plugins."""

from __future__ import annotations

__version__ = "0.1.0"

from ganzoo.hookspecs import hookimpl  # noqa: E402
from ganzoo.interfaces import Condition, Conditioner, Discriminator, Generator, Loss, Ports  # noqa: E402
from ganzoo.registry import Component, collect, component  # noqa: E402

__all__ = [
    "Component",
    "Condition",
    "Conditioner",
    "Discriminator",
    "Generator",
    "Loss",
    "Ports",
    "__version__",
    "collect",
    "component",
    "hookimpl",
]
