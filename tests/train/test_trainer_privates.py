"""Nothing outside ``ganzoo/train/loop.py`` reads or writes a private name of ``Trainer``.

The parts of the loop (static step, bench, checkpointer, ...) get the functions and objects they
need; a reach into the trainer's internals would tie them to its layout again. The private names
are collected from the class bodies in loop.py, so a new one is guarded without editing this test.
"""

from __future__ import annotations

import ast
from pathlib import Path

import ganzoo.train.loop

REPO = Path(__file__).resolve().parents[2]
LOOP = Path(ganzoo.train.loop.__file__).resolve()
SCANNED = ("ganzoo", "plugins", "tests", "benchmarks")


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def defined_names(cls: ast.ClassDef) -> set[str]:
    """Names a class body defines: methods, class attributes and ``self.X = ...`` assignments."""
    names = set()
    for node in ast.walk(cls):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self" \
                and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def trainer_privates() -> set[str]:
    tree = ast.parse(LOOP.read_text(encoding="utf-8"))
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    trainers = {"Trainer"} | {c.name for c in classes for base in c.bases if isinstance(base, ast.Name) and base.id == "Trainer"}
    names = set()
    for cls in classes:
        if cls.name in trainers:
            names |= {name for name in defined_names(cls) if is_private(name)}
            names |= {node.attr for node in ast.walk(cls) if isinstance(node, ast.Attribute) and is_private(node.attr)
                      and isinstance(node.value, ast.Name) and node.value.id == "self"}
    return names


def private_accesses(source: str, privates: set[str]) -> list[str]:
    """``line: expression`` of each access to one of ``privates`` (as an attribute, or a string given
    to getattr/setattr/hasattr/delattr), or of any private attribute of a name that says trainer.
    A class's ``self._x`` of a name it defines itself is its own business."""
    tree = ast.parse(source)
    found = []

    def visit(node: ast.AST, own: set[str]) -> None:
        if isinstance(node, ast.ClassDef):
            own = defined_names(node)
        if isinstance(node, ast.Attribute) and is_private(node.attr):
            receiver = node.value.id if isinstance(node.value, ast.Name) else getattr(node.value, "attr", "")
            mine = receiver == "self" and node.attr in own
            if not mine and (node.attr in privates or "trainer" in receiver.lower()):
                found.append(f"{node.lineno}: {ast.unparse(node)}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "setattr", "hasattr", "delattr"):
            if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and node.args[1].value in privates:
                found.append(f"{node.lineno}: {ast.unparse(node)}")
        for child in ast.iter_child_nodes(node):
            visit(child, own)

    visit(tree, set())
    return found


def test_the_trainer_has_private_names_to_guard():
    assert {"_run", "_resume", "_fixed_inputs"} <= trainer_privates()


def test_the_check_finds_reaches_into_the_trainer():
    privates = {"_resume"}
    source = ("trainer._batch(1)\n"
              "run.trainer._anything = 2\n"
              "x = other._resume\n"
              "getattr(t, '_resume')\n"
              "class Own:\n    def f(self):\n        self._resume = 1\n        return self._resume\n"
              "class Sub(Trainer):\n    def f(self):\n        return self._resume\n")
    assert [line.split(":")[0] for line in private_accesses(source, privates)] == ["1", "2", "3", "4", "11"]


def test_no_module_outside_the_loop_touches_a_private_name_of_the_trainer():
    privates = trainer_privates()
    offences = []
    for top in SCANNED:
        for path in sorted((REPO / top).rglob("*.py")):
            if path.resolve() == LOOP or ".venv" in path.parts:
                continue
            offences += [f"{path.relative_to(REPO)}:{hit}" for hit in private_accesses(path.read_text(encoding="utf-8"), privates)]
    assert not offences, "\n".join(offences)
