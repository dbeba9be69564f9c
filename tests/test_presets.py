import pytest

from ganzoo.presets import PresetBook, PresetError, load_book

BASE = """
[base]
description = "base"
resolution = 32
nets.generator = { name = "dcgan", width = 64 }
nets.discriminator = "dcgan"
optim.G = { lr = 1e-4, betas = [0.5, 0.99] }

[child]
extends = "base"
steps = 10
nets.generator = { width = 32 }
"""


def book(*layers: str) -> PresetBook:
    b = PresetBook()
    for i, text in enumerate(layers):
        b.add_layer(text, f"layer{i}.toml")
    return b


def test_resolves_typed_dataclasses_with_inheritance():
    config = book(BASE).resolve("child")
    assert config.resolution == 32 and config.steps == 10
    assert config.nets["generator"].name == "dcgan" and config.nets["generator"].kwargs == {"width": 32}
    assert config.nets["discriminator"].kwargs == {}
    assert config.optim["G"].lr == 1e-4 and config.optim["G"].betas == (0.5, 0.99)


def test_later_layers_merge_over_earlier_ones():
    config = book(BASE, '[base]\nresolution = 64\n[new]\nextends = "base"\n').resolve("new")
    assert config.resolution == 64 and config.nets["generator"].kwargs == {"width": 64}


def test_overrides_and_component_switch_resets_kwargs():
    b = book(BASE)
    config = b.resolve("base", {"nets.generator.name": "unet", "steps": 5, "nets.discriminator.width": 8})
    assert config.nets["generator"].name == "unet" and config.nets["generator"].kwargs == {}
    assert config.nets["discriminator"].kwargs == {"width": 8}
    assert config.steps == 5


def test_parse_errors_name_file_and_line():
    with pytest.raises(PresetError, match=r"broken\.toml: .*line 2"):
        book().add_layer('[a]\nsteps = = 3\n', "broken.toml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[p]\nstep = 3\n", "unknown key 'step' \\(did you mean 'steps'\\?\\)"),
        ('[p]\nsteps = "many"\n', "p.*steps: expected int, got 'many'"),
        ("[p]\noptim.G = { lr = \"fast\" }\n", "optim.G.lr: expected float"),
        ('[p]\nschedule = { kind = "cosine" }\n', "schedule.kind = 'cosine' is not one of"),
        ('[p]\nextends = "p"\n', "extends itself"),
    ],
)
def test_bad_values_are_refused_with_the_key(text, message):
    with pytest.raises(PresetError, match=message):
        book(text).resolve("p")


def test_unknown_preset_suggests():
    with pytest.raises(PresetError, match="Did you mean 'base'"):
        book(BASE).resolve("bsae")


def test_layers_include_packaged_cwd_and_extra(tiny_host, in_tmp):
    (in_tmp / "zoo.toml").write_text('[tiny]\nsteps = 99\n[mine]\nextends = "tiny"\n')
    extra = in_tmp / "extra.toml"
    extra.write_text("[mine]\nbatch_size = 3\n")
    b = load_book([extra])
    assert "demo" in b.names()  # packaged
    mine = b.resolve("mine")
    assert mine.steps == 99 and mine.batch_size == 3 and mine.nets["generator"].name == "tiny-gen"
    assert b.sources["tiny"][0] == "plugin tiny"


def test_every_packaged_preset_resolves_and_passes_the_mix_check():
    from ganzoo import plugins
    from ganzoo.mix import check_mix

    plugins.reset(None)
    b = load_book()
    for name in b.names():
        check_mix(b.resolve(name), plugins.registry())
