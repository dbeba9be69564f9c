"""The command line itself: heavy optional libraries load only when used, and warnings read as one line."""

import subprocess
import sys

HEAVY = ("torchvision", "torchmetrics", "timm")


def test_listing_components_imports_no_heavy_library():
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from ganzoo.cli import cli\n"
        "result = CliRunner().invoke(cli, ['list', '--json'])\n"
        "assert result.exit_code == 0, result.output\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_the_command_line_shows_warnings_in_one_line(monkeypatch):
    import warnings

    import pytest

    from ganzoo import cli

    monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)  # restored after the test
    monkeypatch.setattr(sys, "argv", ["ganzoo", "--version"])
    with pytest.raises(SystemExit):
        cli.main()
    shown = warnings.formatwarning("3 RGBA images converted", UserWarning, "/x/base.py", 157, "warnings.warn(...)")
    assert shown == "warning: 3 RGBA images converted\n"
    assert warnings.formatwarning("old", DeprecationWarning, "f.py", 1) == "DeprecationWarning: old\n"


def test_help_and_version_do_not_import_torch():
    for argument in ("--help", "--version"):
        code = ("import sys\nfrom ganzoo.cli import main\nsys.argv = ['ganzoo', " + repr(argument) + "]\n"
                "try:\n    main()\nexcept SystemExit:\n    pass\nprint('torch' in sys.modules)\n")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert done.stdout.strip().endswith("False"), argument + ": " + done.stdout + done.stderr


def test_the_help_lists_each_command_with_its_own_line():
    import click

    from ganzoo.cli import COMMANDS, cli

    context = click.Context(cli, info_name="ganzoo")
    for name, (_, line) in COMMANDS.items():
        assert cli.get_command(context, name).get_short_help_str(limit=1000) == line, name
