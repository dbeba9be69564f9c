"""``ganzoo report``: one self-contained HTML page comparing runs.

The page needs nothing but itself: sample grids are embedded as ``data:`` URIs, curves are inline
SVG drawn here, styles and the few lines of script are inline. It shows, per run, the resolved
config, loss/statistic curves, evaluation metrics and the best model, sample grids over time,
speed and device; several runs share each plot, one colour per run.
"""

from __future__ import annotations

import base64
import html
import json
import math
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganzoo.errors import GanzooError
from ganzoo.io import atomic_write
from ganzoo.runs.checkpoint import CONFIG, ENVIRONMENT, EVALUATION, EVALUATION_GRID, EVALUATIONS, METRICS, SAMPLES
from ganzoo.runs.snapshots import read_best, snapshot_steps
from ganzoo.version import __version__

#: one colour per run (colour-blind-safe palette of Okabe and Ito), cycled beyond eight runs.
COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442")
LOG_LINES = 40


class ReportError(GanzooError):
    pass


@dataclass
class RunRecord:
    """What a run folder holds, read for the report."""

    path: Path
    name: str
    meta: dict[str, Any]
    environment: dict[str, Any]
    scalars: list[dict[str, float]] = field(default_factory=list)  # one per log point, with "step"
    evaluations: list[dict[str, float]] = field(default_factory=list)  # {"step", metric: value...}
    grids: list[tuple[int, Path]] = field(default_factory=list)
    best: dict[str, Any] | None = None
    snapshots: list[int] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    #: the results ``ganzoo evaluate`` saved in the folder, oldest first, and its latest grid.
    saved_evaluations: list[dict[str, Any]] = field(default_factory=list)
    evaluation_grid: Path | None = None

    @property
    def config(self) -> dict[str, Any]:
        return self.meta.get("config", {})

    @property
    def speed(self) -> float | None:
        """Median images per second over the log points after the first (which includes warm-up)."""
        rates = [row["img_per_s"] for row in self.scalars[1:] or self.scalars if "img_per_s" in row]
        return statistics.median(rates) if rates else None


def read_run(path: Path) -> RunRecord:
    """Read a run folder; a folder without ``config.json`` is refused."""
    path = Path(path)
    if not (path / CONFIG).is_file():
        raise ReportError(f"{path} is not a run folder (no {CONFIG}); give folders made by `ganzoo train`")
    meta = json.loads((path / CONFIG).read_text(encoding="utf-8"))
    environment = json.loads((path / ENVIRONMENT).read_text(encoding="utf-8")) if (path / ENVIRONMENT).is_file() else {}
    record = RunRecord(path, path.name, meta, environment, best=read_best(path), snapshots=snapshot_steps(path))
    if (path / METRICS).is_file():
        for line in (path / METRICS).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            if isinstance(row.get("eval"), dict):
                record.evaluations.append({"step": row["step"], **row["eval"]})
            else:
                record.scalars.append({k: v for k, v in row.items() if isinstance(v, (int, float)) and not isinstance(v, bool)})
    samples = path / SAMPLES
    if samples.is_dir():
        record.grids = sorted((int(p.stem.split("-")[1]), p) for p in samples.glob("step-*.png") if p.stem.split("-")[1].isdigit())
    record.saved_evaluations = read_saved_evaluations(path)
    record.evaluation_grid = path / EVALUATION_GRID if (path / EVALUATION_GRID).is_file() else None
    if (path / "log.txt").is_file():
        record.log = (path / "log.txt").read_text(encoding="utf-8", errors="replace").splitlines()[-LOG_LINES:]
    return record


def read_saved_evaluations(path: Path) -> list[dict[str, Any]]:
    """Every result of ``ganzoo evaluate`` in the run folder (its log; the latest result alone when
    there is no log); a line that is not a result is passed over."""
    if (path / EVALUATIONS).is_file():
        lines = (path / EVALUATIONS).read_text(encoding="utf-8", errors="replace").splitlines()
    elif (path / EVALUATION).is_file():
        lines = [(path / EVALUATION).read_text(encoding="utf-8", errors="replace")]
    else:
        return []
    results = []
    for line in lines:
        try:
            result = json.loads(line)
        except ValueError:
            continue
        if isinstance(result, dict) and isinstance(result.get("scores"), dict):
            results.append(result)
    return results


# ----------------------------------------------------------------------------------------------
# Plots
# ----------------------------------------------------------------------------------------------

