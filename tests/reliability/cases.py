"""What the reliability suite tries, in one place: the tests run these cases and
``docs/gen_reliability.py`` renders them as the table in docs/reliability.md.

* :data:`CASES`: bad command lines, each with the exit status and the one-line message expected.
* :func:`field_cases`: a bad value for every declared range and choice of the training config,
  generated from the dataclass field metadata (a new field with a range is covered by itself).
* :data:`FAULTS`: faults injected by the other tests of this folder (kills, signals, two writers,
  fuzzing), each naming the test that proves it.

Command lines run in a workspace holding: ``run`` (a tiny unconditional run), ``classrun`` (class
labels), ``textrun`` (captions), ``pairedrun`` (image to image), ``started`` (a run folder killed
before its first checkpoint), ``model.safetensors`` (an export of ``run``), ``notes.txt`` (text),
``blob.bin`` (random bytes), ``pickled.pt`` (a torch file holding a non-tensor object),
``image.png`` and ``afile`` (a regular file, so that ``afile/x`` cannot be created even as root).
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ganzoo.config import AugmentConfig, OptimConfig, Range, ScheduleConfig, TrainConfig, literal_choices


@dataclass(frozen=True)
class Case:
    """A command line (arguments of ``ganzoo``), the exit status and a part of the one-line message."""

    tried: str
    args: tuple[str, ...]
    exit_code: int
    message: str


def case(tried: str, command: str, exit_code: int, message: str) -> Case:
    return Case(tried, tuple(command.split()), exit_code, message)


CASES: list[Case] = [
    # --- components and their arguments
    case("a component argument of the wrong type", "train tiny --dry-run --set nets.generator.latent_dim=abc", 1,
         "nets.generator.latent_dim = 'abc': generator 'tiny-gen' takes int"),
    case("a negative network size", "train tiny --quiet --set nets.generator.latent_dim=-3", 1,
         "generator 'tiny-gen' cannot be built with latent_dim=-3"),
    case("the same, as a dry run", "train tiny --dry-run --set nets.generator.latent_dim=-3", 1,
         "generator 'tiny-gen' cannot be built with latent_dim=-3"),
    case("an argument the component does not take, as a dry run", "train tiny --dry-run --set nets.generator.depth=3", 1,
         "generator 'tiny-gen' has no parameter 'depth'"),
    case("a phase the task does not have, as a dry run", "train tiny --dry-run --set optim.X.lr=0.1", 1,
         "optim.X: the task has no phase 'X'"),
    case("Adam betas of the wrong length", "train tiny --dry-run --set optim.G.betas=[0.5]", 1, "optim.G.betas: expected 2 values"),
    case("a mix the ports refuse", "train tiny-paired --dry-run --gen tiny-gen", 1, "generator 'tiny-gen' accepts"),
    # --- presets files
    case("a binary file as --zoo", "train tiny --dry-run --zoo blob.bin", 1, "blob.bin is not a UTF-8 text (TOML) file"),
    case("a text file that is not TOML as --zoo", "train tiny --dry-run --zoo notes.txt", 1,
         "notes.txt: Expected '=' after a key in a key/value pair (at line 1, column 6)"),
    # --- run folders
    case("a run folder under a regular file", "train tiny --quiet --out afile/run", 1, "--out afile/run: afile is a file, not a folder"),
    case("the same, as a dry run", "train tiny --dry-run --out afile/run", 1, "--out afile/run: afile is a file, not a folder"),
    case("a new run into a folder holding a run", "train tiny --quiet --out run", 1, "--out run already holds a run"),
    case("resuming a run killed before its first checkpoint", "train --resume started --quiet", 1,
         "the run stopped before its first checkpoint"),
    case("changing a setting on resume", "train --resume run --batch-size 3", 1, "--batch-size cannot change a resumed run"),
    case("resuming a folder that is no run", "train --resume . --quiet", 1, "not a run folder"),
    # --- files given as models
    case("random bytes as a model", "sample blob.bin", 1, "blob.bin is not a ganzoo checkpoint: not a readable torch file"),
    case("a torch file holding objects other than tensors", "sample pickled.pt", 1,
         "pickled.pt is not a ganzoo checkpoint: it holds objects other than tensors"),
    case("an image as a model", "sample image.png", 1, "image.png is not a ganzoo checkpoint"),
    case("a text file named .safetensors", "sample notes.safetensors", 1, "notes.safetensors is not a readable safetensors file"),
    # --- flags the model cannot use
    case("a prompt for an unconditional model", "sample run --prompt circle", 1, "this model is unconditional"),
    case("a prompt for a class-conditional model", "sample classrun --prompt circle", 1,
         "this model is class-conditional: it takes --class, not --prompt"),
    case("--class for a text-conditional model", "sample textrun --class 1", 1, "this model is text-conditional: it takes --prompt, not --class"),
    case("a class out of range", "sample classrun --class 99", 1, "--class 99: out of range"),
    case("translating with an unconditional model", "translate run image.png", 1,
         "this model is unconditional: it generates from noise and translates nothing"),
    case("sampling from a translation model", "sample pairedrun", 1, "this model translates images"),
    # --- output paths
    case("sample output naming an existing text file", "sample run -o notes.txt", 1, "-o notes.txt: the file name must end in .png"),
    case("sample output under a regular file", "sample run -o afile/grid.png", 1, "-o afile/grid.png: afile is a file, not a folder"),
    case("sample output naming a folder", "sample run -o classrun", 2, "'classrun' is a directory"),
    case("translation output under a regular file", "translate pairedrun image.png -o afile/out.png", 1,
         "-o afile/out.png: afile is a file, not a folder"),
    case("translation output folder that is a file", "translate pairedrun image.png -o notes.txt", 1, "-o notes.txt: it is a file, not a folder"),
    case("export output under a regular file", "export run -o afile/model.safetensors", 1, "afile is a file, not a folder"),
    case("export output without .safetensors", "export run -o model.pt", 1, "an export file name must end in .safetensors"),
    case("exporting random bytes", "export blob.bin -o x.safetensors", 1, "blob.bin is not a ganzoo checkpoint"),
]

#: the click flags that set a config field directly (flag -> field).
FLAGS = {"--steps": "steps", "--epochs": "epochs", "--batch-size": "batch_size", "--resolution": "resolution",
         "--channels": "channels", "--ema": "ema", "--eval-every": "eval_every"}


def _config_fields() -> list[tuple[str, dataclasses.Field]]:
    """Every field of the training config with its dotted key (one phase stands for ``optim.*``)."""
    nested = {"optim": ("optim.G", OptimConfig), "schedule": ("schedule", ScheduleConfig), "augment": ("augment", AugmentConfig)}
    found = []
    for spec in dataclasses.fields(TrainConfig):
        if spec.name in nested:
            prefix, cls = nested[spec.name]
            found += [(f"{prefix}.{inner.name}", inner) for inner in dataclasses.fields(cls)]
        else:
            found.append((spec.name, spec))
    return found


#: each config field's resolved type (the annotations are strings), by the field object.
_HINTS = {id(spec): typing.get_type_hints(cls)[spec.name]
          for cls in (TrainConfig, OptimConfig, ScheduleConfig, AugmentConfig) for spec in dataclasses.fields(cls)}


def _outside(bounds: Range, integer: bool) -> list[float]:
    """Values just outside ``bounds``, and the non-finite ones for floats."""
    step = 1 if integer else 0.5
    values = []
    if bounds.low is not None:
        values.append(bounds.low if bounds.low_open else bounds.low - step)
    if bounds.high is not None:
        values.append(bounds.high if bounds.high_open else bounds.high + step)
    if not integer:
        values.append(math.inf)
    return [int(v) if integer else float(v) for v in values]


def _leaf_types(spec: dataclasses.Field) -> set:
    hint = typing.get_type_hints(_owner(spec))[spec.name]
    return {hint, *typing.get_args(hint)}


def _is_integer(spec: dataclasses.Field) -> bool:
    return int in _leaf_types(spec) and float not in _leaf_types(spec)


def _owner(spec: dataclasses.Field) -> type:
    for cls in (TrainConfig, OptimConfig, ScheduleConfig, AugmentConfig):
        if any(f is spec for f in dataclasses.fields(cls)):
            return cls
    raise LookupError(spec.name)


def _toml(value: float, tuple_size: int) -> str:
    text = "inf" if value == math.inf else repr(value)
    return f"[{', '.join([text] * tuple_size)}]" if tuple_size else text


def field_cases() -> list[Case]:
    """``--set KEY=VALUE`` (and the flag, where one exists) with a value outside each declared range
    or choice; the message must name the key, the value and the valid range."""
    cases = []
    for key, spec in _config_fields():
        bounds, choices = spec.metadata.get("range"), literal_choices(_HINTS[id(spec)])
        if bounds is not None:
            size = len(spec.default) if isinstance(spec.default, tuple) else 0
            for value in _outside(bounds, _is_integer(spec)):
                shown = _toml(value, size)
                cases.append(Case(f"`{key}` outside {bounds}", ("train", "tiny", "--dry-run", "--set", f"{key}={shown}"), 1,
                                  f"{key} = {[value] * size if size else value!r} is out of range: valid {bounds}"))
        if choices:
            cases.append(Case(f"`{key}` not one of {', '.join(choices)}", ("train", "tiny", "--dry-run", "--set", f"{key}=nonsense"), 1,
                              f"{key} = 'nonsense' is not one of {', '.join(choices)}"))
    for flag, key in FLAGS.items():
        spec = dict(_config_fields())[key]
        for value in _outside(spec.metadata["range"], _is_integer(spec))[:1]:
            cases.append(Case(f"`{flag}` outside its range", ("train", "tiny", "--dry-run", flag, str(value)), 2, flag))
    return cases


def ranged_fields() -> list[tuple[str, dataclasses.Field]]:
    """The config fields holding numbers: each must declare its valid range."""
    return [(key, spec) for key, spec in _config_fields() if _leaf_types(spec) & {int, float}]


@dataclass(frozen=True)
class Fault:
    """A fault the suite injects, what must happen, and the test proving it."""

    tried: str
    outcome: str
    test: str


FAULTS: list[Fault] = [
    Fault("`kill -9` at random moments, many times, each followed by `--resume`",
          "weights, optimiser state, running statistics and every metrics.jsonl line equal an uninterrupted run's",
          "test_kill_resume.py::test_killed_and_resumed_run_equals_an_uninterrupted_one"),
    Fault("`kill -9` halfway through writing a checkpoint",
          "the previous checkpoint stays intact; the orphaned temporary file is removed when the folder is opened again",
          "test_kill_resume.py::test_killed_and_resumed_run_equals_an_uninterrupted_one"),
    *(Fault(f"`kill -9` of `ganzoo {verb}` before each of its files is renamed into place",
            "the run folder is still reported on, evaluated, sampled from and resumed; the command's next run writes whole files",
            "test_kill_commands.py::test_a_command_killed_at_any_write_leaves_a_run_that_still_works")
      for verb in ("sample", "evaluate", "export", "report")),
    Fault("a half-written last line in metrics.jsonl", "dropped on resume, like lines after the checkpoint",
          "test_kill_resume.py::test_killed_and_resumed_run_equals_an_uninterrupted_one"),
    Fault("two `ganzoo train` into one folder at once", "the second exits 1 naming the owner's pid and host; the first is unaffected",
          "test_run_lock.py::test_second_writer_is_refused_naming_the_owner"),
    Fault("a lock left by a killed process (same host)", "taken over by the next writer",
          "test_run_lock.py::test_stale_lock_of_a_dead_process_is_taken_over"),
    Fault("a lock held by a live process or another host", "refused, naming pid and host",
          "test_run_lock.py::test_live_or_foreign_locks_are_refused"),
    Fault("Ctrl-C during training", "checkpoint saved at the step boundary, exit 130 with the --resume command; resume completes the run",
          "test_interrupt.py::test_ctrl_c_saves_and_says_how_to_resume"),
    Fault("Ctrl-C in a run that checkpoints only at its end", "still resumable",
          "test_interrupt.py::test_ctrl_c_saves_and_says_how_to_resume"),
    Fault("Ctrl-C twice", "stops at once: one line, exit 130, no traceback",
          "test_interrupt.py::test_second_ctrl_c_stops_at_once"),
    Fault("a loss going NaN", "stops naming the step and the loss; the last good checkpoint is kept",
          "test_interrupt.py::test_non_finite_training_stops_and_keeps_the_last_good_checkpoint"),
    Fault("parameters going infinite", "stops naming the step and the network; the last good checkpoint is kept",
          "test_interrupt.py::test_non_finite_training_stops_and_keeps_the_last_good_checkpoint"),
    Fault("train, sample, export and translate into a folder the kernel refuses files in (/proc/self)",
          "one line naming the option, the path and the reason, before any work",
          "test_unwritable.py::test_a_folder_refusing_files_is_named"),
    Fault("the same into read-only folders, and resuming a read-only run (skipped as root, where chmod does not bind)",
          "one line naming the option, the path and the reason, before any work",
          "test_unwritable.py::test_read_only_folders_are_named"),
    Fault("fuzzed zoo.toml (hypothesis: random tables, keys and values)", "a one-line error or a valid dry run; never a traceback",
          "test_fuzz.py::test_fuzzed_presets_never_give_a_traceback"),
    Fault("fuzzed export headers (hypothesis: values replaced, keys dropped)", "a one-line error or a working model; never a traceback",
          "test_fuzz.py::test_fuzzed_export_headers_never_give_a_traceback"),
    Fault("fuzzed config.json, environment.json and best.json (hypothesis: values replaced, keys dropped, bytes cut or random), "
          "read directly and by `report` and `train --resume`", "a one-line refusal naming the file, or the file read; never a traceback",
          "test_fuzz.py::test_fuzzed_run_files_never_give_a_traceback"),
    Fault("fuzzed metrics.jsonl (one line mutated, a torn last line)", "the torn last line skipped with a note; a damaged line before "
          "it refused naming the file and line", "test_fuzz.py::test_fuzzed_metrics_logs_never_give_a_traceback"),
    Fault("fuzzed checkpoint metadata (read directly and by `sample`)", "a one-line refusal naming the checkpoint and the field",
          "test_fuzz.py::test_fuzzed_checkpoint_metadata_never_gives_a_traceback"),
    Fault("fuzzed evaluation.json (read directly and by `evaluate --compare`)", "a one-line refusal naming the file and the field",
          "test_fuzz.py::test_fuzzed_evaluation_results_never_give_a_traceback"),
    Fault("fuzzed lock files (bytes, text, JSON of any shape), left by a crash", "taken over, or refused naming the owner",
          "test_fuzz.py::test_fuzzed_lock_files_never_give_a_traceback"),
    Fault("an empty or garbled lock file (a crash between creating and writing it)",
          "waited for while younger than 5 s (it may be being written), then taken over as stale",
          "test_run_lock.py::test_a_lock_naming_no_owner_is_stale_once_old"),
    Fault("the user's own `.NAME.tmp` files in a folder being locked", "kept: only the temporary files of ganzoo's atomic writes "
          "(`.NAME.XXXXXXXX.tmp`) are removed", "test_run_lock.py::test_stale_lock_of_a_dead_process_is_taken_over"),
    Fault("a full disk (every write fails with ENOSPC) during `train --resume`, `export`, `sample` and `report`",
          "one line naming the file and 'free some space'; the last checkpoint stays whole; no temporary file left",
          "test_full_disk.py::test_a_full_disk_is_one_line_and_keeps_the_last_checkpoint"),
    Fault("a full disk while `data get` unpacks an archive", "the disk's error, not 'the archive is damaged'",
          "test_full_disk.py::test_unpacking_onto_a_full_disk_is_not_called_damage"),
    Fault("presets named like paths (`/tmp/escaped`, `../../escaped`, ...) trained for real", "every run folder lies directly under runs/",
          "test_families.py::test_escaping_preset_names_stay_under_runs"),
]


# ----------------------------------------------------------------------------------------------
# Round two: generated families, one per class of mishandled input (see docs/reliability.md)
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Damage:
    """A copy of workspace file or folder ``source`` as ``target``, with ``file`` in it (or the copy
    itself, when ``file`` is empty) rewritten by ``apply`` (old bytes -> new bytes)."""

    target: str
    source: str
    file: str
    how: str
    apply: Callable[[bytes], bytes]


@dataclass(frozen=True)
class FamilyCase:
    """A case of a generated family: its class, the command line, the exit status and a part of
    the output; ``damage`` prepares its input, ``kept`` names files that must not change, and
    ``absent`` text that must not appear (a traceback, an install command chosen by a file)."""

    family: str
    tried: str
    args: tuple[str, ...]
    exit_code: int
    message: str
    damage: Damage | None = None
    kept: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()


def _json_edit(edit: Callable[[Any], Any]) -> Callable[[bytes], bytes]:
    def apply(data: bytes) -> bytes:
        value = json.loads(data)
        changed = edit(value)
        return json.dumps(value if changed is None else changed).encode()
    return apply


def _set(path: str, value: Any) -> Callable[[Any], None]:
    """An edit setting a dotted key of a JSON object (``-`` deletes it)."""
    def edit(node: Any) -> None:
        keys = path.split(".")
        for key in keys[:-1]:
            node = node[key]
        if value == "-":
            node.pop(keys[-1], None)
        else:
            node[keys[-1]] = value
    return edit


#: damages of any file: (name, apply)
BYTE_DAMAGES = [
    ("cut in half", lambda data: data[: len(data) // 2]),
    ("emptied", lambda data: b""),
    ("replaced by random bytes", lambda data: bytes(range(256)) * 3),
    ("not UTF-8", lambda data: b"\xff\xfe\xfa" + data),
]
#: damages of a JSON object file: the shape
JSON_DAMAGES = BYTE_DAMAGES + [
    ("a JSON list", lambda data: b"[1, 2]"),
    ("a JSON string", lambda data: b'"config"'),
    ("not JSON (HTML)", lambda data: b"<html><body>hello</body></html>"),
]
CONFIG_FIELD_DAMAGES = [
    ("'config' removed", _set("config", "-")),
    ("'config' a list", _set("config", [1, 2])),
    ("'source' removed", _set("source", "-")),
    ("'source.kind' a number", _set("source.kind", 3)),
    ("'source.dim' negative", _set("source.dim", -4)),
    ("'class_names' a number", _set("class_names", 7)),
    ("'components' a string", _set("components", "tiny")),
    ("'config.batch_size' a string", _set("config.batch_size", "big")),
    ("'config.nets' a list", _set("config.nets", ["tiny-gen"])),
    ("an unknown config key", _set("config.colour", "red")),
]


def _state_edit(edit: Callable[[dict], None]) -> Callable[[bytes], bytes]:
    """A damage of a checkpoint's content (loaded without unpickling code, saved back)."""
    def apply(data: bytes) -> bytes:
        import torch

        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        edit(state)
        out = io.BytesIO()
        torch.save(state, out)
        return out.getvalue()
    return apply


