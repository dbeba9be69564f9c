"""The docs' transcripts are real: every ```console and ```pycon block of README.md and docs/ runs.

A console block holds ``$ ganzoo ...`` lines, each followed by the output it prints, compared with
white space folded (rich wraps long lines) and ``...`` standing for any text (losses, timings). A
pycon block is a doctest (``>>>`` lines and their output, with the same ``...``). The blocks of one
page run in order in one fresh folder, so a page may train a run and then use it.
"""

from __future__ import annotations

import doctest
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from ganzoo.cli import cli

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
RUNNABLE_BLOCK = re.compile(r"^```(console|pycon)\n(.*?)^```", re.M | re.S)


def transcripts(page: Path) -> list[tuple[str, str, str]]:
    """``(language, command or doctest, expected output)`` for the page's runnable blocks, in order:
    one entry per ``$`` line of a console block, one per pycon block."""
    steps: list[tuple[str, str, str]] = []
    for language, block in RUNNABLE_BLOCK.findall(page.read_text(encoding="utf-8")):
        if language == "pycon":
            steps.append((language, block, ""))
            continue
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, output = chunk.partition("\n")
            steps.append((language, command.strip(), output))
    return steps


def folded(text: str) -> str:
    return " ".join(text.split())


def matches(expected: str, actual: str) -> bool:
    pattern = ".*?".join(re.escape(part) for part in folded(expected).split("..."))
    return re.fullmatch(pattern, folded(actual), flags=re.S) is not None


RUNNABLE = [page.relative_to(ROOT).as_posix() for page in PAGES if transcripts(page)]


def test_the_runnable_pages_are_found():
    assert {"README.md", "docs/mixing.md", "docs/getting-started.md"} <= set(RUNNABLE)


@pytest.mark.parametrize("page", RUNNABLE)
def test_console_transcripts_are_what_the_commands_print(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    python: dict = {}
    for language, command, expected in transcripts(ROOT / page):
        if language == "pycon":
            run_doctest(command, python, page)
            continue
        program, *args = shlex.split(command)
        assert program == "ganzoo", f"{page}: only ganzoo commands run in console blocks, not {command!r}"
        result = runner.invoke(cli, args, prog_name="ganzoo")
        assert matches(expected, result.output), f"{page}: `{command}` printed:\n{result.output}\nthe page shows:\n{expected}"


def run_doctest(text: str, namespace: dict, page: str) -> None:
    test = doctest.DocTestParser().get_doctest(text, namespace, page, page, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test, clear_globs=False)
    assert not runner.failures, f"{page}: a pycon block printed something else (see the report above)"
