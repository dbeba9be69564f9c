"""ganzoo's own components (datasets, conditioners, tasks), registered like any plugin's."""

from __future__ import annotations

from ganzoo.hookspecs import hookimpl
from ganzoo.registry import Component


@hookimpl
def ganzoo_components() -> list[Component]:
    return []