def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values (1, 2, 2.5 or 5 times a power of ten apart) within the range."""
    if not high > low:
        return [low]
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9) * step
    return [round(first + i * step, 12) for i in range(int((high - first) / step + 1e-9) + 1)]


def _number(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1e4 else f"{value:.2e}"


def line_chart(title: str, series: list[tuple[str, str, list[tuple[float, float]]]], marked: list[tuple[str, float, float]] = (),
               width: int = 360, height: int = 220) -> str:
    """An inline SVG line chart: ``series`` of (name, colour, points); ``marked`` points get a ring."""
    points = [(x, y) for _, _, data in series for x, y in data if math.isfinite(y)]
    if not points:
        return ""
    left, right, top, bottom = 56, 12, 24, 32
    x_low, x_high = min(p[0] for p in points), max(p[0] for p in points)
    y_low, y_high = min(p[1] for p in points), max(p[1] for p in points)
    if x_high == x_low:
        x_low, x_high = x_low - 1, x_high + 1
    if y_high == y_low:  # a constant (a learning rate): centre it
        spread = abs(y_low) * 0.5 or 1.0
        y_low, y_high = y_low - spread, y_high + spread
    pad = (y_high - y_low) * 0.05
    y_low, y_high = y_low - pad, y_high + pad

    def sx(x: float) -> float:
        return left + (x - x_low) / (x_high - x_low) * (width - left - right)

    def sy(y: float) -> float:
        return height - bottom - (y - y_low) / (y_high - y_low) * (height - top - bottom)

    out = [f'<svg class="chart" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
           f"<title>{html.escape(title)}</title>",
           f'<text x="{left}" y="15" class="chart-title">{html.escape(title)}</text>']
    for y in nice_ticks(y_low, y_high, 6):
        out.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{sy(y):.1f}" y2="{sy(y):.1f}"/>'
                   f'<text class="tick" x="{left - 4}" y="{sy(y) + 3:.1f}" text-anchor="end">{_number(y)}</text>')
    for x in nice_ticks(x_low, x_high):
        out.append(f'<text class="tick" x="{sx(x):.1f}" y="{height - bottom + 14}" text-anchor="middle">{_number(x)}</text>')
    out.append(f'<text class="tick" x="{width - right}" y="{height - 4}" text-anchor="end">step</text>')
    out.append(f'<rect class="frame" x="{left}" y="{top}" width="{width - left - right}" height="{height - top - bottom}"/>')
    for name, colour, data in series:
        data = [(x, y) for x, y in data if math.isfinite(y)]
        if len(data) > 1:
            coordinates = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in data)
            out.append(f'<polyline class="series" stroke="{colour}" points="{coordinates}"><title>{html.escape(name)}</title></polyline>')
        if len(data) < 20:  # few points (evaluations): show each
            out.extend(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2.5" fill="{colour}"><title>{html.escape(name)}: step {x:g}, '
                       f"{_number(y)}</title></circle>" for x, y in data)
    for colour, x, y in marked:
        out.append(f'<circle class="best" cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="6" stroke="{colour}"><title>best: step {x:g}, {_number(y)}</title></circle>')
    out.append("</svg>")
    return "".join(out)


def _curve_keys(runs: list[RunRecord]) -> list[str]:
    """Logged statistics in reading order: losses, other statistics, speed, learning rates."""
    keys = list(dict.fromkeys(k for run in runs for row in run.scalars for k in row if k != "step"))

    def rank(key: str) -> tuple[int, str]:
        return (0 if key.endswith("loss") else 3 if key.startswith("lr/") else 2 if key == "img_per_s" else 1, key)

    return sorted(keys, key=rank)


# ----------------------------------------------------------------------------------------------
# The page
# ----------------------------------------------------------------------------------------------

def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _spread(items: list[Any], count: int) -> list[Any]:
    """At most ``count`` items evenly spread over ``items``, first and last included."""
    if len(items) <= count:
        return items
    picks = sorted({round(i * (len(items) - 1) / (count - 1)) for i in range(count)})
    return [items[i] for i in picks]


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, sub in value.items():
            flat.update(_flatten(sub, f"{prefix}{key}."))
        return flat
    return {prefix.rstrip("."): value}


def _component(config: dict[str, Any], key: str) -> str:
    value = config.get(key)
    return value.get("name", "") if isinstance(value, dict) else str(value or "-")


def _summary(runs: list[RunRecord], colours: dict[str, str]) -> str:
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, values: list[Any]) -> None:
        rows.append((label, [html.escape(str(v)) for v in values]))

    row("preset", [r.config.get("preset", "-") for r in runs])
    row("description", [r.config.get("description", "") for r in runs])
    row("task", [_component(r.config, "task") for r in runs])
    row("networks", [", ".join(f"{role}={net.get('name')}" for role, net in r.config.get("nets", {}).items()) for r in runs])
    row("loss", [_component(r.config, "loss") for r in runs])
    row("conditioner", [_component(r.config, "conditioner") for r in runs])
    row("dataset", [_component(r.config, "dataset") for r in runs])
    row("resolution x batch", [f"{r.config.get('resolution')} px x {r.config.get('batch_size')}" for r in runs])
    row("steps", [f"{r.scalars[-1]['step'] if r.scalars else 0} of {r.config.get('steps')}" for r in runs])
    row("device", [f"{r.environment.get('device', '?')} ({r.environment.get('device_name', '?')})" for r in runs])
    row("precision, processes", [f"{r.environment.get('precision', '?')}, {r.environment.get('processes', '?')}" for r in runs])
    row("speed (median)", [f"{r.speed:,.0f} img/s" if r.speed else "-" for r in runs])
    row("best model", [f"{r.best['metric']} = {_number(r.best['value'])} at step {r.best['step']} (best.pt)" if r.best else "-" for r in runs])
    row("snapshots", [", ".join(map(str, r.snapshots)) or "-" for r in runs])
    row("versions", [f"ganzoo {r.meta.get('ganzoo', '?')}, torch {r.environment.get('torch', '?')}" for r in runs])
    head = "".join(f'<th><span class="swatch" style="background:{colours[r.name]}"></span>{html.escape(r.name)}</th>' for r in runs)
    body = "".join(f"<tr><th>{label}</th>{''.join(f'<td>{v}</td>' for v in values)}</tr>" for label, values in rows)
    return f'<table class="summary"><tr><th></th>{head}</tr>{body}</table>'


def _differences(runs: list[RunRecord]) -> str:
    if len(runs) < 2:
        return ""
    flat = [_flatten(r.config) for r in runs]
    keys = sorted({k for f in flat for k in f} - {"description"})
    differing = [k for k in keys if len({json.dumps(f.get(k), sort_keys=True) for f in flat}) > 1]
    if not differing:
        return "<p>The runs share one configuration.</p>"
    head = "".join(f"<th>{html.escape(r.name)}</th>" for r in runs)
    body = "".join(f"<tr><th>{html.escape(k)}</th>{''.join(f'<td>{html.escape(json.dumps(f.get(k)))}</td>' for f in flat)}</tr>" for k in differing)
    return f'<h3>Settings that differ</h3><table class="summary"><tr><th></th>{head}</tr>{body}</table>'


def _curves(runs: list[RunRecord], colours: dict[str, str]) -> str:
    charts = []
    for key in _curve_keys(runs):
        series = [(run.name, colours[run.name], [(row["step"], row[key]) for row in run.scalars if key in row]) for run in runs]
        title = "speed (img/s)" if key == "img_per_s" else key
        charts.append(line_chart(title, [s for s in series if s[2]]))
    return "".join(f'<div class="plot">{c}</div>' for c in charts if c) or "<p>No statistics logged yet.</p>"


def _evaluations(runs: list[RunRecord], colours: dict[str, str]) -> str:
    metrics = list(dict.fromkeys(k for run in runs for row in run.evaluations for k in row if k != "step"))
    charts = []
    for metric in metrics:
        series = [(run.name, colours[run.name], [(row["step"], row[metric]) for row in run.evaluations if metric in row]) for run in runs]
        marked = [(colours[r.name], r.best["step"], r.best["value"]) for r in runs if r.best and r.best["metric"] == metric]
        charts.append(line_chart(metric, [s for s in series if s[2]], marked))
    if charts:
        return "".join(f'<div class="plot">{c}</div>' for c in charts if c)
    if any(run.saved_evaluations for run in runs):
        return "<p>No evaluations during training (train with --eval-every N).</p>"
    return "<p>No evaluations (train with --eval-every N, or run ganzoo evaluate RUN).</p>"


def _saved_evaluations(run: RunRecord) -> str:
    """A table of the run's ``ganzoo evaluate`` results (one row each) and the latest grid."""
    if not run.saved_evaluations:
        return ""
    metrics = list(dict.fromkeys(name for result in run.saved_evaluations for name in result["scores"]))
    head = "".join(f"<th>{html.escape(name)}</th>" for name in ["time", "images", "data", "extractor", *metrics])
    rows = []
    for result in run.saved_evaluations:
        protocol = result.get("protocol") if isinstance(result.get("protocol"), dict) else {}
        data = protocol.get("data") if isinstance(protocol.get("data"), dict) else {}
        extractors = protocol.get("extractors") if isinstance(protocol.get("extractors"), dict) else {}
        cells = [result.get("time", ""), result.get("count", ""), " ".join(str(v) for v in (result.get("data"), data.get("split")) if v),
                 ", ".join(str(e.get("name")) for e in extractors.values() if isinstance(e, dict)) or "-"]
        scores = [_number(v) if isinstance(v, (int, float)) else "-" for v in (result["scores"].get(name) for name in metrics)]
        rows.append("".join(f"<td>{html.escape(str(cell))}</td>" for cell in [*cells, *scores]))
    table = f'<table class="summary"><tr>{head}</tr>{"".join(f"<tr>{row}</tr>" for row in rows)}</table>'
    grid = (f'<figure><img alt="{html.escape(run.name)}: evaluation grid" src="{_data_uri(run.evaluation_grid)}">'
            f"<figcaption>{EVALUATION_GRID} (the latest evaluation)</figcaption></figure>") if run.evaluation_grid else ""
    return (f'<h3>{html.escape(run.name)}: saved evaluations (ganzoo evaluate)</h3>'
            f'{table}<div class="strip">{grid}</div>')


