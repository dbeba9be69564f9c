"""Entry point of the stackgan plugin: hands its components to ganzoo.

Generators ``stackgan-stage1`` and ``stackgan-stage2``, discriminator ``stackgan`` (its depth
follows the resolution, so it serves both stages) and task ``text-conditional-stacked``.
"""

from ganzoo.hookspecs import hookimpl
from ganzoo.interfaces import Ports
from ganzoo.registry import Component, component
from ganzoo_stackgan.stage1 import StageOneGenerator, TextMatchingDiscriminator
from ganzoo_stackgan.stage2 import StageTwoGenerator
from ganzoo_stackgan.task import StackedTextConditionalTask

stage1_generator = component(
    "generator", "stackgan-stage1", ports=Ports(resolutions=(8, 16, 32, 64, 128, 256), conditions=("embedding",))
)(StageOneGenerator)
stage2_generator = component(
    "generator", "stackgan-stage2", ports=Ports(resolutions=(32, 64, 128, 256, 512), conditions=("embedding",))
)(StageTwoGenerator)
discriminator = component(
    "discriminator", "stackgan", ports=Ports(resolutions=(8, 16, 32, 64, 128, 256, 512), conditions=("none", "embedding"))
)(TextMatchingDiscriminator)
stacked_task = component("task", "text-conditional-stacked")(StackedTextConditionalTask)


@hookimpl
def ganzoo_components() -> list[Component]:
    return [stage1_generator, stage2_generator, discriminator, stacked_task]
