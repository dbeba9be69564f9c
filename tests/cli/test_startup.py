"""Every command pays for what the CLI imports: the heavy optional libraries load only when used."""

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
