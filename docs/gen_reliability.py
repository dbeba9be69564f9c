"""Write docs/reliability.md, the table of what the reliability suite tries, from the suite itself.

    .venv/bin/python docs/gen_reliability.py  # rewrite docs/reliability.md

Every row is a case of tests/reliability/cases.py that the tests of tests/reliability/ run and
assert, so the table cannot promise what the suite does not check; tests/reliability/test_table.py
fails when the committed file is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RELIABILITY_MD = ROOT / "docs" / "reliability.md"

INTRO = """\
# Reliability: what is tried and what happens

Generated from the reliability suite (`tests/reliability/`) by `docs/gen_reliability.py`; do not
edit by hand. Each row below is run and asserted by the suite: the bad inputs by
`test_bad_input.py`, the faults by the test named beside them. The whole suite
(`OMP_NUM_THREADS=1 time .venv/bin/python -m pytest -q tests/reliability`, when it had 119 tests) took 6 min 12 s
wall and 1 min 37 s of CPU (user + system) on the 2-core development CPU, shared with other jobs;
most of it is the real processes started, killed and resumed. The generated families of round two
(`test_families.py`) add about a minute.

How ganzoo stays reliable:

- **One validation pass.** Every number of the training config declares its valid range (field
  metadata, `ganzoo.config.ranged`), and every choice its values (a `Literal` type). The merged config is checked
  once, whichever layer set a value (a preset, `./zoo.toml`, `--zoo`, a flag or `--set`), and again
  when a run or an export is read back. Component arguments are checked against the factory's
  annotations. Messages name the key, its value and the valid range.
- **Dry runs build what the run builds**: the dataset, the networks (on the meta device: shapes
  only, no memory), the optimisers, and one training step, so `--dry-run` fails where the run would.
- **One output-path policy** (`ganzoo.outputs`): run folders, exports, sample grids and
  translations are checked before any work starts.
- **One writer per run folder**: `RUN/.lock` holds the owner's pid and host, created atomically;
  a lock whose process is gone (same host) is taken over, and the temporary files of the writes
  it interrupted are removed. The lock is taken in one place (`ganzoo.runs.writer.RunWriter`,
  opened by `Trainer.open` before a resumed run loads its checkpoint and before anything is
  written); `ganzoo train` also checks it up front (`refuse_if_in_use`), before building.
- **Nothing lost**: checkpoints are written atomically and hold the running statistics, so a
  resumed run's weights, optimiser state and metrics log equal an uninterrupted run's. Ctrl-C saves
  a checkpoint at the step boundary and prints the `--resume` command; a second Ctrl-C stops at once.
- **Settings that contradict each other are refused** when a run starts, by its dry run alike
  (`ganzoo.config.check_combinations`, called by `ganzoo.resolve.validate_config`): `steps` with
  `epochs`, `keep_snapshots` without `snapshot_every`, `best_metric` or `eval_metrics` without
  `eval_every`, `ema_start` without `ema`, a step schedule that never steps; `--set preset=...`
  (and `extends`, `plugins`) is refused, so a run records the preset it was made from. A saved run
  is not re-checked for these: a model trained before a check existed still loads.
- **Files ganzoo wrote are read back through schemas** (`ganzoo.runs.files`, the checkpoint and
  export metadata through `ganzoo.runs.checkpoint.checked_meta`): a damaged `config.json`,
  `environment.json`, `best.json`, `evaluation.json`, checkpoint or export is refused in one line
  naming the file and the field; the half-written last line `kill -9` leaves in `metrics.jsonl` is
  skipped with a note. Loaded weights are checked against the built networks: a float parameter
  stored as an integer or bool, or holding NaN or infinity, is refused.
- **Nothing that is not ganzoo's is replaced** (`ganzoo.outputs`): reports carry a generator tag,
  images a Software field, exports their `ganzoo` header; a command replaces only such a file
  (BMP has no place for the mark, so an existing .bmp is always kept). `train --out` takes a new,
  empty or run folder only; a preset's name becomes one plain folder name under `runs/`; a lock is
  taken over from a dead process, or when it names no owner for 5 s; only ganzoo's own
  temporary files (`.NAME.XXXXXXXX.tmp`) are cleaned up.
- **One image reader** (`ganzoo.data.base.open_image`): 16-bit and float images are scaled to 8
  bits, not clipped; an image beyond PIL's bomb limit (89,478,485 pixels) is a bad image, found
  from its header (skipped and counted with `--skip-bad`); caption files and manifests must be UTF-8.
