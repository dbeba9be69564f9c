"""Entry point of the pix2pix plugin: hands its components to ganzoo."""

from ganzoo.hookspecs import hookimpl
from ganzoo.presets import package_presets
from ganzoo.registry import Component, collect
from ganzoo_pix2pix import patchgan, resnet, task, unet


@hookimpl
def ganzoo_components() -> list[Component]:
    return collect(unet, resnet, patchgan, task)


@hookimpl
def ganzoo_presets() -> str:
    return package_presets(__package__)
