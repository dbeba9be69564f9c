import inspect
import types

import pytest

from ganzoo.interfaces import Ports
from ganzoo.plugins import PluginHost
from ganzoo.registry import (
    BadArguments,
    Component,
    DuplicateComponent,
    Provider,
    Registry,
    RegistryError,
    UnknownComponent,
    collect,
    component,
    with_defaults,
)
from ganzoo.version import CORE_DISTRIBUTION


@component("generator", "toy-gen", ports=Ports(resolutions=(32,)))
def toy_gen(width: int = 4, depth: int = 2):
    """A toy factory."""
    return {"width": width, "depth": depth}


@component("generator")
def toy_gen_wide(width: int = 64):
    return width


def make_registry() -> Registry:
    registry = Registry()
    for item in collect(globals()):
        registry.add(item, Provider("toy", "toy-dist", "1.0"))
    return registry


def test_decorator_names_and_describes():
    assert toy_gen.name == "toy-gen" and toy_gen.description == "A toy factory."
    assert toy_gen_wide.name == "toy-gen-wide"
    assert toy_gen.parameters() == {"width": 4, "depth": 2}


def test_create_drops_none_and_rejects_unknown_arguments():
    registry = make_registry()
    assert registry.create("generator", "toy-gen", width=None, depth=3) == {"width": 4, "depth": 3}
    with pytest.raises(BadArguments, match=r"has no parameter 'colour'; valid: width, depth"):
        registry.create("generator", "toy-gen", colour=1)


def test_unknown_names_suggest_and_list_choices():
    registry = make_registry()
    with pytest.raises(UnknownComponent) as info:
        registry.get("generator", "toy-gne")
    message = str(info.value)
    assert "Did you mean 'toy-gen'" in message and "Valid: toy-gen, toy-gen-wide" in message
    with pytest.raises(UnknownComponent, match="unknown kind 'generators'"):
        registry.get("generators", "toy-gen")


def test_wildcards_and_natural_sort():
    registry = Registry()
    for name in ("unet-256", "unet-32", "unet-128", "resnet-9"):
        registry.add(Component("generator", name, lambda: None))
    assert [c.name for c in registry.list("generator", "unet-*")] == ["unet-32", "unet-128", "unet-256"]
    assert [c.name for c in registry.list(pattern="*", exclude="unet*")] == ["resnet-9"]


def test_duplicate_names_both_providers():
    registry = Registry()
    registry.add(toy_gen, Provider("a", "dist-a", "1"))
    with pytest.raises(DuplicateComponent, match=r"dist-a 1 .* dist-b 2"):
        registry.add(toy_gen, Provider("b", "dist-b", "2"))


def test_bad_names_and_kinds_are_refused():
    with pytest.raises(RegistryError, match="unknown kind"):
        Component("widget", "x", lambda: None)
    with pytest.raises(RegistryError, match="must be lower-case"):
        Component("generator", "Bad Name", lambda: None)


PLUGIN_IMPORTING_A_BUILTIN = '''
from ganzoo import collect, component, hookimpl
from ganzoo.losses import bce, nonsaturating  # reused, not redefined
from ganzoo.registry import Component


@component("loss", "probe-loss")
def probe_loss():
    return nonsaturating()


wrapped = Component("generator", "probe-gen", lambda width=4: width)


@hookimpl
def ganzoo_components():
    return collect(globals())
'''


def test_collect_takes_what_a_module_defines_not_what_it_imports():
    module = types.ModuleType("probe_plugin")
    exec(compile(PLUGIN_IMPORTING_A_BUILTIN, "probe_plugin.py", "exec"), module.__dict__)
    assert [c.name for c in collect(module)] == ["probe-loss", "probe-gen"]
    assert [c.name for c in collect(vars(module))] == ["probe-loss", "probe-gen"]
    assert [c.module for c in collect(module)] == ["probe_plugin", "probe_plugin"]
    host = PluginHost(autoload=False)
    assert host.register(module, "probe", "probe-dist", "1.0"), host.broken  # no "registered twice"
    assert host.registry.get("loss", "bce").provider.distribution == CORE_DISTRIBUTION
    assert host.registry.get("loss", "probe-loss").provider.distribution == "probe-dist"


def test_collect_keeps_every_component_of_a_plain_dict():
    assert collect({"a": toy_gen, "b": toy_gen_wide}) == [toy_gen, toy_gen_wide]


class ToyNet:
    def __init__(self, width: int, norm: str = "batch", spectral: bool = False) -> None:
        self.width, self.norm, self.spectral = width, norm, spectral


def test_with_defaults_is_a_thin_variant_that_keeps_signature_and_types():
    from ganzoo.mix import MixError, Resolved, check_argument_types

    base = component("discriminator", "toy-net")(ToyNet)
    variant = component("discriminator", "toy-net-sn", description="spectral")(with_defaults(base, norm="none", spectral=True))
    assert variant.parameters() == {"width": inspect.Parameter.empty, "norm": "none", "spectral": True}
    built = variant.create(width=3)
    assert (built.width, built.norm, built.spectral) == (3, "none", True)
    assert variant.create(width=3, spectral=False).spectral is False  # a changed default stays a parameter
    with pytest.raises(BadArguments, match="has no parameter 'depth'"):
        variant.create(width=3, depth=2)
    with pytest.raises(MixError, match=r"nets.discriminator.width = 'wide': discriminator 'toy-net-sn' takes int"):
        check_argument_types(Resolved(variant, {"width": "wide"}), "nets.discriminator")
    assert variant.module == __name__


def test_with_defaults_refuses_a_parameter_the_factory_lacks():
    with pytest.raises(TypeError, match="'ToyNet' has no parameter colour"):
        with_defaults(ToyNet, colour="red")


def test_a_literal_parameter_names_its_choices():
    from ganzoo.data.paired import paired
    from ganzoo.mix import MixError, Resolved, check_argument_types

    with pytest.raises(MixError, match=r"dataset.layout = 'sideways': dataset 'paired' takes one of 'aligned', 'folders'"):
        check_argument_types(Resolved(paired, {"layout": "sideways"}), "dataset")
