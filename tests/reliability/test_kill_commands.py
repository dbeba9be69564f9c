"""A run folder after a ``kill -9`` of ``sample``, ``evaluate``, ``export`` or ``report`` (at each of
their atomic writes, when the file is written but not yet renamed into place) can still be
reported on, evaluated, sampled from and resumed, and what the killed command had written before
is whole."""

from __future__ import annotations

import shutil
import signal

import pytest
from click.testing import CliRunner
from PIL import Image

from ganzoo.cli import cli
from tests.reliability.procs import finish, start

TINY = ["--extractor", "tiny", "--device", "cpu"]
#: each command is killed before each of its renames in turn, then run through.
COMMANDS = {
    "sample": ["sample", "run", "-n", "8", "-o", "out/grid.png"],
    "evaluate": ["evaluate", "run", "-n", "8", *TINY],
    "export": ["export", "run", "-o", "out/model.safetensors"],
    "report": ["report", "run", "-o", "out/report.html"],
}
#: the most renames any of them makes (a guard: the loop below ends when a command runs through).
MOST_WRITES = 8


def invoke(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0 and "Traceback" not in result.output, (args, result.output)
    return result


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("killed-commands")
    code, output = finish(start(["train", "tiny-class", "--quiet", "--device", "cpu", "--steps", "2", "--out", "run"], root))
    assert code == 0, output
    return root


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_command_killed_at_any_write_leaves_a_run_that_still_works(command, trained, tiny_host, tmp_path, monkeypatch):
    shutil.copytree(trained / "run", tmp_path / "run")
    monkeypatch.chdir(tmp_path)
    kills = 0
    for write in range(1, MOST_WRITES + 1):
        code, output = finish(start(COMMANDS[command], tmp_path, GANZOO_TEST_DIE_BEFORE_RENAME=str(write)))
        if code == 0:
            break
        assert code == -signal.SIGKILL, output
        kills += 1
        # the folder still serves every use, each once the command's own leftovers are in the way
        invoke("report", "run", "-o", f"check-{write}.html")
        invoke("evaluate", "run", "-n", "8", "--json", *TINY)
        invoke("sample", "run", "-n", "4", "-o", f"check-{write}.png")
    else:
        pytest.fail(f"{command} did not finish within {MOST_WRITES} writes")
    assert kills >= 1  # every command writes at least one file
    invoke("train", "--resume", "run", "--steps", "3", "--quiet", "--device", "cpu")
    assert not list((tmp_path / "run").glob(".*.tmp"))  # the run's next writer cleared what the kills left there
    for written in (tmp_path / "out").glob("[!.]*") if (tmp_path / "out").is_dir() else ():  # the finished outputs are whole
        if written.suffix == ".safetensors":
            invoke("sample", written, "-n", "2", "-o", "from-export.png")
        elif written.suffix == ".png":
            Image.open(written).load()
        elif written.suffix == ".html":
            assert written.read_text(encoding="utf-8").rstrip().endswith("</html>")
