"""Entry point of the stackgan plugin: hands its components to ganzoo.

Generators ``stackgan-stage1`` and ``stackgan-stage2``, discriminator ``stackgan`` (its depth
follows the resolution, so it serves both stages), task ``text-conditional-stacked``, and the
datasets ``captions-reed``, ``cub200-reed`` and ``flowers102-reed`` (with their catalog entries).
"""

from ganzoo.hookspecs import hookimpl
from ganzoo.interfaces import Ports
from ganzoo.presets import package_presets
from ganzoo.registry import Component, collect, component
from ganzoo_stackgan import data
from ganzoo_stackgan.stage1 import StageOneGenerator, TextMatchingDiscriminator
from ganzoo_stackgan.stage2 import StageTwoGenerator
from ganzoo_stackgan.task import StackedTextConditionalTask

stage1_generator = component(
    "generator",
    "stackgan-stage1",
    description="StackGAN Stage-I: conditioning-augmented caption + noise -> coarse image (64 px in the paper)",
    ports=Ports(resolutions=(8, 16, 32, 64, 128, 256), conditions=("embedding",)),
)(StageOneGenerator)
stage2_generator = component(
    "generator",
    "stackgan-stage2",
    description="StackGAN Stage-II: refines a frozen Stage-I generator's image to 4x its resolution (256 px in the paper)",
    ports=Ports(resolutions=(32, 64, 128, 256, 512), conditions=("embedding",)),
)(StageTwoGenerator)
discriminator = component(
    "discriminator",
    "stackgan",
    description="StackGAN discriminator: image down to 4x4 joined with the compressed caption; depth follows the resolution",
    ports=Ports(resolutions=(8, 16, 32, 64, 128, 256, 512), conditions=("none", "embedding")),
)(TextMatchingDiscriminator)
stacked_task = component("task", "text-conditional-stacked")(StackedTextConditionalTask)


@hookimpl
def ganzoo_components() -> list[Component]:
    return [stage1_generator, stage2_generator, discriminator, stacked_task, *collect(data)]


@hookimpl
def ganzoo_presets() -> str:
    return package_presets(__package__)
