"""Reading back what a run wrote, each file through its schema: the run's metadata
(``config.json``), its environment, its metrics log, and saved evaluation results.

A file damaged after it was written (truncated, edited, replaced) is refused in one line naming
the file and the field; an append-only log survives the torn last line that ``kill -9`` leaves
(skipped, with a note). Checkpoints and exports are read by :mod:`ganzoo.runs.checkpoint` and
:mod:`ganzoo.export` through the same metadata schema (:func:`checked_meta`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ganzoo.config import ConfigError, TrainConfig, from_plain
from ganzoo.errors import GanzooError
from ganzoo.runs.checkpoint import CONFIG, ENVIRONMENT, METRICS, checked_meta


class DamagedFile(GanzooError):
    """A file ganzoo wrote earlier that is no longer what it wrote (truncated, edited, replaced)."""


def read_json(path: Path, what: str, kind: type = dict) -> Any:
    """The JSON value of ``path`` (one of ``kind``), or a :class:`DamagedFile` naming the file and the damage."""
    path = Path(path)
    try:
        value = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise DamagedFile(f"{path}: the {what} is damaged (not UTF-8 text)") from None
    except json.JSONDecodeError as error:
        raise DamagedFile(f"{path}: the {what} is damaged (not JSON: {error.msg} at line {error.lineno}, column {error.colno})") from None
    except IsADirectoryError:
        raise DamagedFile(f"{path}: the {what} is a folder, not a file") from None
    if not isinstance(value, kind):
        raise DamagedFile(f"{path}: the {what} is damaged (a JSON {type(value).__name__}, not a {kind.__name__})")
    return value


@dataclass(frozen=True)
class LogLines:
    """The objects of an append-only JSON-lines log, and a note when its last line was torn."""

    rows: list[dict[str, Any]]
    note: str = ""


def read_jsonl(path: Path, what: str, problem: Callable[[dict[str, Any]], str | None] = lambda row: None) -> LogLines:
    """Read an append-only log of JSON objects, each passing ``problem`` (which says what is wrong
    with a row, or ``None``). A torn last line (what ``kill -9`` leaves while a line is written) is
    skipped with a note; a damaged line before the last is a :class:`DamagedFile` naming it."""
    path = Path(path)
    lines = path.read_bytes().decode("utf-8", errors="replace").splitlines()
    rows: list[dict[str, Any]] = []
    note = ""
    numbered = [(number, line) for number, line in enumerate(lines, start=1) if line.strip()]
    for position, (number, line) in enumerate(numbered):
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            row = None
        wrong = "not a JSON object" if not isinstance(row, dict) else problem(row)
        if wrong is None:
            rows.append(row)
            continue
        if position == len(numbered) - 1:
            note = f"{path}: skipped its last line (line {number}), left half-written"
            break
        raise DamagedFile(f"{path}: the {what} is damaged at line {number} ({wrong})")
    return LogLines(rows, note)


def read_run_meta(run_dir: Path) -> dict[str, Any]:
    """``RUN/config.json``: the run's metadata (config, data condition, components), its config of
    the right types (values are checked where a run is rebuilt: :func:`~ganzoo.runs.checkpoint.config_from_meta`)."""
    path = Path(run_dir) / CONFIG
    meta = checked_meta(read_json(path, "run config"), lambda problem: DamagedFile(f"{path}: the run config is damaged: {problem}"))
    try:
        from_plain(TrainConfig, meta["config"], "config")
    except ConfigError as error:
        raise DamagedFile(f"{path}: the run config is damaged: {error}") from None
    return meta


def read_environment(run_dir: Path) -> dict[str, Any]:
    """``RUN/environment.json`` (device, precision, versions); empty when the run has none."""
    path = Path(run_dir) / ENVIRONMENT
    return read_json(path, "environment record") if path.is_file() else {}


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _metrics_problem(row: dict[str, Any]) -> str | None:
    step = row.get("step")
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        return f"'step' {step!r} is not a step number"
    if "eval" in row and not (isinstance(row["eval"], dict) and all(_number(v) for v in row["eval"].values())):
        return f"'eval' {row['eval']!r} is not a table of numbers"
    return None


@dataclass(frozen=True)
class Metrics:
    """A run's metrics log: logged statistics and evaluations, one row per line, with ``step``."""

    scalars: list[dict[str, float]]
    evaluations: list[dict[str, float]]
    note: str = ""


def read_metrics(run_dir: Path) -> Metrics:
    """``RUN/metrics.jsonl``; a torn last line is skipped (``note`` says so)."""
    path = Path(run_dir) / METRICS
    if not path.is_file():
        return Metrics([], [])
    log = read_jsonl(path, "metrics log", _metrics_problem)
    scalars, evaluations = [], []
    for row in log.rows:
        if "eval" in row:
            evaluations.append({"step": row["step"], **row["eval"]})
        else:
            scalars.append({k: v for k, v in row.items() if _number(v)})
    return Metrics(scalars, evaluations, log.note)


def evaluation_problem(record: Any) -> str | None:
    """What keeps ``record`` from being a saved evaluation result (``None``: nothing)."""
    if not isinstance(record, dict):
        return f"a JSON {type(record).__name__}, not an object"
    scores = record.get("scores")
    if not isinstance(scores, dict) or not all(isinstance(k, str) and _number(v) for k, v in scores.items()):
        return f"'scores' {scores!r} is not a table of numbers"
    protocol = record.get("protocol", {})
    if not isinstance(protocol, dict):
        return f"'protocol' {protocol!r} is not a table"
    extractors = protocol.get("extractors", {})
    if not isinstance(extractors, dict) or not all(isinstance(e, dict) and isinstance(e.get("name"), str) and isinstance(e.get("sha256"), str)
                                                   for e in extractors.values()):
        return f"'protocol.extractors' {extractors!r} is not a table of {{name, sha256, ...}}"
    for key in ("data", "reference"):
        if key in protocol and not isinstance(protocol[key], dict):
            return f"'protocol.{key}' {protocol[key]!r} is not a table"
    if not isinstance(record.get("data", ""), str):
        return f"'data' {record['data']!r} is not a name"
    return None


def read_evaluation(path: Path) -> dict[str, Any]:
    """A saved evaluation result (``evaluation.json``)."""
    record = read_json(Path(path), "evaluation result")
    problem = evaluation_problem(record)
    if problem:
        raise DamagedFile(f"{path}: the evaluation result is damaged: {problem}")
    return record
