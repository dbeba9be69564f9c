"""Entry point of the gan plugin: hands its components to ganzoo."""

from ganzoo.hookspecs import hookimpl
from ganzoo.presets import package_presets
from ganzoo.registry import Component, collect
from ganzoo_gan import mlp


@hookimpl
def ganzoo_components() -> list[Component]:
    return collect(mlp)


@hookimpl
def ganzoo_presets() -> str:
    return package_presets(__package__)
