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
import math
import typing
from dataclasses import dataclass

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
]
