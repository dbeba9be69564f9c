"""Fuzzed presets files, export headers and every file a run writes and ganzoo reads back
(config, environment, best-model record, metrics log, checkpoint metadata, evaluation results,
lock) (hypothesis): a one-line error or a working result, never a traceback. Numbers stay small
so that a value the validation accepts builds in moments."""

from __future__ import annotations

import json
import string

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.torch import load_file, save_file

from ganzoo.cli import cli
from ganzoo.export import HEADER_KEY
from ganzoo.runs.files import read_environment, read_run_meta
from ganzoo.runs.snapshots import read_best

FUZZ = settings(max_examples=50, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

KEYS = ["task", "dataset", "nets", "generator", "discriminator", "loss", "conditioner", "resolution", "channels", "batch_size",
        "steps", "epochs", "n_critic", "ema", "ema_start", "optim", "G", "D", "lr", "betas", "schedule", "kind", "augment",
        "jitter", "flip", "precision", "seed", "log_every", "sample_every", "checkpoint_every", "sample_count", "init_from",
        "freeze", "extends", "name", "latent_dim", "width", "description"]
#: dotted keys reaching into the tables of a working preset, so fuzzing gets past the first checks
DOTTED = ["nets.generator.latent_dim", "nets.generator.width", "nets.discriminator.width", "nets.generator.name", "optim.G.lr",
          "optim.D.betas", "optim.D.weight_decay", "schedule.kind", "schedule.every", "schedule.gamma", "augment.jitter",
          "augment.flip", "dataset.name", "dataset.count", "task.name", "loss.name", "conditioner.name"]
NAMES = ["tiny", "tiny-gen", "tiny-disc", "tiny-bce", "tiny-translator", "unconditional", "class-conditional", "paired",
         "shapes", "shapes-paired", "learned", "class", "linear", "step", "constant", "fp32", "bf16"]

scalars = st.one_of(
    st.integers(-3, 64),
    st.floats(min_value=-10, max_value=10) | st.sampled_from([float("nan"), float("inf"), float("-inf"), 1e300]),
    st.booleans(),
    st.sampled_from(NAMES),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=8),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
                      max_leaves=8)


