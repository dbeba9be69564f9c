"""docs/reliability.md is the suite's table, regenerated, and every fault names a real test."""

from __future__ import annotations

import ast
import runpy
from pathlib import Path

from tests.reliability.cases import FAULTS

HERE = Path(__file__).resolve().parent
DOCS = HERE.parents[1] / "docs"


def test_reliability_table_is_current():
    generated = runpy.run_path(str(DOCS / "gen_reliability.py"))["render"]()
    assert (DOCS / "reliability.md").read_text(encoding="utf-8") == generated, "docs/reliability.md is out of date: run python docs/gen_reliability.py"


def test_every_fault_names_a_test_of_the_suite():
    for fault in FAULTS:
        module, _, name = fault.test.partition("::")
        tree = ast.parse((HERE / module).read_text(encoding="utf-8"))
        assert name in {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}, fault.test