def _meta(edit: Callable[[Any], Any]) -> Callable[[dict], None]:
    def apply(state: dict) -> None:
        meta = json.loads(state["meta"])
        changed = edit(meta)
        state["meta"] = json.dumps(meta if changed is None else changed)
    return apply


def _first_weight(state: dict, change: Callable[[Any], Any]) -> None:
    """``change`` the generator's first float tensor, in its raw and EMA weights."""
    for nets in (state["nets"], state["ema"]):
        if "generator" in nets:
            key = next(k for k, v in nets["generator"].items() if v.is_floating_point())
            nets["generator"][key] = change(nets["generator"][key])


def _forged_component(meta: dict) -> None:
    meta["components"][0].update(name="tiny-gan", distribution="ganzoo-gann", version="9.9")


def _nan(t):
    return t.clone().fill_(float("nan"))


def _inf(t):
    return t.clone().fill_(float("inf"))


TENSOR_DAMAGES = [
    ("weights all NaN", _nan),
    ("weights all +inf", _inf),
    ("float weights stored as int64", lambda t: t.to(__import__("torch").int64)),
    ("float weights stored as bool", lambda t: t.to(__import__("torch").bool)),
]
CHECKPOINT_DAMAGES = BYTE_DAMAGES[:3] + [
    ("metadata not JSON", _state_edit(lambda s: s.update(meta="{not json"))),
    ("metadata a JSON list", _state_edit(_meta(lambda m: [m]))),
    ("metadata a number", _state_edit(lambda s: s.update(meta=42))),
    ("metadata without the config", _state_edit(_meta(_set("config", "-")))),
    ("metadata with 'source.dim' a string", _state_edit(_meta(_set("source.dim", "two")))),
    ("a component forged to come from 'ganzoo-gann'", _state_edit(_meta(_forged_component))),
    ("'nets' a list", _state_edit(lambda s: s.update(nets=[1, 2]))),
    ("'step' negative", _state_edit(lambda s: s.update(step=-5))),
    ("'step' a string", _state_edit(lambda s: s.update(step="ten"))),
] + [(what, _state_edit(lambda s, change=change: _first_weight(s, change))) for what, change in TENSOR_DAMAGES]