def toml_key(key: str) -> str:
    """A bare key (dotted keys stay dotted), else a quoted one."""
    return key if key and all(c in string.ascii_letters + string.digits + "_-." for c in key) else json.dumps(key, ensure_ascii=False)


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if value != value else ("inf" if value == float("inf") else "-inf" if value == float("-inf") else repr(value))
    if isinstance(value, (int, str)):
        return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def assert_no_traceback(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code == 1:
        assert len(result.output.strip().splitlines()) == 1, result.output


@FUZZ
@given(table=st.dictionaries(st.sampled_from(KEYS + DOTTED * 2), scalars | scalars | values, max_size=5), extends=st.booleans())
def test_fuzzed_presets_never_give_a_traceback(tiny_host, tmp_path, table, extends):
    text = "[fz]\n" + ('extends = "tiny"\n' if extends else "") + "".join(f"{toml_key(k)} = {toml_value(v)}\n" for k, v in table.items())
    (tmp_path / "fz.toml").write_text(text)
    result = CliRunner().invoke(cli, ["train", "fz", "--zoo", str(tmp_path / "fz.toml"), "--dry-run", "--out", str(tmp_path / "run")])
    assert_no_traceback(result)


@FUZZ
@given(content=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_fuzzed_presets_files_never_give_a_traceback(tiny_host, tmp_path, content):
    (tmp_path / "fz.toml").write_bytes(content)
    assert_no_traceback(CliRunner().invoke(cli, ["train", "tiny", "--zoo", str(tmp_path / "fz.toml"), "--dry-run"]))


@pytest.fixture
def export(tiny_host, tmp_path):
    runner = CliRunner()
    assert runner.invoke(cli, ["train", "tiny-class", "--quiet", "--device", "cpu", "--steps", "1", "--out", str(tmp_path / "run")]).exit_code == 0
    assert runner.invoke(cli, ["export", str(tmp_path / "run"), "-o", str(tmp_path / "good.safetensors")]).exit_code == 0
    from safetensors import safe_open

    with safe_open(str(tmp_path / "good.safetensors"), "pt") as handle:
        header = json.loads(handle.metadata()[HEADER_KEY])
    return tmp_path / "good.safetensors", header


def paths(node, prefix=()):
    """Every key path of a JSON tree."""
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, prefix + (index,))
    return found


@FUZZ
@given(data=st.data())
def test_fuzzed_export_headers_never_give_a_traceback(export, tmp_path, data):
    good, header = export
    tensors = load_file(str(good))
    header = mutated(data, header)
    target = tmp_path / "fuzzed.safetensors"
    save_file(tensors, str(target), metadata={HEADER_KEY: json.dumps(header)})
    assert_no_traceback(CliRunner().invoke(cli, ["sample", str(target), "-n", "2", "-o", str(tmp_path / "s.png"), "--device", "cpu"]))


# ----------------------------------------------------------------------------------------------
# Readers of our own files: each fuzzed from a valid file (values replaced, keys dropped, bytes cut)
# ----------------------------------------------------------------------------------------------

@pytest.fixture
def run_folder(tiny_host, tmp_path):
    run = tmp_path / "run"
    assert CliRunner().invoke(cli, ["train", "tiny-class", "--quiet", "--device", "cpu", "--steps", "2", "--out", str(run)]).exit_code == 0
    return run


def mutated(data, document):
    """``document`` (a JSON tree) with 1-3 values replaced or keys dropped."""
    document = json.loads(json.dumps(document))
    for _ in range(data.draw(st.integers(1, 3))):
        found = paths(document)[1:]
        if not found:
            return data.draw(values)
        path = data.draw(st.sampled_from(found))
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(values)
    return document


def fuzzed_bytes(data, original: bytes) -> bytes:
    """A valid file's bytes mutated as JSON, cut short, or replaced by random bytes."""
    how = data.draw(st.sampled_from(["json", "cut", "random"]))
    if how == "cut":
        return original[: data.draw(st.integers(0, max(0, len(original) - 1)))]
    if how == "random":
        return data.draw(st.binary(max_size=300))
    return json.dumps(mutated(data, json.loads(original))).encode()


def assert_handled(read) -> None:
    """``read()`` returns or refuses with a GanzooError (one line); nothing else escapes."""
    from ganzoo.errors import GanzooError

    try:
        read()
    except GanzooError as error:
        assert "\n" not in str(error), str(error)


READERS = {"config.json": read_run_meta, "environment.json": read_environment, "best.json": read_best}


@FUZZ
@given(data=st.data())
@pytest.mark.parametrize("name", list(READERS))
def test_fuzzed_run_files_never_give_a_traceback(run_folder, data, name):
    path = run_folder / name
    if not path.exists():  # best.json: a run without evaluation has none; start from a valid one
        path.write_text(json.dumps({"step": 2, "metric": "fid", "value": 1.5, "higher_is_better": False, "eval": {"fid": 1.5}}))
    original = path.read_bytes()
    try:
        path.write_bytes(fuzzed_bytes(data, original))
        assert_handled(lambda: READERS[name](run_folder))
        if name == "config.json":  # and the commands reading it
            for args in (["report", str(run_folder), "-o", str(run_folder.parent / "r.html")],
                         ["train", "--resume", str(run_folder), "--quiet", "--steps", "2"]):
                assert_no_traceback(CliRunner().invoke(cli, args))
    finally:
        path.write_bytes(original)


@FUZZ
@given(data=st.data())
def test_fuzzed_metrics_logs_never_give_a_traceback(run_folder, data):
    from ganzoo.runs.files import read_metrics

    path = run_folder / "metrics.jsonl"
    original = path.read_bytes()
    lines = original.decode().splitlines()
    try:
        index = data.draw(st.integers(0, len(lines) - 1))
        lines[index] = fuzzed_bytes(data, lines[index].encode()).decode("utf-8", errors="replace").replace("\n", " ")
        path.write_text("\n".join(lines) + data.draw(st.sampled_from(["\n", "", '\n{"step": 9, "G_lo'])))
        assert_handled(lambda: read_metrics(run_folder))
        assert_no_traceback(CliRunner().invoke(cli, ["report", str(run_folder), "-o", str(run_folder.parent / "r.html")]))
    finally:
        path.write_bytes(original)


@FUZZ
@given(data=st.data())
def test_fuzzed_checkpoint_metadata_never_gives_a_traceback(run_folder, data):
    import torch

    from ganzoo.runs.checkpoint import read_meta

    state = torch.load(run_folder / "checkpoint.pt", weights_only=True)
    text = fuzzed_bytes(data, state["meta"].encode()).decode("utf-8", errors="replace")
    assert_handled(lambda: read_meta({"meta": text}, "checkpoint.pt"))
    state["meta"] = text
    torch.save(state, run_folder.parent / "fuzzed.pt")
    assert_no_traceback(CliRunner().invoke(cli, ["sample", str(run_folder.parent / "fuzzed.pt"), "-n", "2", "-o",
                                                 str(run_folder.parent / "s.png"), "--device", "cpu"]))


@FUZZ
@given(data=st.data())
def test_fuzzed_evaluation_results_never_give_a_traceback(tmp_path, data):
    from ganzoo.runs.files import read_evaluation

    valid = {"model": "m", "data": "shapes", "count": 8, "scores": {"fid": 3.5, "kid": 0.1}, "higher_is_better": {"fid": False},
             "protocol": {"kind": "generated", "seed": 0, "data": {"split": "train"},
                          "extractors": {"image": {"name": "inception-fid", "sha256": "ab" * 32}}}}
    folder = tmp_path / "m"
    folder.mkdir(exist_ok=True)
    (folder / "evaluation.json").write_bytes(fuzzed_bytes(data, json.dumps(valid).encode()))
    assert_handled(lambda: read_evaluation(folder / "evaluation.json"))
    assert_no_traceback(CliRunner().invoke(cli, ["evaluate", "--compare", str(folder), str(folder)]))


@FUZZ
@given(content=st.binary(max_size=80) | st.text(max_size=80).map(str.encode) | values.map(lambda v: json.dumps(v).encode()))
def test_fuzzed_lock_files_never_give_a_traceback(tmp_path, content):
    import os

    from ganzoo.runs.lock import LOCK, UNOWNED_GRACE, RunLock

    (tmp_path / LOCK).write_bytes(content)
    old = (tmp_path / LOCK).stat().st_mtime - UNOWNED_GRACE - 1
    os.utime(tmp_path / LOCK, (old, old))
    assert_handled(lambda: RunLock(tmp_path).acquire().release())
