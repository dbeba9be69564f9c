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
most of it is the real processes started, killed and resumed.

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
- **Non-finite training stops** naming the step and the part (the loss, or the network whose
  parameters are not finite) without overwriting the last good checkpoint. There is no automatic
  rollback: resuming replays the same steps exactly, so it would reach the same NaN; change a
  setting (a lower `optim.PHASE.lr`) and start a new run from the good weights with `--init-from`.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render() -> str:
    sys.path.insert(0, str(ROOT))
    from tests.reliability.cases import CASES, FAULTS, field_cases

    lines = [INTRO, "## Bad command lines", "",
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
    lines += ["", "## Faults", "", "| What is tried | What happens | Test |", "|---|---|---|"]
    for fault in FAULTS:
        lines.append(f"| {_cell(fault.tried)} | {_cell(fault.outcome)} | `tests/reliability/{fault.test}` |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    RELIABILITY_MD.write_text(render(), encoding="utf-8")
    print(f"wrote {RELIABILITY_MD}")