def _export_edit(header: Callable[[dict], Any] | None = None, tensor: Callable[[Any], Any] | None = None,
                 raw_header: str | None = None) -> Callable[[bytes], bytes]:
    """A damage of an export: its ganzoo header (parsed, or replaced by ``raw_header``) or its first float tensor."""
    def apply(data: bytes) -> bytes:
        from safetensors.torch import load, save

        size = int.from_bytes(data[:8], "little")
        metadata = json.loads(data[8:8 + size])["__metadata__"]
        tensors = load(data)
        if header is not None:
            value = json.loads(metadata["ganzoo"])
            changed = header(value)
            metadata["ganzoo"] = json.dumps(value if changed is None else changed)
        if raw_header is not None:
            metadata["ganzoo"] = raw_header
        if tensor is not None:
            key = next(k for k, v in sorted(tensors.items()) if v.is_floating_point())
            tensors[key] = tensor(tensors[key])
        return save(tensors, metadata=metadata)
    return apply


EXPORT_DAMAGES = BYTE_DAMAGES[:3] + [
    ("header not JSON", _export_edit(raw_header="{not json")),
    ("header a JSON list", _export_edit(raw_header="[1, 2]")),
    ("header without 'meta'", _export_edit(_set("meta", "-"))),
    ("header 'meta' a string", _export_edit(_set("meta", "x"))),
    ("header without the run's config", _export_edit(_set("meta.config", "-"))),
    ("header 'step' negative", _export_edit(_set("step", -3))),
    ("header 'step' a float", _export_edit(_set("step", 2.5))),
    ("header 'parts' unknown", _export_edit(_set("parts", "everything"))),
    ("header 'meta.source.dim' negative", _export_edit(_set("meta.source.dim", -1))),
    ("a component forged to come from 'ganzoo-gann'",
     _export_edit(lambda h: h["components"][0].update(name="tiny-gan", distribution="ganzoo-gann", version="9.9"))),
] + [(what, _export_edit(tensor=change)) for what, change in TENSOR_DAMAGES]

