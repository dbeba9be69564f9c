"""Resolve a run once: preset + overrides + registry -> the config and its checked mix.

Every entry point (``ganzoo train`` and its ``--dry-run`` and ``--resume``, the :class:`Trainer`,
export and loading) goes through :func:`resolve_run` or :func:`checked` and then hands the
:class:`ResolvedRun` on, so a config is checked in one place and never again downstream.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Collection

from ganzoo.config import TrainConfig, check_config
from ganzoo.mix import Mix, check_mix
from ganzoo.presets import Overrides, PresetBook
from ganzoo.registry import Registry


@dataclass(frozen=True)
class ResolvedRun:
    """A config, its mix checked against ``registry``, and the registry everything is built from.

    A run checked for some networks only (``roles``, a generator-only export) has no dataset or
    loss in its mix: their plugins need not be installed to sample.
    """

    config: TrainConfig
    mix: Mix
    registry: Registry


def checked(config: TrainConfig, registry: Registry, roles: Collection[str] | None = None) -> ResolvedRun:
    """The single check of a merged config: first its values, then whether its components fit
    (only the networks ``roles`` when given, see :func:`ganzoo.mix.check_mix`)."""
    validate_config(config)
    return ResolvedRun(config, check_mix(config, registry, roles), registry)


def validate_config(config: TrainConfig) -> None:
    """Value checks of the merged config that need no registry: every field within its declared
    range or choices (:func:`ganzoo.presets.check_config`).

    The place for checks of the whole config: :func:`checked` runs it before the mix, so every
    entry point gets it.
    """
    check_config(config)


def resolve_run(book: PresetBook, preset: str, registry: Registry,
                overrides: Overrides | Callable[[dict[str, Any]], Overrides] | None = None) -> ResolvedRun:
    """Preset ``preset`` of ``book`` with dotted-key ``overrides`` (CLI flags, ``--set``; or a function
    of the preset's table giving them, see :meth:`PresetBook.resolve`), checked once."""
    return checked(book.resolve(preset, overrides), registry)