def _grids(run: RunRecord, count: int) -> str:
    figures = "".join(f'<figure><img alt="samples at step {step}" src="{_data_uri(path)}"><figcaption>step {step}</figcaption></figure>'
                      for step, path in _spread(run.grids, count))
    return f'<div class="strip">{figures}</div>' if figures else "<p>No sample grids yet.</p>"


STYLE = """
body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}h3{font-size:15px}
.meta{color:#666}.summary{border-collapse:collapse}.summary th,.summary td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
.summary th{background:#f6f6f6;font-weight:600}.swatch{display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:2px}
.plots{display:flex;flex-wrap:wrap;gap:12px}.plot{border:1px solid #eee;padding:4px}
.chart .chart-title{font-size:13px;font-weight:600;fill:#222}.chart .tick{font-size:10px;fill:#555}
.chart .grid{stroke:#eee}.chart .frame{fill:none;stroke:#bbb}.chart .series{fill:none;stroke-width:1.6}
.chart .best{fill:none;stroke-width:2}
.strip{display:flex;gap:10px;overflow-x:auto;padding-bottom:6px}.strip figure{margin:0;flex:none;text-align:center}
.strip img{display:block;max-height:520px;image-rendering:pixelated;border:1px solid #ddd}
pre{background:#f6f6f6;padding:8px;overflow-x:auto;font-size:12px}details{margin:6px 0}
"""