#: what each damage of a file of ours may be refused with (any one of them, in one line)
REFUSALS = ("damaged", "not a ganzoo checkpoint", "not a readable", "not UTF-8", "not JSON", "holds NaN or infinite values",
            "where the network holds", "lacks the run's 'config' or 'source'", "is not {kind", "not a list of names",
            "is not a step number", "is negative", "is not one of", "table of", "which ganzoo does not know", "missing or not a",
            "is not {kind, name, distribution, version}", "unknown key", "expected", "not an object")


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text).strip("-")


def damaged_file_cases() -> list[FamilyCase]:
    """Every reader of our own files (run config, metrics log, environment, best-model record,
    evaluation results, checkpoint and export metadata and weights) given each damage, through
    every command that reads it: one line naming the file, or the work done with a note."""
    cases: list[FamilyCase] = []

    def add(source: str, file: str, damages: list, commands: list[tuple[str, str]]) -> None:
        for how, apply in damages:
            target = f"dmg-{_slug(source)}-{_slug(file or 'file')}-{_slug(how)}"
            if not file:
                target += Path(source).suffix
            damage = Damage(target, source, file, how, apply)
            for verb, command in commands:
                args = tuple(command.format(t=target).split())
                # a resumed run is rebuilt from config.json: the checkpoint's component records are not read, and rewritten
                unread = "forged" in how and verb == "train --resume"
                cases.append(FamilyCase("reading our own files", f"{file or source} {how}, then `{verb}`", args, 0 if unread else 1,
                                        "done: step" if unread else "", damage, absent=("pip install ganzoo-gann",)))

    for damages in (JSON_DAMAGES, [(how, _json_edit(edit)) for how, edit in CONFIG_FIELD_DAMAGES]):
        add("run", "config.json", damages, [("report", "report {t} -o r.html"), ("train --resume", "train --resume {t} --quiet")])
    add("run", "environment.json", JSON_DAMAGES, [("report", "report {t} -o r.html")])
    add("bestrun", "best.json", JSON_DAMAGES + [("'value' a string", _json_edit(_set("value", "good"))),
                                                ("'step' removed", _json_edit(_set("step", "-")))],
        [("report", "report {t} -o r.html"), ("train --resume", "train --resume {t} --quiet")])
    add("evalrun", "evaluation.json", JSON_DAMAGES + [("'scores' a list", _json_edit(_set("scores", [1]))),
                                                      ("a score a string", _json_edit(lambda r: r["scores"].update(fid="low"))),
                                                      ("'protocol' a string", _json_edit(_set("protocol", "fid")))],
        [("evaluate --compare", "evaluate --compare {t} evalrun")])
    add("run", "metrics.jsonl", [("a damaged line before the last", lambda data: b"{oops\n" + data),
                                 ("a line holding a list", lambda data: b"[1, 2]\n" + data),
                                 ("a line whose step is a string", lambda data: b'{"step": "one"}\n' + data)],
        [("report", "report {t} -o r.html")])
    add("run", "checkpoint.pt", CHECKPOINT_DAMAGES,
        [("sample", "sample {t} -o s.png"), ("export", "export {t} -o e.safetensors"), ("translate", "translate {t} image.png -o t"),
         ("train --resume", "train --resume {t} --quiet")])
    add("model.safetensors", "", EXPORT_DAMAGES, [("sample", "sample {t} -o s.png"), ("translate", "translate {t} image.png -o t")])
    # what kill -9 leaves is not damage: the command works, saying what it skipped
    torn = Damage("dmg-run-metrics-torn", "run", "metrics.jsonl", "a half-written last line", lambda data: data + b'{"step": 9, "G_lo')
    for verb, command, message in (("report", "report dmg-run-metrics-torn -o torn.html", "skipped its last line (line"),
                                   ("train --resume", "train --resume dmg-run-metrics-torn --quiet --steps 2", "done: step 2")):
        cases.append(FamilyCase("reading our own files", f"metrics.jsonl with a half-written last line (kill -9), then `{verb}`",
                                tuple(command.split()), 0, message, torn))
    empty_lock = Damage("dmg-run-lock-empty", "run", ".lock", "an empty lock file left by a crash", lambda data: b"")
    cases.append(FamilyCase("reading our own files", "an empty .lock left by a crash (older than the grace period), then `train --resume`",
                            ("train", "--resume", "dmg-run-lock-empty", "--quiet", "--steps", "2"), 0, "done: step 2", empty_lock))
    return cases


