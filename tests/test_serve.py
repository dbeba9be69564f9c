"""``ganzoo serve``: the page's model logic, its refusals, the Space folder, and the page itself
driven in headless chromium for an unconditional, a class, a text and a translation model (the
0.1.0 fixture exports, served as they are)."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from ganzoo import serve
from ganzoo.cli import cli
from ganzoo.errors import GanzooError
from ganzoo.serve import EVERY_CLASS, Playground, ServeError, read_upload, write_space
from tests import browser

EXPORTS = Path(__file__).parent / "fixtures" / "exports-0.1.0"
needs_gradio = pytest.mark.skipif(importlib.util.find_spec("gradio") is None, reason="needs gradio (pip install 'ganzoo-core[serve]')")


@pytest.fixture(scope="module")
def playgrounds():
    return {}


def playground(cache: dict, name: str) -> Playground:
    if name not in cache:
        cache[name] = Playground.open(EXPORTS / f"{name}.safetensors", device="cpu")
    return cache[name]


def pixels(results) -> list[bytes]:
    return [image.tobytes() for image, _ in results]


def test_samples_follow_the_seed_and_the_class(playgrounds):
    model = playground(playgrounds, "dcgan-class")
    first = model.generate(0, 4, 0)
    assert [label for _, label in first] == ["circle · seed 0 #0", "square · seed 0 #1", "triangle · seed 0 #2", "cross · seed 0 #3"]
    assert all(image.size == (32, 32) for image, _ in first)
    assert pixels(model.generate(0, 4, 0)) == pixels(first)
    assert pixels(model.generate(1, 4, 0)) != pixels(first)
    assert [label.split(" · ")[0] for _, label in model.generate(0, 3, 0.7, "triangle")] == ["triangle"] * 3
    assert model.class_choices() == [EVERY_CLASS, "circle", "square", "triangle", "cross"]
    strip = model.walk(2, 5, 0, "square")
    assert strip.size == (5 * 34 + 2, 36)  # five 32 px frames, 2 px apart
    with pytest.raises(GanzooError, match="unknown class"):
        model.generate(0, 1, 0, "hexagon")


def test_a_text_model_takes_a_caption_and_offers_its_training_captions(playgrounds):
    model = playground(playgrounds, "stackgan")
    assert model.captions and all(isinstance(c, str) and c for c in model.captions)
    results = model.generate(3, 2, 0, "a red circle")
    assert [label for _, label in results] == ["a red circle · seed 3 #0", "a red circle · seed 3 #1"]
    with pytest.raises(ServeError, match="type a caption"):
        model.generate(3, 2, 0, "  ")


def test_a_translation_shows_the_input_the_output_and_the_attention_map(playgrounds):
    model = playground(playgrounds, "ugatit")
    assert {way for _, way in model.examples} == {"AtoB", "BtoA"}
    source, way = model.examples[0]
    results = model.translate(source, way, seed=0, name="example 1")
    assert [name for _, name in results] == ["input: example 1", "output", "heatmap"]
    assert all(image.size == (32, 32) for image, _ in results)
    assert pixels(model.translate(source, "BtoA", seed=0))[1] != pixels(results)[1]
    pix2pix = playground(playgrounds, "pix2pix")
    assert {way for _, way in pix2pix.examples} == {None}
    assert [name for _, name in pix2pix.translate(pix2pix.examples[0][0], None, seed=0)][:2] == ["input", "output"]


def test_uploads_are_checked_before_they_are_decoded(tmp_path, monkeypatch):
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (48, 40), (200, 30, 30)).save(photo)
    image = read_upload(photo, channels=3, size=32)
    assert image.shape == (3, 32, 32) and image.dtype == torch.uint8 and image[0].float().mean() > 150
    assert read_upload(photo, channels=1, size=32).shape == (1, 32, 32)
    notes = tmp_path / "notes.png"
    notes.write_text("not a picture")
    with pytest.raises(ServeError, match=r"^notes.png is not an image"):
        read_upload(notes, 3, 32)
    truncated = tmp_path / "cut.png"
    Image.new("RGB", (64, 64), (1, 2, 3)).save(truncated)
    truncated.write_bytes(truncated.read_bytes()[:60])
    with pytest.raises(ServeError, match="cut.png"):
        read_upload(truncated, 3, 32)
    monkeypatch.setattr(serve, "MAX_PIXELS", 40 * 40)
    with pytest.raises(ServeError, match=r"photo.jpg: 48x40 is more than"):
        read_upload(photo, 3, 32)
    monkeypatch.setattr(serve, "MAX_UPLOAD_BYTES", 100)
    with pytest.raises(ServeError, match=r"photo.jpg: .* MB is more than"):
        read_upload(photo, 3, 32)


def test_the_card_shows_family_data_steps_and_the_saved_evaluation_with_its_protocol(tmp_path):
    model = tmp_path / "dcgan.safetensors"
    shutil.copy(EXPORTS / "dcgan.safetensors", model)
    card = Playground.open(model, device="cpu").card()
    assert "dcgan (ganzoo-dcgan 0.1.0)" in card and "**data**: shapes" in card and "**steps**: 3" in card
    assert "No saved evaluation" in card
    record = {"time": "2025-01-01T00:00:00Z", "data": "shapes", "count": 64, "scores": {"fid": 12.5}, "higher_is_better": {"fid": False},
              "protocol": {"kind": "generated", "seed": 0, "reference": {"dataset": "shapes", "count": 64}}}
    (tmp_path / "dcgan-evaluation.json").write_text(json.dumps(record))
    card = Playground.open(model, device="cpu").card()
    assert "| fid | 12.5000 | lower |" in card and "generated images: 64 (seed 0)" in card and "images of shapes" in card


@needs_gradio
def test_space_folder_runs_the_same_page(tmp_path):
    space = write_space(EXPORTS / "stackgan.safetensors", tmp_path / "space")
    assert sorted(p.name for p in space.iterdir()) == ["README.md", "app.py", "model.safetensors", "requirements.txt"]
    assert (space / "model.safetensors").read_bytes() == (EXPORTS / "stackgan.safetensors").read_bytes()
    ast.parse((space / "app.py").read_text())
    requirements = (space / "requirements.txt").read_text().splitlines()
    assert requirements[0].startswith("ganzoo-core[serve]>=") and "ganzoo-stackgan>=0.1.0" in requirements
    assert "sdk: gradio" in (space / "README.md").read_text()
    write_space(EXPORTS / "dcgan.safetensors", space)  # its own folder may be rewritten
    assert (space / "model.safetensors").read_bytes() == (EXPORTS / "dcgan.safetensors").read_bytes()
    other = tmp_path / "other"
    other.mkdir()
    (other / "app.py").write_text("print('mine')\n")
    with pytest.raises(ServeError, match=r"--space .*other: it holds app.py not written by"):
        write_space(EXPORTS / "dcgan.safetensors", other)
    assert (other / "app.py").read_text() == "print('mine')\n" and not (other / "model.safetensors").exists()


def test_without_gradio_the_command_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "gradio", None)  # import gradio now raises ImportError
    result = CliRunner().invoke(cli, ["serve", str(EXPORTS / "dcgan.safetensors")])
    assert result.exit_code == 1
    assert result.output.strip().endswith("pip install 'ganzoo-core[serve]'") and "Traceback" not in result.output


# ----------------------------------------------------------------------------------------------
# The page in a browser
# ----------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_served(process: subprocess.Popen, url: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"ganzoo serve exited ({process.returncode}): {process.stdout.read()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout:.0f} s")


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """The unconditional model served by the `ganzoo serve` command; the others by the same page
    functions in this process (one process start, most of which is importing, instead of four)."""
    if browser.missing():
        pytest.skip(browser.missing())
    folder = tmp_path_factory.mktemp("serve")
    port = free_port()
    command = [sys.executable, "-m", "ganzoo", "serve", str(EXPORTS / "dcgan.safetensors"), "--port", str(port), "--device", "cpu"]
    process = subprocess.Popen(command, cwd=folder, env={**os.environ, "OMP_NUM_THREADS": "1", "GRADIO_TEMP_DIR": str(folder / "gradio")},
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    pages = []
    try:
        urls = {"dcgan": f"http://127.0.0.1:{port}/"}
        for name in ("dcgan-class", "stackgan", "ugatit"):
            pages.append(serve.page(Playground.open(EXPORTS / f"{name}.safetensors", device="cpu")))
            urls[name] = serve.launch(pages[-1], "127.0.0.1", free_port())
        wait_until_served(process, urls["dcgan"])
        yield urls
    finally:
        process.terminate()
        process.wait(timeout=30)
        for blocks in pages:
            blocks.close()


@pytest.fixture(scope="module")
def chromium(servers):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = browser.launch(playwright)
        yield launched
        launched.close()


@pytest.fixture
def tab(chromium):
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(60_000)
    yield page
    page.close()


DECODED = "selector => [...document.querySelectorAll(selector)].every(i => i.complete && i.naturalWidth > 0)"


def shown(page, selector: str, done: str) -> list[bytes]:
    """The images under ``selector`` (their files' bytes), once the caption ``done`` shows and all are decoded."""
    page.locator(selector).get_by_text(done, exact=True).wait_for()
    page.wait_for_function(DECODED, arg=f"{selector} img")
    return [page.request.get(source).body() for source in page.locator(f"{selector} img").evaluate_all("images => images.map(i => i.src)")]


def generate(page, seed: int, condition: str = "") -> list[bytes]:
    page.locator("#seed input").fill(str(seed))
    page.locator("#seed input").press("Tab")  # the number is taken when the box loses focus
    page.locator("#generate").click()
    return shown(page, "#samples", f"{condition}seed {seed} #7")


def test_unconditional_page_draws_images_that_change_with_the_seed_and_walks(servers, tab):
    tab.goto(servers["dcgan"])
    drawn = generate(tab, 0)
    assert len(drawn) == 8 and all(data.startswith(b"\x89PNG") for data in drawn)  # downloads are PNG
    assert generate(tab, 1) != drawn
    assert "ganzoo-dcgan 0.1.0" in tab.locator("#card").inner_text()
    tab.get_by_role("tab", name="Walk").click()
    tab.locator("#walk").click()
    tab.locator("#strip img").wait_for()
    tab.wait_for_function(DECODED, arg="#strip img")
    strip = tab.locator("#strip img").evaluate("image => [image.naturalWidth, image.naturalHeight]")
    assert strip == [8 * 34 + 2, 36]  # eight 32 px frames in a row


def test_class_page_offers_the_class_names(servers, tab):
    tab.goto(servers["dcgan-class"])
    assert len(generate(tab, 0, "cross · ")) == 8  # every class, one after another
    tab.locator("#class input").click()
    tab.get_by_role("option", name="triangle").click()
    triangles = generate(tab, 2, "triangle · ")
    assert len(triangles) == 8 and tab.locator("#samples").get_by_text("circle").count() == 0


def test_text_page_takes_a_caption(servers, tab):
    tab.goto(servers["stackgan"])
    tab.locator("#caption textarea").fill("a blue square")
    drawn = generate(tab, 0, "a blue square · ")
    assert len(drawn) == 8 and generate(tab, 5, "a blue square · ") != drawn


def test_translation_page_translates_uploads_and_examples_and_refuses_what_is_not_an_image(servers, tab, tmp_path):
    tab.goto(servers["ugatit"])
    photo = tmp_path / "photo.png"
    Image.new("RGB", (64, 48), (250, 200, 10)).save(photo)
    tab.locator("#upload input[type=file]").set_input_files(photo)
    translated = shown(tab, "#translation", "input: photo.png")
    assert len(translated) == 3 and all(data.startswith(b"\x89PNG") for data in translated)
    for name in ("output", "heatmap"):
        assert tab.locator("#translation").get_by_text(name, exact=True).count() == 1
    tab.locator("#examples img").nth(1).click()
    from_example = shown(tab, "#translation", "input: example 2")
    assert from_example[0] != translated[0] and from_example[1] != translated[1]
    tab.locator("#upload").get_by_role("button", name="Clear").click()  # the box holds one file: empty it first
    notes = tmp_path / "notes.png"
    notes.write_text("a text file named like a picture")
    tab.locator("#upload input[type=file]").set_input_files(notes)
    tab.get_by_text("notes.png is not an image this page can read").wait_for()
    assert "Traceback" not in tab.content()
    assert tab.locator("#translation").get_by_text("input: example 2").count() == 1  # the last result stays


def test_a_busy_port_is_one_line(servers):
    busy = servers["dcgan"].rsplit(":", 1)[1].strip("/")
    result = subprocess.run([sys.executable, "-m", "ganzoo", "serve", str(EXPORTS / "dcgan.safetensors"), "--port", busy, "--device", "cpu"],
                            capture_output=True, text=True, timeout=180, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 1
    assert f"--port {busy}: cannot listen on 127.0.0.1:{busy}" in result.stderr and "Traceback" not in result.stderr