# counts the images that decoded: a browser (or a test) reads <body data-images="loaded/total">
SCRIPT = """
window.addEventListener('load', function () {
  var images = Array.prototype.slice.call(document.images);
  var loaded = images.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.dataset.images = loaded + '/' + images.length;
  document.body.dataset.charts = document.querySelectorAll('svg.chart polyline, svg.chart circle').length > 0 ? 'drawn' : 'none';
});
"""


def render(runs: list[RunRecord], title: str = "ganzoo report", max_grids: int = 10) -> str:
    """The HTML page for ``runs``, as one string."""
    colours = {run.name: COLOURS[i % len(COLOURS)] for i, run in enumerate(runs)}
    legend = " ".join(f'<span><span class="swatch" style="background:{colours[r.name]}"></span>{html.escape(r.name)}</span>' for r in runs)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="meta">{len(runs)} run(s); written {time.strftime("%Y-%m-%d %H:%M")} by ganzoo {__version__}</p>',
        "<h2>Runs</h2>", _summary(runs, colours), _differences(runs),
        f"<h2>Training curves</h2><p>{legend}</p>", f'<div class="plots">{_curves(runs, colours)}</div>',
        "<h2>Evaluation</h2>", f'<div class="plots">{_evaluations(runs, colours)}</div>', *(_saved_evaluations(run) for run in runs),
        "<h2>Samples over time</h2>",
    ]
    for run in runs:
        parts += [f'<h3><span class="swatch" style="background:{colours[run.name]}"></span>{html.escape(run.name)}</h3>', _grids(run, max_grids)]
    parts.append("<h2>Configuration and log</h2>")
    for run in runs:
        config = html.escape(json.dumps(run.config, indent=2))
        parts.append(f"<details><summary>{html.escape(run.name)}: resolved config</summary><pre>{config}</pre></details>")
        if run.log:
            parts.append(f"<details><summary>{html.escape(run.name)}: last {len(run.log)} lines of log.txt</summary>"
                         f"<pre>{html.escape(chr(10).join(run.log))}</pre></details>")
    parts.append(f"<script>{SCRIPT}</script></body></html>")
    return "\n".join(parts)


def write_report(paths: list[Path], output: Path, title: str = "ganzoo report", max_grids: int = 10) -> Path:
    """Read the run folders ``paths`` and write their report to ``output`` (atomically)."""
    runs = [read_run(Path(p)) for p in paths]
    names = [run.name for run in runs]
    for run in runs:  # two runs of one name (from different folders) get their parent in the name
        if names.count(run.name) > 1:
            run.name = f"{run.path.parent.name}/{run.path.name}"
    page = render(runs, title, max_grids)
    atomic_write(Path(output), lambda f: f.write(page.encode("utf-8")))
    return Path(output)