- **Bounded work and arguments checked first**: `--truncation` below 0.01 and seeds beyond 64 bits
  are refused, the redraw loop is bounded, an `extends` chain is followed at most 64 deep;
  `ganzoo.load(...).sample/interpolate/translate` raise `TypeError`/`ValueError` naming the argument
  before any work. A full disk is one line naming the file (what was written before stays whole).
  An install hint names only ganzoo's own distributions; a name from a file is quoted, with a warning.
- **Non-finite training stops** naming the step and the part (the loss, or the network whose
  parameters are not finite) without overwriting the last good checkpoint. There is no automatic
  rollback: resuming replays the same steps exactly, so it would reach the same NaN; change a
  setting (a lower `optim.PHASE.lr`) and start a new run from the good weights with `--init-from`.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render() -> str:
    sys.path.insert(0, str(ROOT))
    from tests.reliability.cases import API_CASES, CASES, FAMILY_SOURCES, FAULTS, family_cases, field_cases

    counts = {"Bad command lines": len(CASES), "Settings outside their declared range": len(field_cases())}
    for case in family_cases():
        counts[case.family[0].upper() + case.family[1:]] = counts.get(case.family[0].upper() + case.family[1:], 0) + 1
    counts["The Python API given bad arguments"] = len(API_CASES)
    counts["Faults (each its own test; fuzzers try 50 inputs each)"] = len(FAULTS)
    lines = [INTRO, "## Cases per class", "", "Every case below is handled (the suite asserts it): one line and a non-zero exit, "
             "or the work done with a note; nothing lost or half-written; no traceback.", "",
             "| Class | Cases |", "|---|---|", *(f"| {name} | {count} |" for name, count in counts.items()),
             f"| **All** | **{sum(counts.values())}** |", "", "## Bad command lines", "",
             "Run in a workspace described in `tests/reliability/cases.py`. Exit status 1: a one-line `Error:` message; "
             "2: click's usage error.", "",
             "| What is tried | Command | Exit | The message says |", "|---|---|---|---|"]
    for case in CASES:
        lines.append(f"| {_cell(case.tried)} | `ganzoo {_cell(' '.join(case.args))}` | {case.exit_code} | {_cell(case.message)} |")
    lines += ["", "## Settings outside their declared range", "",
              "Generated from the config's field metadata: a value just outside each range (and infinity for floats), "
              "a word that is no choice, and the flags that set the same fields.", "",
              "| What is tried | Command | Exit | The message says |", "|---|---|---|---|"]
    for case in field_cases():
        lines.append(f"| {_cell(case.tried)} | `ganzoo {_cell(' '.join(case.args))}` | {case.exit_code} | {_cell(case.message)} |")
    families = family_cases()
    for family in dict.fromkeys(case.family for case in families):
        lines += ["", f"## {family[0].upper()}{family[1:]}", "",
                  f"Generated by `{FAMILY_SOURCES[family]}` in tests/reliability/cases.py and run by `test_families.py`: exit 1 is one line; "
                  "a damaged file is refused naming it (the message holds one of the refusals of `REFUSALS`); files named kept are "
                  "unchanged byte for byte.", "",
                  "| What is tried | Command | Exit | The output says |", "|---|---|---|---|"]
        for case in families:
            if case.family == family:
                said = case.message or "a refusal naming the damaged file"
                kept = f" (kept: {', '.join(case.kept)})" if case.kept else ""
                lines.append(f"| {_cell(case.tried)} | `ganzoo {_cell(' '.join(case.args))}` | {case.exit_code} | {_cell(said + kept)} |")
    lines += ["", "## The Python API given bad arguments", "",
              "Run by `test_families.py::test_api_misuse_is_refused_naming_the_argument` on models loaded with `ganzoo.load`: "
              "the exception, naming the argument, comes before any work.", "",
              "| Model | Call | Raises | The message says |", "|---|---|---|---|"]
    for api in API_CASES:
        lines.append(f"| {api.model} | `{_cell(api.call)}` | {api.error} | {_cell(api.message)} |")
    lines += ["", "## Faults", "", "| What is tried | What happens | Test |", "|---|---|---|"]
    for fault in FAULTS:
        lines.append(f"| {_cell(fault.tried)} | {_cell(fault.outcome)} | `tests/reliability/{fault.test}` |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    RELIABILITY_MD.write_text(render(), encoding="utf-8")
    print(f"wrote {RELIABILITY_MD}")
