"""Entry point of the ugatit plugin: hands its components to ganzoo."""

from ganzoo.hookspecs import hookimpl
from ganzoo.presets import package_presets
from ganzoo.registry import Component, collect
from ganzoo_ugatit import data, nets, task


@hookimpl
def ganzoo_components() -> list[Component]:
    return collect(nets, task, data)


@hookimpl
def ganzoo_presets() -> str:
    return package_presets(__package__)
