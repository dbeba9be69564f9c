"""Take docs/images/serve.png, the screenshot of `ganzoo serve` in docs/getting-started.md.

    .venv/bin/python docs/gen_serve_screenshot.py runs/demo-000  # the `make demo` run

Serves MODEL on a free loopback port, shows one result (the first held-out example translated,
or a batch drawn from seed 0) and photographs the page in headless chromium (tests/browser.py).
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHOT = ROOT / "docs" / "images" / "serve.png"
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from ganzoo.serve import Playground, launch, page  # noqa: E402
from tests import browser  # noqa: E402


def main(model: str) -> None:
    if browser.missing():
        raise SystemExit(browser.missing())
    blocks = page(Playground.open(model, device="cpu"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = launch(blocks, "127.0.0.1", port)
    try:
        with sync_playwright() as playwright:
            chromium = browser.launch(playwright)
            tab = chromium.new_page(viewport={"width": 1280, "height": 900})
            tab.goto(url)
            tab.locator("#card").wait_for()  # the page is drawn by its script after loading
            if tab.locator("#examples").count():
                tab.locator("#examples img").first.click()
                tab.locator("#translation img").first.wait_for()
            else:
                tab.locator("#generate").click()
                tab.locator("#samples img").first.wait_for()
            tab.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
            tab.evaluate("window.scrollTo(0, 0)")
            tab.screenshot(path=str(SHOT))
            chromium.close()
    finally:
        blocks.close()
    print(SHOT)


if __name__ == "__main__":
    main(sys.argv[1])
