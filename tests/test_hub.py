"""The Hugging Face Hub round trip without a network: ``ganzoo push`` prepares its folder (checked
before the upload call, which is replaced), the folder's export goes into a Hub cache the test
lays out as huggingface_hub does, and ``hf://`` loading reads it with ``HF_HUB_OFFLINE=1``."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from ganzoo import hub, plugins
from ganzoo.cli import cli
from ganzoo.errors import GanzooError
from ganzoo.export import export_run
from ganzoo.loading import load
from ganzoo.presets import load_book
from ganzoo.train.loop import Trainer
from ganzoo.version import CORE_DISTRIBUTION
from tests.conftest import make_tiny_host

huggingface_hub = pytest.importorskip("huggingface_hub")
hub_constants = pytest.importorskip("huggingface_hub.constants")  # a submodule the package imports lazily

MAIN, OTHER = "a" * 40, "b" * 40
HOST = "build-host-7"


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """A class-conditional run whose config names an absolute path, with a saved evaluation that
    names more (and the host): what a push must not publish."""
    root = tmp_path_factory.mktemp("hub-run")
    plugins.reset(make_tiny_host())
    try:
        overrides = {"conditioner": {"name": "class", "dim": 8}, "eval_extractor": {"name": "tiny", "weights": str(root / "secret.pth")}}
        Trainer(load_book().resolve("tiny-class", overrides), root / "run").run()
    finally:
        plugins.reset(None)
    evaluation = {"model": str(root / "run"), "count": 8, "scores": {"fid": 12.5, "kid": 0.01}, "grid": str(root / "run" / "evaluation.png"),
                  "protocol": {"extractors": {"image": {"name": "inception-fid", "sha256": "f" * 64}}, "host": HOST, "note": f"measured on {HOST}.example.org",
                               "data": {"dataset": "shapes", "split": "train", "resolution": 16}}}
    (root / "run" / "evaluation.json").write_text(json.dumps(evaluation), encoding="utf-8")
    return root / "run"


@pytest.fixture
def uploads(monkeypatch, tmp_path) -> list[dict]:
    """HfApi's network calls replaced: each upload_folder call records its arguments and a copy of
    the folder as it was at that moment."""
    calls: list[dict] = []

    def upload_folder(self, *, repo_id, folder_path, revision=None, **_):
        copy = tmp_path / f"uploaded-{len(calls)}"
        shutil.copytree(folder_path, copy)
        calls.append({"repo_id": repo_id, "revision": revision, "folder": copy})

    monkeypatch.setattr(huggingface_hub.HfApi, "create_repo", lambda self, repo_id, **kw: calls.append({"created": repo_id, **kw}))
    monkeypatch.setattr(huggingface_hub.HfApi, "upload_folder", upload_folder)
    return calls


@pytest.fixture
def hub_cache(tmp_path, monkeypatch) -> Path:
    """An empty Hub cache in huggingface_hub's layout, read offline."""
    cache = tmp_path / "hf-cache"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    return cache