FOREIGN = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "webp": "WEBP", "gif": "GIF", "tif": "TIFF", "tiff": "TIFF", "bmp": "BMP"}


def overwrite_cases() -> list[FamilyCase]:
    """Every command that writes, aimed at a file it did not write: refused, the file unchanged.
    The workspace holds ``mine.EXT`` (an image of the user's, of each format), ``mine.html``,
    ``mine.safetensors`` (no ganzoo header), ``userdir`` (a folder with the user's ``config.json``
    and ``.draft.tmp``)."""
    refused = "was not written by ganzoo, so it is kept"
    cases = [FamilyCase("writing over what is there", f"`sample -o` naming the user's .{ext} image", ("sample", "run", "-o", f"mine.{ext}"),
                        1, refused, kept=(f"mine.{ext}",)) for ext in FOREIGN]
    cases += [FamilyCase("writing over what is there", f"`translate -o` naming the user's .{ext} image",
                         ("translate", "pairedrun", "image.png", "-o", f"mine.{ext}"), 1, refused, kept=(f"mine.{ext}",)) for ext in FOREIGN]
    cases += [
        FamilyCase("writing over what is there", "`report -o` naming the run's checkpoint", ("report", "run", "-o", "run/checkpoint.pt"), 1,
                   "-o run/checkpoint.pt: the file name must end in .html, .htm", kept=("run/checkpoint.pt",)),
        FamilyCase("writing over what is there", "`report -o` naming the user's HTML page", ("report", "run", "-o", "mine.html"), 1, refused,
                   kept=("mine.html",)),
        FamilyCase("writing over what is there", "`report -o` naming the run's config", ("report", "run", "-o", "run/config.json"), 1,
                   "the file name must end in .html", kept=("run/config.json",)),
        FamilyCase("writing over what is there", "`export -o` naming a safetensors file of another tool",
                   ("export", "run", "-o", "mine.safetensors"), 1, refused, kept=("mine.safetensors",)),
        FamilyCase("writing over what is there", "`export -o` naming a text file called .safetensors",
                   ("export", "run", "-o", "notes.safetensors"), 1, refused, kept=("notes.safetensors",)),
        FamilyCase("writing over what is there", "`evaluate --grid` naming the user's image",
                   ("evaluate", "run", "--grid", "mine.png", "--metrics", "fid"), 1, refused, kept=("mine.png",)),
        FamilyCase("writing over what is there", "`train --out` into a folder of the user's files (config.json, .draft.tmp)",
                   ("train", "tiny", "--quiet", "--out", "userdir"), 1, "--out userdir: the folder holds files of no ganzoo run",
                   kept=("userdir/config.json", "userdir/.draft.tmp")),
        FamilyCase("writing over what is there", "the same, as a dry run", ("train", "tiny", "--dry-run", "--out", "userdir"), 1,
                   "--out userdir: the folder holds files of no ganzoo run", kept=("userdir/config.json", "userdir/.draft.tmp")),
        FamilyCase("writing over what is there", "`translate --examples -o` where the user's example-000.png is",
                   ("translate", "pairedrun", "--examples", "2", "-o", "userexamples"), 1, refused, kept=("userexamples/inputs/example-000.png",)),
    ]
    return cases


