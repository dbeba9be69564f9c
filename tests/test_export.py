"""Export to safetensors and load back: same outputs as the run, and every damaged file refused clearly."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from PIL import Image
from safetensors import safe_open
from safetensors.torch import save_file

import ganzoo
from ganzoo import plugins
from ganzoo.cli import cli
from ganzoo.errors import GanzooError
from ganzoo.export import HEADER_KEY, ExportError, export_run, read_export
from ganzoo.hookspecs import hookimpl
from ganzoo.loading import load, load_export
from ganzoo.presets import load_book
from ganzoo.runs.checkpoint import load_checkpoint
from ganzoo.train.loop import Trainer
from ganzoo.version import CORE_DISTRIBUTION
from tests import tinyplugin
from tests.conftest import make_tiny_host


def train(preset: str, run_dir: Path, **overrides) -> Path:
    Trainer(load_book().resolve(preset, overrides), run_dir).run()
    return run_dir


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """Short runs trained once for the module: class-conditional with EMA and a conditioner (so every
    part of an export is exercised), and paired translation."""
    root = tmp_path_factory.mktemp("runs")
    plugins.reset(make_tiny_host())
    try:
        return {
            "class": train("tiny-class", root / "class", conditioner={"name": "class", "dim": 8}),
            "paired": train("tiny-paired", root / "paired"),
        }
    finally:
        plugins.reset(None)


@pytest.fixture
def host(tiny_host, in_tmp):
    return tiny_host


@pytest.fixture
def class_run(runs, host) -> Path:
    return runs["class"]


@pytest.fixture
def exported(class_run, in_tmp) -> Path:
    return export_run(class_run, in_tmp / "model.safetensors")


def rewrite(path: Path, edit_header=None, edit_tensors=None) -> Path:
    """A copy of an export with its header and/or tensors changed, written as a valid safetensors file."""
    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata()
        tensors = {key: handle.get_tensor(key) for key in handle.keys()}
    if edit_header is not None:
        header = json.loads(metadata[HEADER_KEY])
        edit_header(header)
        metadata = {HEADER_KEY: json.dumps(header)}
    if edit_tensors is not None:
        edit_tensors(tensors)
    target = path.with_name("tampered.safetensors")
    save_file(tensors, str(target), metadata=metadata)
    return target


# ----------------------------------------------------------------------------------------------
# Same outputs as the run
# ----------------------------------------------------------------------------------------------

def test_export_samples_exactly_like_the_run(class_run, exported):
    from_run = load(class_run).sample(12, classes=["square", 0], seed=5)["samples"]
    from_export = load(exported).sample(12, classes=["square", 0], seed=5)["samples"]
    assert from_run.shape == (12, 3, 16, 16)
    assert torch.equal(from_run, from_export)


def test_generator_export_holds_the_generator_and_conditioner_with_ema_weights(class_run, exported):
    export = read_export(exported)
    assert {name.partition(".")[0] for name in export.tensors} == {"generator", "conditioner"}
    state = load_checkpoint(class_run)
    for key, value in state["ema"]["generator"].items():
        assert torch.equal(export.tensors[f"generator.{key}"], value)
    assert export.ema and export.parts == "generator" and export.step == 6
    assert export.meta["config"]["nets"]["generator"]["name"] == "tiny-gen"
    assert export.meta["class_names"][0] == "circle"
    # what rebuilding the generator needs; not the discriminator, loss or dataset it was trained with
    assert {(c.kind, c.name, c.distribution) for c in export.components} == {
        ("generator", "tiny-gen", "tiny-plugin"), ("conditioner", "class", CORE_DISTRIBUTION), ("task", "class-conditional", CORE_DISTRIBUTION)}
    loaded = load(exported)
    assert set(loaded.nets) == {"generator", "conditioner"}  # no discriminator is built


def test_all_parts_and_raw_weights(class_run, in_tmp):
    path = export_run(class_run, in_tmp / "all.safetensors", ema=False, parts="all")
    state = load_checkpoint(class_run)
    loaded = load_export(path, ema=False)
    assert set(loaded.nets) == {"generator", "discriminator", "conditioner"}
    for role, net in loaded.nets.items():
        for key, value in net.state_dict().items():
            assert torch.equal(value, state["nets"][role][key]), f"{role}.{key}"


def test_no_ema_refuses_an_export_holding_ema_weights(exported):
    with pytest.raises(ExportError, match="EMA weights only; export the run with --no-ema"):
        load_export(exported, ema=False)


def test_paired_export_translates_like_the_run(runs, host, in_tmp):
    run = runs["paired"]
    path = export_run(run, in_tmp / "paired.safetensors")
    images = torch.rand(3, 3, 16, 16) * 2 - 1
    expected = load(run).translate(images).output
    assert torch.equal(load(path).translate(images).output, expected)


def test_ganzoo_load_is_exposed_lazily(exported):
    assert ganzoo.load is load
    code = "import sys, ganzoo; assert 'ganzoo.loading' not in sys.modules and 'ganzoo.train.loop' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, env={"GANZOO_NO_AUTOLOAD": "1", "OMP_NUM_THREADS": "1"})


# ----------------------------------------------------------------------------------------------
# Refused input
# ----------------------------------------------------------------------------------------------

def test_a_missing_plugin_names_the_distribution_to_install(exported):
    plugins.reset(plugins.PluginHost(autoload=False))  # the core only: the tiny plugin is gone
    with pytest.raises(ExportError, match=r"needs generator 'tiny-gen' from 'tiny-plugin' '1\.0', which is not installed: "
                       r"the file names 'tiny-plugin', which ganzoo does not know: check who publishes it before installing anything$"):
        load(exported)


def test_a_generator_export_loads_without_the_plugins_of_its_discriminator_and_loss(exported, class_run):
    expected = load(exported).sample(4, classes=["circle"], seed=3)["samples"]
    only_the_generator = types.ModuleType("generator_only")
    only_the_generator.ganzoo_components = hookimpl(lambda: [tinyplugin.tiny_gen])
    host = plugins.PluginHost(autoload=False)
    assert host.register(only_the_generator, "tiny", "tiny-plugin", "1.0"), host.broken
    plugins.reset(host)  # tiny-disc and tiny-bce are gone
    loaded = load(exported)
    assert torch.equal(loaded.sample(4, classes=["circle"], seed=3)["samples"], expected)
    with pytest.raises(GanzooError, match="loaded to sample or translate"):
        loaded.task.loss.real(torch.zeros(1))
    # a run folder holds every network: loading it names the missing distribution
    with pytest.raises(GanzooError, match=r"needs discriminator 'tiny-disc', loss 'tiny-bce' from 'tiny-plugin' '1\.0', "
                       r"which is not installed: the file names 'tiny-plugin'"):
        load(class_run)


def generators_only() -> None:
    """The tiny plugin reinstalled without its discriminator and loss (pix2pix's paired task stays)."""
    from ganzoo_pix2pix import plugin as pix2pix

    generators = types.ModuleType("generators_only")
    generators.ganzoo_components = hookimpl(lambda: [tinyplugin.tiny_gen, tinyplugin.tiny_translator])
    host = plugins.PluginHost(autoload=False)
    assert host.register(pix2pix, "pix2pix", "ganzoo-pix2pix", "0.1.0"), host.broken
    assert host.register(generators, "tiny", "tiny-plugin", "1.0"), host.broken
    plugins.reset(host)


def test_translating_needs_only_the_generators_plugins_and_a_resume_names_the_missing_one_as_loading_does(runs, host, in_tmp):
    run = in_tmp / "paired-run"
    shutil.copytree(runs["paired"], run)
    full = export_run(run, in_tmp / "all.safetensors", parts="all")
    Image.new("RGB", (16, 16)).save(in_tmp / "input.png")
    generators_only()
    runner = CliRunner()
    for model in (full, run):  # an export of every network, and the run folder
        result = runner.invoke(cli, ["translate", str(model), "input.png", "-o", "out.png", "--device", "cpu"])
        assert result.exit_code == 0, result.output
    install = ("from 'tiny-plugin' '1.0', which is not installed: the file names 'tiny-plugin', which ganzoo does not know: "
               "check who publishes it before installing anything")  # a name from the file is never offered as a command
    with pytest.raises(ExportError) as loading:
        load(full)  # every network the file holds (not the loss)
    assert str(loading.value) == f"{full} needs discriminator 'tiny-disc' {install}"
    resumed = runner.invoke(cli, ["train", "--resume", str(run), "--steps", "8"])
    assert resumed.exit_code == 1 and resumed.output == f"Error: {run} needs discriminator 'tiny-disc', loss 'tiny-bce' {install}\n"


def test_a_broken_plugin_is_named_with_its_cause(exported):
    host = plugins.PluginHost(autoload=False)
    host._mark_broken("tiny", "tiny-plugin", "1.0", ImportError("no module named tinydeps"))
    plugins.reset(host)
    with pytest.raises(ExportError, match="tiny-plugin, which is installed but failed to load: ImportError: no module named tinydeps"):
        load(exported)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda data: data[: len(data) - 100], "not a readable safetensors file"),
        (lambda data: b"", "not a readable safetensors file"),
        (lambda data: b"\x00" * 64, "not a readable safetensors file"),
        (lambda data: data[:8] + b"[" + data[9:], "not a readable safetensors file"),
    ],
    ids=["truncated", "empty", "zeros", "bad-json-header"],
)
def test_corrupted_files_are_refused(exported, damage, message):
    exported.write_bytes(damage(exported.read_bytes()))
    with pytest.raises(ExportError, match=message):
        load(exported)


