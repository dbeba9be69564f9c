"""The generated families of :mod:`tests.reliability.cases` (round two): damaged files of our own,
outputs over files ganzoo did not write, paths that escape, contradictory settings, images that
are not what they say, unbounded work and misuse of the Python API. Each case is handled: its exit
status, one line when it fails, its message, no traceback, and the files it must keep unchanged."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image
from safetensors.torch import save_file

import ganzoo
from ganzoo import plugins
from ganzoo.cli import cli
from ganzoo.runs.lock import LOCK, UNOWNED_GRACE
from tests.conftest import make_tiny_host
from tests.reliability.cases import API_CASES, ESCAPING_NAMES, FOREIGN, IMAGE_MODES, REFUSALS, FamilyCase, family_cases
from tests.reliability.workspace import train_runs


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def invoke_warned(*args: str) -> tuple[object, str]:
    """The result, and its output followed by the warnings it gave, one line each (as the command line prints them)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = invoke(*args)
    return result, result.output.strip() + "".join(f"\nwarning: {w.message}" for w in caught)


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` (a decompression bomb's announcement)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def mode_image(mode: str) -> tuple[Image.Image, str]:
    """A 24 px image in PIL mode ``mode`` with a gradient, and a format that stores the mode."""
    ramp = np.tile(np.linspace(0, 1, 24), (24, 1))
    if mode == "I;16":
        return Image.fromarray((ramp * 65535).astype(np.uint16)), "png"
    if mode == "I":
        return Image.fromarray((ramp * 65535).astype(np.int32)), "tif"
    if mode == "F":
        return Image.fromarray(ramp.astype(np.float32)), "tif"
    base = Image.fromarray((ramp * 255).astype(np.uint8)).convert("RGB")
    if mode == "P":
        return base.convert("P"), "png"
    if mode == "YCbCr":  # JPEG stores YCbCr as it is (Pillow's YCbCr TIFFs do not read back: 3 bytes a pixel written, 4 read)
        return base.convert(mode), "jpg"
    return base.convert(mode), "png" if mode in ("1", "L", "LA", "RGBA", "I;16B") else "tif"


def image_folder(folder: Path, odd: tuple[Image.Image, str] | bytes | None = None) -> Path:
    """Eight good 24 px images, and ``odd`` as ``odd.png`` (bytes) or ``odd.EXT`` (an image)."""
    folder.mkdir()
    for index in range(8):
        Image.new("RGB", (24, 24), (index * 30, 90, 200 - index * 20)).save(folder / f"good-{index}.png")
    if isinstance(odd, bytes):
        (folder / "odd.png").write_bytes(odd)
    elif odd is not None:
        image, ext = odd
        image.save(folder / f"odd.{ext}")
    return folder


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("families")
    previous = os.getcwd()
    os.chdir(root)
    plugins.reset(make_tiny_host())
    try:
        train_runs()
        shutil.copytree("run", "bestrun")
        Path("bestrun/best.json").write_text(json.dumps({"step": 1, "metric": "fid", "value": 3.5, "higher_is_better": False,
                                                          "eval": {"fid": 3.5}}))
        shutil.copytree("run", "evalrun")
        Path("evalrun/evaluation.json").write_text(json.dumps({
            "model": "evalrun", "data": "shapes", "count": 8, "scores": {"fid": 3.5}, "higher_is_better": {"fid": False},
            "protocol": {"kind": "generated", "seed": 0, "extractors": {"image": {"name": "inception-fid", "sha256": "ab" * 32,
                                                                                  "resize": "bilinear"}}}}))
        Image.new("RGB", (24, 24), "white").save("image.png")
        Path("inputs").mkdir()
        for index in range(2):
            Image.new("RGB", (24, 24), (index * 90, 40, 40)).save(f"inputs/square-{index}.png")
        Path("afile").write_text("a regular file\n")
        Path("notes.safetensors").write_text("hello, world\n")
        for ext, fmt in FOREIGN.items():
            Image.new("RGB", (24, 24), "red").save(f"mine.{ext}", format=fmt)
        Path("mine.html").write_text("<!DOCTYPE html><html><body>my page</body></html>\n")
        save_file({"w": torch.zeros(2)}, "mine.safetensors", metadata={"tool": "other"})
        Path("userdir").mkdir()
        Path("userdir/config.json").write_text('{"mine": true}\n')
        Path("userdir/.draft.tmp").write_text("a draft\n")
        Path("userexamples/inputs").mkdir(parents=True)
        Image.new("RGB", (24, 24), "blue").save("userexamples/inputs/example-000.png")
        Path("names.toml").write_text("".join(f'[{json.dumps(name)}]\nextends = "tiny"\n' for name in ESCAPING_NAMES))
        chain = "".join(f'[p{i}]\nextends = "p{i - 1}"\n' for i in range(1, 1500))
        Path("deep.toml").write_text('[p0]\nextends = "tiny"\n' + chain + '[loop-a]\nextends = "loop-b"\n[loop-b]\nextends = "loop-a"\n')
        good = Path("image.png").read_bytes()
        image_folder(Path("imgs-bomb"), png_header(30000, 30000))
        image_folder(Path("imgs-truncated"), good[: len(good) // 2])
        image_folder(Path("imgs-fake"), b"not an image at all")
        image_folder(Path("imgs-tiny"), (Image.new("RGB", (4, 4)), "png"))
        for mode in IMAGE_MODES:
            image_folder(Path(f"imgs-mode-{''.join(c if c.isalnum() else '-' for c in mode).strip('-')}"), mode_image(mode))
        Path("badcaptions/images").mkdir(parents=True)
        Path("badcaptions/text").mkdir()
        for index in range(8):
            Image.new("RGB", (24, 24), (index * 30, 60, 60)).save(f"badcaptions/images/img-{index}.png")
            Path(f"badcaptions/text/img-{index}.txt").write_bytes(b"\xff\xfe a red circle\n" if index == 3 else b"a red circle\n")
        Path("badcaptions.jsonl").write_bytes(b'{"image": "badcaptions/images/img-0.png", "caption": "a red circle"}\n'
                                              b'{"image": "badcaptions/images/img-1.png", "caption": "a \xff circle"}\n')
        yield root
    finally:
        plugins.reset(None)
        os.chdir(previous)


def prepare(case: FamilyCase) -> None:
    damage = case.damage
    if damage is None or Path(damage.target).exists():
        return
    if Path(damage.source).is_dir():
        shutil.copytree(damage.source, damage.target)
    else:
        shutil.copyfile(damage.source, damage.target)
    path = Path(damage.target) / damage.file if damage.file else Path(damage.target)
    path.write_bytes(damage.apply(path.read_bytes() if path.exists() else b""))
    if damage.file == LOCK:  # a crash long ago, not a lock being written now
        old = path.stat().st_mtime - UNOWNED_GRACE - 1
        os.utime(path, (old, old))


def digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


CASES = family_cases()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.family}: {' '.join(c.args)}" for c in CASES])
def test_family_case_is_handled(workspace, case):
    prepare(case)
    before = {path: digest(path) for path in case.kept}
    result, said = invoke_warned(*case.args)
    output = result.output.strip()
    assert result.exception is None or isinstance(result.exception, SystemExit), (case.args, repr(result.exception), output)
    assert result.exit_code == case.exit_code, (case.args, output)
    if case.exit_code == 1:
        assert len(output.splitlines()) == 1, output
    if case.message:
        assert case.message in said, (case.args, said)
    else:  # a damaged file: refused naming it
        assert any(reason in output for reason in REFUSALS) and case.damage.target in output, (case.args, output)
    for text in case.absent:
        assert text not in output, output
    assert {path: digest(path) for path in case.kept} == before, "a file the command did not write was changed"


def test_escaping_preset_names_stay_under_runs(workspace):
    runs = (workspace / "runs").resolve()
    made = [p for p in runs.iterdir()] if runs.is_dir() else []
    assert all(p.resolve().parent == runs for p in made)
    assert not (workspace.parent / "escaped").exists() and not Path("/tmp/escaped").exists()


@pytest.fixture(scope="module")
def models(workspace):
    return {name: ganzoo.load(workspace / name) for name in ("run", "classrun", "textrun", "pairedrun")}


@pytest.mark.parametrize("case", API_CASES, ids=[f"{c.model}.{c.call}" for c in API_CASES])
def test_api_misuse_is_refused_naming_the_argument(models, case):
    errors = {"TypeError": TypeError, "ValueError": ValueError}
    with pytest.raises(errors[case.error]) as caught:
        eval(f"model.{case.call}", {"model": models[case.model], "torch": torch})
    assert case.message in str(caught.value)