#: preset names that would put a run folder elsewhere if used as a path, and the folder they get
ESCAPING_NAMES = {"/tmp/escaped": "tmp-escaped", "../../escaped": "escaped", "..": "run", ".": "run", "a/../../b": "a-b",
                  "~/x": "x", "C:\\\\x": "C-x", ".hidden": "hidden"}


def path_cases() -> list[FamilyCase]:
    """Paths that escape, and outputs under a regular file, for every command that writes."""
    cases = [FamilyCase("paths that escape", f"a preset named {name!r} (./names.toml) trains into runs/",
                        ("train", name, "--zoo", "names.toml", "--quiet", "--steps", "1"), 0, f"run folder: runs/{folder}-")
             for name, folder in ESCAPING_NAMES.items()]
    under = "afile is a file, not a folder"
    for tried, command in [("`new-plugin --dir` under a regular file", "new-plugin mygan --dir afile/x"),
                           ("`translate --examples -o` under a regular file", "translate pairedrun --examples 2 -o afile/x"),
                           ("`translate` of a folder with -o under a regular file", "translate pairedrun inputs -o afile/x"),
                           ("`report -o` under a regular file", "report run -o afile/r.html"),
                           ("`evaluate --grid` under a regular file", "evaluate run --grid afile/g.png --metrics fid")]:
        cases.append(FamilyCase("paths that escape", tried, tuple(command.split()), 1, under))
    return cases


