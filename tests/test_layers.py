"""The core's import structure: each layer imports only from the layers below it (the contract in
pyproject.toml, checked by import-linter, lazy imports included), and no import circle remains
between the core's modules."""

from __future__ import annotations

from pathlib import Path

import grimp
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]


def test_layers_import_downwards_only(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True) == 0, \
        "an import points up the layers: see the report above and the contract in pyproject.toml"


def test_no_import_circle_between_core_modules():
    graph = grimp.build_graph("ganzoo", include_external_packages=False)
    circles = sorted(
        " -> ".join((importer, *graph.find_shortest_chain(importer=imported, imported=importer)))
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if graph.find_shortest_chain(importer=imported, imported=importer)
    )
    assert not circles, "import circles:\n" + "\n".join(circles)
