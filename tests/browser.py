"""Debian's chromium driven by Playwright, for the tests (and docs scripts) that look at a served page.

Never ``playwright install``: that downloads a browser. Without the background-networking flags
chromium tries to reach the (closed) network.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def missing() -> str | None:
    """Why a page cannot be driven here, or None when it can."""
    if not CHROMIUM.is_file() or not shutil.which(str(CHROMIUM)):
        return "needs Debian's chromium (apt-get install chromium)"
    for module, extra in (("gradio", "ganzoo-core[serve]"), ("playwright", "ganzoo-core[test]")):
        if importlib.util.find_spec(module) is None:
            return f"needs {module} (pip install '{extra}')"
    return None


def launch(playwright):
    """A headless chromium browser (close it when done)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
