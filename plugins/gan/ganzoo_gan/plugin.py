"""Entry point of the gan plugin: hands its components to ganzoo."""

from ganzoo.hookspecs import hookimpl
from ganzoo.registry import Component


@hookimpl
def ganzoo_components() -> list[Component]:
    return []
