import pytest

from ganzoo.config import ConfigError
from ganzoo.presets import PresetBook, PresetError, load_book
from ganzoo.version import CORE_DISTRIBUTION

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


def test_the_description_follows_what_was_trained():
    """Overrides that change what is learned replace the preset's description (it would no longer be
    true) with the preset and the changes; run settings, equal values and the data's place do not."""
    def described(overrides: dict) -> str:
        return book(BASE).resolve("child", overrides).description

    assert described({"dataset.name": "mnist", "resolution": 28, "channels": 1, "nets.discriminator.name": "patchgan-sn",
                      "nets.generator.width": 16}) == (
        "child (overridden: dataset=mnist, resolution=28, channels=1, discriminator=patchgan-sn, generator.width=16)")
    assert described({"conditioner": None, "loss": {"name": "hinge"}, "optim.G.lr": 1e-3}) == (
        "child (overridden: loss=hinge, optim.G.lr=0.001)")  # no conditioner before either
    assert described({"steps": 5, "device": "cpu", "seed": 3, "eval_every": 2, "resolution": 32}) == "base"
    on_mnist = book(BASE, '[mnist]\nextends = "base"\ndataset = { name = "mnist" }\n')
    assert on_mnist.resolve("mnist", {"dataset.root": "/data"}).description == "base"  # where the data is
    assert described({"resolution": 64, "description": "mine"}) == "mine"


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
    with pytest.raises(ConfigError, match=message):
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
    assert b.sources["tiny"] == ["tiny-plugin 1.0", str(in_tmp / "zoo.toml")]
    # the user's files layer over a distribution's preset (no clash); a preset only they define has no distribution
    assert b.providers["tiny"] == "tiny-plugin" and b.provided_by("tiny") == "tiny-plugin 1.0"
    assert "mine" not in b.providers and b.provided_by("mine") == str(in_tmp / "zoo.toml")
    assert b.providers["demo"] == CORE_DISTRIBUTION and b.provided_by("demo") == f"{CORE_DISTRIBUTION} 0.1.0 (zoo.toml)"


def test_two_distributions_defining_one_preset_is_a_clash_naming_both():
    b = PresetBook()
    b.add_layer(BASE, "dist-a 1.0", "dist-a")
    b.add_layer("[base]\nsteps = 5\n[other]\nsteps = 1\n", "dist-b 2.0", "dist-b")
    b.add_layer("[base]\nsteps = 7\n", "zoo.toml")  # a user's file: layered, not a clash
    assert b.resolve("other").steps == 1 and b.resolve("child").steps == 10
    with pytest.raises(PresetError, match=r"^preset 'base' is defined by both dist-a 1\.0 and dist-b 2\.0; uninstall one of them$"):
        b.resolve("base")


NEEDS = """
[mixed]
extends = "base"
plugins = ["dist-c"]
"""


def test_a_preset_needs_its_providers_and_what_it_declares():
    b = PresetBook(installed={CORE_DISTRIBUTION, "dist-a"})
    b.add_layer(BASE, "dist-a 1.0", "dist-a")
    b.add_layer(NEEDS, "core 0.1.0 (zoo.toml)", CORE_DISTRIBUTION)
    assert b.needs("mixed") == ["dist-c", "dist-a"] and b.needs("child") == ["dist-a"]
    assert b.unrunnable() == {"mixed": ["dist-c"]}
    with pytest.raises(PresetError, match=r"^preset 'mixed' needs dist-c, which is not installed: pip install dist-c$"):
        b.resolve("mixed")
    b.installed.add("dist-c")
    assert b.resolve("mixed").resolution == 32  # the plugins key is not a config field


def test_needs_are_known_without_the_missing_provider():
    b = PresetBook(installed={CORE_DISTRIBUTION})
    b.add_layer(NEEDS, "core 0.1.0 (zoo.toml)", CORE_DISTRIBUTION)  # extends 'base', whose plugin is gone
    with pytest.raises(PresetError, match="needs dist-c, which is not installed"):
        b.resolve("mixed")


def test_the_plugins_key_must_list_names():
    with pytest.raises(PresetError, match=r"layer0.toml: preset 'p': plugins must be a list of distribution names"):
        book('[p]\nplugins = "ganzoo-dcgan"\n')


def test_every_preset_declares_the_distributions_it_uses():
    """Each preset's components come from ganzoo, its own distribution or ones it declares, and a
    plugin's declared distributions are dependencies in its pyproject (pip installs them)."""
    from importlib import metadata

    from ganzoo import plugins
    from ganzoo.mix import check_mix

    plugins.reset(None)
    b = load_book()
    for name in b.names():
        mix = check_mix(b.resolve(name), plugins.registry())
        used = {r.component.provider.distribution for r in [mix.task, mix.dataset, mix.loss, *mix.nets.values()]}
        undeclared = used - {CORE_DISTRIBUTION, *b.needs(name)}
        assert not undeclared, f"preset {name!r} uses {undeclared} but does not declare it (plugins = [...])"
        provider = b.providers[name]
        if provider != CORE_DISTRIBUTION:
            requires = {req.split(">")[0].split("=")[0].split("<")[0].strip() for req in metadata.requires(provider) or []}
            assert set(b.needs(name)) - {provider} <= requires, f"{provider}'s pyproject does not depend on what {name!r} needs"


def test_every_packaged_preset_resolves_and_passes_the_mix_check():
    from ganzoo import plugins
    from ganzoo.mix import check_mix

    plugins.reset(None)
    b = load_book()
    for name in b.names():
        check_mix(b.resolve(name), plugins.registry())
