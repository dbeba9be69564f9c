"""The data home: where ``ganzoo data get`` puts known datasets and where presets find them.

A dataset component reads the home's copy of a catalog entry through :func:`reads` (or is made by
:func:`home_copy`): that is also how an entry enters the catalog ``ganzoo data`` lists.

``$GANZOO_DATA`` if set, else the user cache (``$XDG_CACHE_HOME`` or ``~/.cache``) +
``ganzoo/datasets``. Each dataset lives in ``HOME/<name>/``; the record of what was fetched and
verified sits beside it in ``HOME/<name>.json``. A dataset counts as present once the record lists
all of its required parts.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

from ganzoo.data.base import DataError
from ganzoo.data.catalog import CATALOG_ENTRY, KnownDataset
from ganzoo.io import write_json
from ganzoo.registry import Component, with_defaults

HOME_ENV = "GANZOO_DATA"


def data_home() -> Path:
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser() / "ganzoo" / "datasets"


def dataset_dir(name: str, home: Path | None = None) -> Path:
    return (home or data_home()) / name


def record_path(name: str, home: Path | None = None) -> Path:
    return (home or data_home()) / f"{name}.json"


def read_record(name: str, home: Path | None = None) -> dict[str, Any]:
    """The record of ``name`` (``{"parts": {}}`` when none); a damaged record counts as none."""
    path = record_path(name, home)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {"name": name, "parts": {}}
    return record if isinstance(record.get("parts"), dict) else {"name": name, "parts": {}}


def write_record(record: dict[str, Any], home: Path | None = None) -> None:
    write_json(record_path(record["name"], home), record)


def missing_parts(entry: KnownDataset, home: Path | None = None) -> list[str]:
    recorded = read_record(entry.name, home)["parts"]
    return [a.part for a in entry.required if a.part not in recorded]


def locate(entry: KnownDataset, home: Path | None = None) -> Path:
    """The data home's copy of ``entry``; a one-line error naming the way out when it is not there."""
    folder = dataset_dir(entry.name, home)
    missing = missing_parts(entry, home) if folder.is_dir() else [a.part for a in entry.required]
    if not missing:
        return folder
    what = "is not" if len(missing) == len(entry.required) else f"lacks {', '.join(missing)}"
    raise DataError(
        f"{entry.name} {what} in the data home {folder.parent} (${HOME_ENV}): "
        f"fetch it with `ganzoo data get {entry.name}`, or pass --data PATH to a copy of your own"
    )


def reads(entry: KnownDataset) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Make a dataset factory load the data home's copy of ``entry`` when its ``root`` is ``None``.

    The factory must take ``root: str | None = None``; ``--data PATH`` still sets ``root``.
    """

    def wrap(factory: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(factory)
        def load(*args: Any, root: str | None = None, **kwargs: Any) -> Any:
            return factory(*args, root=str(locate(entry)) if root is None else root, **kwargs)

        setattr(load, CATALOG_ENTRY, entry)
        return load

    return wrap


def home_copy(loader: Component, name: str, entry: KnownDataset, description: str, **defaults: Any) -> Component:
    """A thin dataset component reading the data home's copy of ``entry`` with ``loader``.

    ``defaults`` fix the layout of the dataset as distributed (sub-folders, direction, size); they
    stay parameters, so ``ganzoo info`` shows them and a preset may still change them. ``root``
    defaults to the data home (``--data PATH`` sets it).
    """
    load = reads(entry)(with_defaults(loader, root=None, **defaults))
    load.__name__ = name.replace("-", "_")
    load.__doc__ = description
    return Component("dataset", name, load, description, ports=loader.ports, module=sys._getframe(1).f_globals.get("__name__", ""))
