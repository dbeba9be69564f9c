"""The conformance kit plugin authors run: its cases cover every condition a network declares."""

from __future__ import annotations

from pathlib import Path

from ganzoo.interfaces import Condition
from ganzoo.testing import check_discriminator, check_generator, declared_cases, example_condition
from tests.conftest import make_tiny_host


def test_image_conditions_are_cases_for_translators_and_discriminators() -> None:
    registry = make_tiny_host().registry
    translator, discriminator = registry.get("generator", "tiny-translator"), registry.get("discriminator", "tiny-disc")
    assert declared_cases(translator, 16) == [(16, 1, Condition("image", 1)), (16, 3, Condition("image", 3))]
    assert (16, 3, Condition("image", 3)) in declared_cases(discriminator, 16)
    for resolution, channels, condition in declared_cases(translator, 16):
        check_generator(translator, resolution, channels, condition)
    for resolution, channels, condition in declared_cases(discriminator, 16):
        check_discriminator(discriminator, resolution, channels, condition)


def test_an_example_image_condition_is_a_batch_of_source_images() -> None:
    images = example_condition(Condition("image", 3), 2, 8)
    assert images.shape == (2, 3, 8, 8) and images.min() >= -1 and images.max() <= 1
    assert example_condition(Condition("class", 3), 4).tolist() == [0, 1, 2, 0]


def test_the_guide_shows_a_discriminator_taking_an_image_condition_that_conforms() -> None:
    """docs/writing-a-plugin.md's example runs and passes the kit in each of its cases."""
    guide = (Path(__file__).parents[1] / "docs" / "writing-a-plugin.md").read_text(encoding="utf-8")
    section = guide.split("### A discriminator that takes an image condition", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(code, "docs/writing-a-plugin.md", "exec"), namespace)
    item = namespace["my_patchgan"]
    cases = declared_cases(item, 16)
    assert Condition("image", 3) in [condition for *_, condition in cases]
    for resolution, channels, condition in cases:
        check_discriminator(item, resolution, channels, condition)
