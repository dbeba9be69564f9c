"""Entry point of the ugatit plugin: hands its components to ganzoo."""

from ganzoo.hookspecs import hookimpl
from ganzoo.registry import Component, collect
from ganzoo_ugatit import nets, task


@hookimpl
def ganzoo_components() -> list[Component]:
    return collect(nets, task)
