import pytest

from ganzoo.mix import MixError, check_mix
from ganzoo.presets import load_book


@pytest.fixture
def resolve(tiny_host, in_tmp):
    book = load_book()
    return lambda name, **overrides: check_mix(book.resolve(name, overrides), tiny_host.registry)


def test_a_good_mix_passes(resolve):
    mix = resolve("tiny-class")
    assert mix.fed == "class" and set(mix.nets) == {"generator", "discriminator"}


@pytest.mark.parametrize(
    ("preset", "overrides", "message"),
    [
        ("tiny", {"dataset.name": "shapes-paired"}, "task 'unconditional' reads images data but dataset 'shapes-paired' is paired"),
        ("tiny-paired", {"nets.generator.name": "tiny-gen"}, "generator 'tiny-gen' accepts none/class/embedding conditions but dataset 'shapes-paired' via task 'paired' feeds it image"),
        ("tiny", {"task": "text-conditional"}, "task 'text-conditional' gives captions"),
        ("tiny", {"nets.extra": {"name": "tiny-disc"}}, "task 'unconditional' has no role extra"),
        ("tiny", {"channels": 4}, "dataset 'shapes'"),
    ],
)
def test_bad_mixes_are_refused_in_one_line(resolve, preset, overrides, message):
    with pytest.raises(MixError) as info:
        resolve(preset, **overrides)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_variant_names_resolve_to_family(tiny_host):
    from ganzoo.config import ComponentConfig
    from ganzoo.mix import resolve as resolve_component

    with pytest.raises(Exception, match="unknown generator 'nothing:x'"):
        resolve_component(tiny_host.registry, "generator", ComponentConfig("nothing:x"))