def test_a_pickle_is_refused_without_running_it(in_tmp):
    class Payload:
        def __reduce__(self):
            return (Path.touch, (in_tmp / "pwned",))

    path = in_tmp / "evil.safetensors"
    path.write_bytes(pickle.dumps(Payload()))
    with pytest.raises(ExportError, match="not a readable safetensors file"):
        load(path)
    assert not (in_tmp / "pwned").exists()


def test_a_plain_safetensors_file_is_not_an_export(in_tmp):
    path = in_tmp / "weights.safetensors"
    save_file({"w": torch.zeros(2)}, str(path))
    with pytest.raises(ExportError, match="not a ganzoo export"):
        load(path)


def _set_config(key: str, value):
    def edit(header):
        header["meta"]["config"]["nets"]["generator"][key] = value
    return edit


@pytest.mark.parametrize(
    ("edit_header", "message"),
    [
        (lambda h: h.pop("meta"), r"damaged ganzoo header: 'meta' missing"),
        (lambda h: h.update(parts="half"), r"parts 'half' is not one of generator, all"),
        (lambda h: h["meta"].pop("config"), r"'meta' lacks the run's 'config'"),
        (lambda h: h["components"].append({"kind": "generator"}), r"component entry .* is not"),
        (lambda h: h["components"].append({"kind": "gizmo", "name": "x", "distribution": "x", "version": "1"}), "component kind 'gizmo'"),
        (lambda h: h.update(format=99), r"written by a newer ganzoo .*format 99.*upgrade ganzoo"),
        (lambda h: h["meta"]["config"].update(colour="red"), r"unknown key 'colour'"),
        (_set_config("name", "nope"), r"unknown generator 'nope'"),
        (_set_config("width", 8), r"weights for 'generator' do not fit"),
        (_set_config("width", -4), r"generator .tiny-gen. cannot be built with width=-4"),
        (_set_config("depth", 3), r"has no parameter 'depth'"),
    ],
    ids=["no-meta", "bad-parts", "no-config", "bad-component", "bad-kind", "newer-format", "unknown-key",
         "unknown-name", "wrong-kwargs", "absurd-kwargs", "unknown-kwarg"],
)
def test_tampered_headers_are_refused(exported, edit_header, message):
    with pytest.raises(ExportError, match=message):
        load(rewrite(exported, edit_header=edit_header))


