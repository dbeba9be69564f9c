"""The pix2pix networks pass ganzoo's conformance checks in every declared case, image conditions
included (the PatchGAN judges an image beside its source)."""

from __future__ import annotations

import pytest

from ganzoo.interfaces import Condition
from ganzoo.registry import Component
from ganzoo.testing import check_discriminator, check_generator, components_of, declared_cases

TINY = {"base_channels": 4}
#: the U-Net's depth follows the resolution: the small sizes show the same structure.
SMALLEST = 32


def cases(kind: str) -> list[tuple[Component, int, int, Condition]]:
    return [(item, *case) for item in components_of("ganzoo-pix2pix", kind) for case in declared_cases(item, 16)
            if case[0] <= SMALLEST or case[0] == min(item.ports.resolutions or (case[0],))]


def case_id(case: tuple) -> str:
    item, resolution, channels, condition = case
    return f"{item.name}-{resolution}px-{channels}ch-{condition}"


def test_every_network_takes_an_image_condition() -> None:
    assert {condition.kind for *_, condition in cases("generator")} == {"image"}
    assert {condition.kind for *_, condition in cases("discriminator")} == {"none", "image", "embedding"}


@pytest.mark.parametrize("case", cases("generator"), ids=case_id)
def test_generators_conform(case: tuple) -> None:
    item, resolution, channels, condition = case
    check_generator(item, resolution, channels, condition, **TINY, **({"blocks": 1} if "resnet" in item.name else {}))


@pytest.mark.parametrize("case", cases("discriminator"), ids=case_id)
def test_discriminators_conform(case: tuple) -> None:
    item, resolution, channels, condition = case
    check_discriminator(item, 32 if item.name.startswith("patchgan") else resolution, channels, condition, **TINY)