def contradiction_cases() -> list[FamilyCase]:
    """Settings that contradict each other or do nothing, refused alike by a dry run and a run."""
    combos = [
        ("--steps with --epochs", "--steps 5 --epochs 2", "steps = 5 and epochs = 2.0 both set the training length"),
        ("--set steps with --set epochs", "--set steps=5 --set epochs=2", "both set the training length"),
        ("--keep-snapshots without --snapshot-every", "--keep-snapshots 3", "keep_snapshots = 3 keeps the newest snapshots, but snapshot_every = 0"),
        ("--best-metric with no evaluation", "--best-metric fid", "best_metric = 'fid' needs evaluations, but eval_every = 0"),
        ("eval_metrics with no evaluation", "--set eval_metrics=['fid']", "eval_metrics = ['fid'] needs evaluations"),
        ("--best-metric not among eval_metrics", "--eval-every 5 --set eval_metrics=['kid'] --best-metric fid",
         "best_metric = 'fid' is not evaluated"),
        ("ema_start without ema", "--set ema_start=10", "ema_start = 10 delays an EMA that ema = 0.0 turns off"),
        ("a step schedule that never steps", "--set schedule.kind=step", "schedule.kind = 'step' needs schedule.every"),
        ("--set preset=... (would rewrite the recorded preset)", "--set preset=dcgan", "'preset' names presets and is not a setting"),
        ("--set extends=...", "--set extends=tiny-class", "'extends' names presets and is not a setting"),
        ("--set plugins=...", "--set plugins=['x']", "'plugins' names presets and is not a setting"),
        ("--set fast=banana", "--set fast=banana", "fast = 'banana' is not one of auto, on, off"),
    ]
    cases = []
    for tried, flags, message in combos:
        for mode in ("--dry-run", "--quiet"):
            cases.append(FamilyCase("contradictory or ineffective settings", f"{tried} ({'dry run' if mode == '--dry-run' else 'run'})",
                                    ("train", "tiny", mode, *flags.split()), 1, message))
    cases.append(FamilyCase("contradictory or ineffective settings", "--resume with --steps and --epochs",
                            ("train", "--resume", "run", "--steps", "5", "--epochs", "2"), 1, "--steps and --epochs both set the training length"))
    return cases


def image_cases() -> list[FamilyCase]:
    """Images that are not what they say, read by a dataset (``--data``), translate and --aligned.
    The workspace's ``imgs-KIND`` folders hold good images plus one of each kind (see test_bad_input)."""
    cases = []
    for kind, message in [("bomb", "larger than 89,478,485 pixels"), ("truncated", "unreadable or truncated"), ("fake", "unreadable or truncated"),
                          ("tiny", "smaller than")]:
        cases.append(FamilyCase("images that are not what they say", f"a dataset holding a {kind} image",
                                ("train", "tiny", "--dry-run", "--data", f"imgs-{kind}"), 1, message))
        cases.append(FamilyCase("images that are not what they say", "the same with --skip-bad (a run: a dry run keeps quiet)",
                                ("train", "tiny", "--quiet", "--steps", "1", "--data", f"imgs-{kind}", "--skip-bad", "--out", f"skip-{kind}"),
                                0, "skipped 1 bad images"))
        if kind != "tiny":  # translation takes images of any size
            cases.append(FamilyCase("images that are not what they say", f"translating a {kind} image",
                                    ("translate", "pairedrun", f"imgs-{kind}/odd.png", "-o", f"tr-{kind}.png"), 1, message))
    for mode in IMAGE_MODES:
        cases.append(FamilyCase("images that are not what they say", f"a dataset holding a {mode} image",
                                ("train", "tiny", "--dry-run", "--data", f"imgs-mode-{_slug(mode)}"), 0, "mix ok"))
    cases += [
        FamilyCase("images that are not what they say", "`translate --aligned` on square images (not A|B pairs)",
                   ("translate", "pairedrun", "inputs", "--aligned", "--direction", "AtoB", "-o", "aligned-out"), 1, "not side-by-side A|B pairs"),
        FamilyCase("images that are not what they say", "caption files that are not UTF-8",
                   ("train", "tiny", "--dry-run", "--set", "task=text-conditional", "--cond", "learned", "--dataset", "captions-files",
                    "--data", "badcaptions"), 1, "img-3.txt is not UTF-8 text (byte 0xff on line 1)"),
        FamilyCase("images that are not what they say", "a captions manifest that is not UTF-8",
                   ("train", "tiny", "--dry-run", "--set", "task=text-conditional", "--cond", "learned", "--dataset", "captions-jsonl",
                    "--data", "badcaptions.jsonl"), 1, "badcaptions.jsonl is not UTF-8 text (byte 0xff on line 2)"),
    ]
    return cases


#: PIL modes a dataset may hold (written as PNG or TIFF); each is read as 8-bit RGB or grey
IMAGE_MODES = ("1", "L", "LA", "P", "RGBA", "CMYK", "YCbCr", "LAB", "I", "I;16", "I;16B", "F", "RGBX")


def unbounded_cases() -> list[FamilyCase]:
    """Work without a bound: refused with a message before it starts."""
    return [
        FamilyCase("unbounded work", "`sample --truncation 1e-30` (the redraw loop could not finish)",
                   ("sample", "run", "--truncation", "1e-30", "-o", "u.png"), 1, "truncation = 1e-30: must be at least 0.01"),
        FamilyCase("unbounded work", "`sample --seed 2**70`", ("sample", "run", "--seed", str(2**70), "-o", "u.png"), 2, "--seed"),
        FamilyCase("unbounded work", "`sample --interpolate` with a seed at the top of the range",
                   ("sample", "run", "--interpolate", "--seed", str(2**63 - 1), "-o", "u.png"), 1, "seed = 9223372036854775807"),
        FamilyCase("unbounded work", "`translate --seed 2**70`", ("translate", "pairedrun", "image.png", "--seed", str(2**70)), 2, "--seed"),
        FamilyCase("unbounded work", "`evaluate --seed -2**70`", ("evaluate", "run", "--seed", str(-(2**70))), 2, "--seed"),
        FamilyCase("unbounded work", "an `extends` chain 1,500 presets deep", ("train", "p1499", "--dry-run", "--zoo", "deep.toml"), 1,
                   "extends a chain of more than 64 presets"),
        FamilyCase("unbounded work", "an `extends` cycle", ("train", "loop-a", "--dry-run", "--zoo", "deep.toml"), 1, "extends itself through"),
    ]