def test_a_rebuild_failure_names_changed_plugin_versions(exported):
    def older_plugin_and_other_width(header):
        _set_config("width", 8)(header)
        for record in header["components"]:
            if record["distribution"] == "tiny-plugin":
                record["version"] = "0.9"

    with pytest.raises(ExportError, match=r"do not fit .* \(exported with other versions: tiny-plugin 0\.9 -> 1\.0\)$"):
        load(rewrite(exported, edit_header=older_plugin_and_other_width))


def test_a_bad_header_json_is_refused(exported):
    with safe_open(str(exported), framework="pt") as handle:
        tensors = {key: handle.get_tensor(key) for key in handle.keys()}
    save_file(tensors, str(exported), metadata={HEADER_KEY: '{"format": 1, '})
    with pytest.raises(ExportError, match="header is not valid JSON"):
        load(exported)


def _grow(tensors):
    key = next(k for k in tensors if k.startswith("generator.") and tensors[k].ndim == 2)
    tensors[key] = torch.zeros(tensors[key].shape[0] + 1, tensors[key].shape[1])


@pytest.mark.parametrize(
    ("edit_tensors", "message"),
    [
        (_grow, r"weights for 'generator' do not fit its network \(.*size mismatch"),
        (lambda t: t.pop(next(k for k in t if k.startswith("generator."))), r"do not fit its network \(Missing key"),
        (lambda t: t.update({"generator.extra.weight": torch.zeros(1)}), r"do not fit its network \(Unexpected key"),
        (lambda t: t.update({"discriminator.head.weight": torch.zeros(1)}), r"tensor 'discriminator.head.weight' belongs to no exported network"),
        (lambda t: t.update({"orphan": torch.zeros(1)}), r"tensor 'orphan' belongs to no exported network"),
    ],
    ids=["wrong-shape", "missing-tensor", "extra-tensor", "undeclared-network", "no-role"],
)
def test_tampered_tensors_are_refused(exported, edit_tensors, message):
    with pytest.raises(ExportError, match=message):
        load(rewrite(exported, edit_tensors=edit_tensors))


