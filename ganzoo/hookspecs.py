"""The hooks a ganzoo plugin implements (pluggy project name ``ganzoo``).

A plugin is a module (or object) with functions marked ``@hookimpl``, published under the
``ganzoo.plugins`` entry-point group::

    [project.entry-points."ganzoo.plugins"]
    myplugin = "myplugin.plugin"

Built-in families register through exactly these hooks. See docs/writing-a-plugin.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from ganzoo.registry import Component

PROJECT = "ganzoo"
ENTRY_POINT_GROUP = "ganzoo.plugins"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def ganzoo_components() -> "list[Component]":
    """Return the components this plugin provides.

    Each item is a :class:`ganzoo.registry.Component`, usually made with the
    :func:`ganzoo.registry.component` decorator. Names must be unique per kind across all
    installed plugins; a clash is reported naming both distributions.
    """


@hookspec
def ganzoo_presets() -> "str | None":
    """Return presets this plugin ships, as TOML text in the ``zoo.toml`` format, or ``None``.

    Usually ``package_presets(__package__)`` (a ``presets.toml`` inside the package, declared as
    package data). The presets are the plugin distribution's own: another distribution defining
    the same name is a clash naming both. A preset using components of other plugins lists
    their distributions in ``plugins = [...]`` (and the pyproject depends on them). A
    ``zoo.toml`` in the working directory and ``--zoo PATH`` layer over them, in that order.
    """