#: each family's generator, for the table
FAMILY_SOURCES = {"reading our own files": "damaged_file_cases", "writing over what is there": "overwrite_cases",
                  "paths that escape": "path_cases", "contradictory or ineffective settings": "contradiction_cases",
                  "images that are not what they say": "image_cases", "unbounded work": "unbounded_cases"}


def family_cases() -> list[FamilyCase]:
    return damaged_file_cases() + overwrite_cases() + path_cases() + contradiction_cases() + image_cases() + unbounded_cases()


@dataclass(frozen=True)
class ApiCase:
    """A misuse of the Python API on a loaded model of the workspace: the exception type and message."""

    model: str
    call: str
    error: str
    message: str


API_CASES = [ApiCase(model, call, error, message) for model, call, error, message in [
    ("run", "sample(2.5)", "TypeError", "n must be an int"),
    ("run", "sample('4')", "TypeError", "n must be an int"),
    ("run", "sample(True)", "TypeError", "n must be an int"),
    ("run", "sample(0)", "ValueError", "n = 0: give 1 to 4096"),
    ("run", "sample(-3)", "ValueError", "n = -3: give 1 to 4096"),
    ("run", "sample(10**9)", "ValueError", "n = 1000000000: give 1 to 4096"),
    ("run", "sample(2, seed=2**70)", "ValueError", "seed = 1180591620717411303424: must be a 64-bit integer"),
    ("run", "sample(2, seed=1.5)", "TypeError", "seed must be an int"),
    ("run", "sample(2, seed='7')", "TypeError", "seed must be an int"),
    ("run", "sample(2, truncation=1e-30)", "ValueError", "truncation = 1e-30: must be at least 0.01"),
    ("run", "sample(2, truncation=0)", "ValueError", "truncation = 0: must be at least 0.01"),
    ("run", "sample(2, truncation=-1.0)", "ValueError", "truncation = -1.0"),
    ("run", "sample(2, truncation=float('nan'))", "ValueError", "truncation = nan"),
    ("run", "sample(2, truncation=float('inf'))", "ValueError", "truncation = inf"),
    ("run", "sample(2, truncation='0.5')", "TypeError", "truncation must be a number"),
    ("run", "interpolate(0, 8)", "ValueError", "paths = 0"),
    ("run", "interpolate(2, 0)", "ValueError", "frames = 0"),
    ("run", "interpolate(2.0, 8)", "TypeError", "paths must be an int"),
    ("run", "interpolate(100, 100)", "ValueError", "paths x frames = 10000"),
    ("run", "interpolate(2, 4, seed=2**63 - 2)", "ValueError", "seed = 9223372036854775806"),
    ("run", "sample(2, prompts=['a circle'])", "ValueError", "this model is unconditional"),
    ("textrun", "sample(2, prompts='a red circle')", "TypeError", "prompts must be a list of captions, not one string"),
    ("textrun", "sample(2, prompts=[3])", "TypeError", "every caption must be a str"),
    ("textrun", "sample(2, prompts=5)", "TypeError", "prompts must be a list of captions"),
    ("textrun", "interpolate(1, 3, prompts='a red circle')", "TypeError", "prompts must be a list of captions, not one string"),
    ("classrun", "sample(2, classes='circle')", "TypeError", "classes must be a list of class indices or names, not one string"),
    ("classrun", "sample(2, classes=[1.5])", "TypeError", "each class is an int index or a str name, got 1.5"),
    ("classrun", "sample(2, classes=[True])", "TypeError", "got True"),
    ("classrun", "sample(2, classes=[None])", "TypeError", "got None"),
    ("classrun", "sample(2, classes=7)", "TypeError", "classes must be a list"),
    ("classrun", "sample(2, classes=[99])", "ValueError", "out of range"),
    ("classrun", "sample(2, classes=['nonesuch'])", "ValueError", "unknown class"),
    ("pairedrun", "translate([1, 2, 3])", "TypeError", "images must be a torch.Tensor"),
    ("pairedrun", "translate(None)", "TypeError", "images must be a torch.Tensor"),
    ("pairedrun", "translate(torch.zeros(3, 24, 24))", "ValueError", "expected a float tensor [N, 3, H, W]"),
    ("pairedrun", "translate(torch.zeros(2, 3, 24, 24, dtype=torch.uint8))", "ValueError", "got torch.uint8"),
    ("pairedrun", "translate(torch.zeros(0, 3, 24, 24))", "ValueError", "with N >= 1"),
    ("pairedrun", "translate(torch.zeros(2, 1, 24, 24))", "ValueError", "[N, 3, H, W]"),
    ("pairedrun", "sample(2)", "ValueError", "this model translates images"),
    ("run", "translate(torch.zeros(1, 3, 24, 24))", "ValueError", "it generates from noise and translates nothing"),
]]