def test_export_refuses_a_bad_destination_or_parts(class_run, in_tmp):
    with pytest.raises(ExportError, match=r"must end in \.safetensors"):
        export_run(class_run, in_tmp / "model.pt")
    with pytest.raises(ExportError, match="--parts 'half'"):
        export_run(class_run, in_tmp / "model.safetensors", parts="half")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------

def test_cli_export_then_sample_and_translate(runs, host, in_tmp):
    runner = CliRunner()
    run = runs["paired"]
    result = runner.invoke(cli, ["export", str(run), "-o", "paired.safetensors", "--parts", "all"])
    assert result.exit_code == 0, result.output
    assert "exported discriminator, generator" in result.output and "step 6" in result.output
    Image.new("RGB", (20, 20), (255, 255, 255)).save(in_tmp / "input.png")
    result = runner.invoke(cli, ["translate", "paired.safetensors", "input.png", "-o", "out.png", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert Image.open(in_tmp / "out.png").size == (16, 16)

    assert runner.invoke(cli, ["export", str(runs["class"]), "-o", "class.safetensors"]).exit_code == 0
    result = runner.invoke(cli, ["sample", "class.safetensors", "-n", "4", "-o", "grid.png", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert (in_tmp / "grid.png").is_file()


def test_cli_shows_a_damaged_export_as_one_line(exported):
    exported.write_bytes(exported.read_bytes()[:-10])
    result = CliRunner().invoke(cli, ["sample", str(exported), "--device", "cpu"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1 and "Traceback" not in result.output


def test_clip_conditioned_export_loads_without_the_clip_file(host, tmp_path):
    """The exported text tower rebuilds from its own tensors: the CLIP weights file may be gone."""
    from tests.conditioning.test_conditioners import tiny_clip

    weights = tmp_path / "tiny-clip.pt"
    torch.save(tiny_clip().state_dict(), weights)
    run = train("tiny", tmp_path / "run", task="text-conditional", conditioner={"name": "clip", "weights": str(weights)})
    path = export_run(run, tmp_path / "clip.safetensors")
    prompts = ["a red circle on a blue background", "a green cross on a white background"]
    expected = load(run).sample(4, prompts=prompts, seed=3)["samples"]
    weights.unlink()
    rebuilt = load_export(path)
    assert torch.equal(rebuilt.sample(4, prompts=prompts, seed=3)["samples"], expected)