def put_in_cache(cache: Path, repo_id: str, commit: str, export: Path, refs: tuple[str, ...] = ()) -> None:
    """``export`` as ``model.safetensors`` of ``repo_id`` at ``commit``, with branch/tag ``refs`` pointing there."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    (repo / "snapshots" / commit).mkdir(parents=True)
    shutil.copyfile(export, repo / "snapshots" / commit / hub.EXPORT_FILE)
    for ref in refs:
        (repo / "refs").mkdir(exist_ok=True)
        (repo / "refs" / ref).write_text(commit, encoding="utf-8")


def push(run: Path, *extra: str):
    return CliRunner().invoke(cli, ["push", str(run), "me/tiny-class", *extra])


def test_push_uploads_a_public_folder_with_a_model_card(run, tiny_host, uploads, in_tmp, monkeypatch):
    monkeypatch.setattr(socket, "gethostname", lambda: HOST)
    result = push(run)
    assert result.exit_code == 0, result.output
    created, uploaded = uploads
    assert created["created"] == "me/tiny-class" and created["exist_ok"] and not created["private"]
    assert uploaded["repo_id"] == "me/tiny-class" and uploaded["revision"] is None
    folder = uploaded["folder"]
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "evaluation.json", "model.safetensors", "samples.png"]
    for path in folder.iterdir():  # nothing private: no absolute path of this machine, no host name
        data = path.read_bytes()
        assert str(run.parent).encode() not in data and HOST.encode() not in data, path.name
    card = (folder / "README.md").read_text(encoding="utf-8")
    front, body = card.split("---\n")[1], card.split("---\n", 2)[2]
    assert "library_name: ganzoo" in front and '- "ganzoo"' in front and "pipeline_tag: unconditional-image-generation" in front
    assert '- type: "fid"\n      value: 12.5' in front and 'name: "shapes"' in front and 'split: "train"' in front
    assert "![samples](samples.png)" in body and '"sha256": "ffff' in body  # the grid and the protocol
    assert f"pip install {CORE_DISTRIBUTION} tiny-plugin" in body and "ganzoo sample hf://me/tiny-class -n 16" in body
    assert 'ganzoo.load("hf://me/tiny-class")' in body
    protocol = json.loads((folder / "evaluation.json").read_text(encoding="utf-8"))["protocol"]
    assert (protocol["host"], protocol["note"]) == ("<host>", "measured on <host>.example.org")


def test_dry_run_writes_the_folder_and_uploads_nothing(run, tiny_host, uploads, in_tmp):
    result = push(run, "--dry-run", "--folder", "repo")
    assert result.exit_code == 0 and "nothing uploaded" in result.output and uploads == []
    assert (in_tmp / "repo" / "README.md").is_file()
    again = push(run, "--dry-run", "--folder", "repo")
    assert again.exit_code == 1 and "not empty" in again.output
    assert "expected owner/name" in CliRunner().invoke(cli, ["push", str(run), "no-owner", "--dry-run"]).output


def test_push_then_sample_from_the_hub_cache(run, tiny_host, uploads, hub_cache, in_tmp):
    assert push(run).exit_code == 0
    pushed = uploads[-1]["folder"] / hub.EXPORT_FILE
    raw = export_run(run, in_tmp / "raw.safetensors", ema=False)
    put_in_cache(hub_cache, "me/tiny-class", MAIN, pushed, refs=("main",))
    put_in_cache(hub_cache, "me/tiny-class", OTHER, raw, refs=("v1",))
    expected = load(run).sample(6, classes=["square"], seed=3)["samples"]
    assert torch.equal(load("hf://me/tiny-class").sample(6, classes=["square"], seed=3)["samples"], expected)
    pinned = load(run, ema=False).sample(6, seed=3)["samples"]
    for revision in ("v1", OTHER):
        assert torch.equal(load(f"hf://me/tiny-class@{revision}").sample(6, seed=3)["samples"], pinned)
    result = CliRunner().invoke(cli, ["sample", "hf://me/tiny-class", "-n", "4", "-o", "grid.png", "--class", "square"])
    assert result.exit_code == 0, result.output
    assert (in_tmp / "grid.png").is_file()


def test_serve_plays_with_a_hub_model_and_makes_its_space(run, tiny_host, hub_cache, in_tmp, monkeypatch):
    pytest.importorskip("gradio")
    from ganzoo.serve import Playground, write_space

    put_in_cache(hub_cache, "me/tiny-class", MAIN, export_run(run, in_tmp / "pushed.safetensors"), refs=("main",))
    asked: list[str] = []
    monkeypatch.setattr(hub, "download", lambda reference, _download=hub.download: asked.append(reference) or _download(reference))
    playground = Playground.open("hf://me/tiny-class", device="cpu")
    assert asked == ["hf://me/tiny-class"]  # the Hub is asked once, not once to load and again to find the file
    assert [label for _, label in playground.generate(0, 2, 0, "square")] == ["square · seed 0 #0", "square · seed 0 #1"]
    assert playground.source.name == hub.EXPORT_FILE and "`model.safetensors`" in playground.card()
    space = write_space("hf://me/tiny-class", in_tmp / "space")
    assert asked == ["hf://me/tiny-class"] * 2
    assert (space / hub.EXPORT_FILE).read_bytes() == (in_tmp / "pushed.safetensors").read_bytes()


def test_hub_failures_are_one_line(hub_cache, tiny_host, in_tmp, monkeypatch):
    with pytest.raises(GanzooError, match=r"^hf://me/absent: cannot get model.safetensors and it is not in the Hugging Face cache .*pass its path$"):
        load("hf://me/absent")
    for reference, message in (("hf://no-owner", "expected owner/name"), ("hf://me/x@", "nothing after '@'")):
        with pytest.raises(GanzooError, match=message):
            load(reference)
    result = CliRunner().invoke(cli, ["sample", "hf://me/absent"])
    assert result.exit_code == 1 and "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_a_hub_model_whose_plugin_is_missing_names_it_without_offering_a_command(run, tiny_host, uploads, hub_cache, in_tmp):
    assert push(run).exit_code == 0
    put_in_cache(hub_cache, "me/tiny-class", MAIN, uploads[-1]["folder"] / hub.EXPORT_FILE, refs=("main",))
    plugins.reset(plugins.PluginHost(autoload=False))  # the core only: tiny-plugin is not installed
    result = CliRunner().invoke(cli, ["sample", "hf://me/tiny-class"])
    assert result.exit_code == 1
    assert result.output.strip() == ("Error: hf://me/tiny-class needs generator 'tiny-gen' from 'tiny-plugin' '1.0', "
                                     "which is not installed: the file names 'tiny-plugin', which ganzoo does not know: "
                                     "check who publishes it before installing anything")  # a Hub file chose that name


def test_without_huggingface_hub_the_way_in_is_named(monkeypatch):
    import builtins

    real_import = builtins.__import__
    monkeypatch.setattr(builtins, "__import__", lambda name, *a, **k: (_ for _ in ()).throw(ImportError(name))
                        if name == "huggingface_hub" else real_import(name, *a, **k))
    with pytest.raises(GanzooError, match=rf"needs huggingface_hub: pip install '{CORE_DISTRIBUTION}\[hub\]'"):
        hub.download("hf://me/tiny-class")
