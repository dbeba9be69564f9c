"""`ganzoo report`: one self-contained HTML page per set of runs, checked as text and in Chromium."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from ganzoo.cli import cli
from ganzoo.report import ReportError, nice_ticks, read_run, write_report
from ganzoo.runs.snapshots import Snapshots

CHROMIUM = Path("/usr/bin/chromium")


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def runs(tiny_host, in_tmp):
    """Two short runs of different settings; the first has an evaluation and a best model."""
    for name, extra in (("first", []), ("second", ["--batch-size", "4"])):
        result = invoke("train", "tiny-class", "--device", "cpu", "--quiet", "--out", name, "--steps", "6", "--snapshot-every", "3", *extra)
        assert result.exit_code == 0, result.output
    with open(in_tmp / "first" / "metrics.jsonl", "a") as handle:  # as issue 14's evaluation logs it
        for step, value in ((3, 0.4), (6, 0.3)):
            handle.write(json.dumps({"step": step, "eval": {"l1": value}}) + "\n")
    Snapshots(in_tmp / "first", 0).keep_best(6, {"l1": 0.3}, lambda path: None)
    return [in_tmp / "first", in_tmp / "second"]


def test_runs_are_read_with_curves_evaluations_and_grids(runs):
    run = read_run(runs[0])
    assert [row["step"] for row in run.scalars] == [2, 4, 6]
    assert run.evaluations == [{"step": 3, "l1": 0.4}, {"step": 6, "l1": 0.3}]
    assert [step for step, _ in run.grids] == [3, 6] and run.best["step"] == 6 and run.snapshots == [3, 6]
    assert run.environment["device"] == "cpu" and run.speed > 0 and run.log


def test_page_is_self_contained_with_plots_grids_and_comparison(runs, in_tmp):
    result = invoke("report", *runs, "-o", "report.html")
    assert result.exit_code == 0, result.output
    page = (in_tmp / "report.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)  # nothing to fetch
    assert "@import" not in page and "url(" not in page and "http://" not in page and "https://" not in page
    assert page.count('<svg class="chart"') >= 5 and "<polyline" in page
    assert page.count('src="data:image/png;base64,') == 4  # two grids per run
    assert "l1 = 0.3 at step 6 (best.pt)" in page  # the best model, and its ring on the l1 plot
    assert 'class="best"' in page
    assert "Settings that differ" in page and "batch_size" in page  # the runs differ in batch size
    assert "speed (img/s)" in page and "cpu (" in page


def test_report_refuses_a_folder_that_is_not_a_run(tiny_host, in_tmp):
    (in_tmp / "empty").mkdir()
    with pytest.raises(ReportError, match="is not a run folder"):
        write_report([in_tmp / "empty"], in_tmp / "r.html")
    result = invoke("report", "empty")
    assert result.exit_code == 1 and "not a run folder" in result.output


def test_ticks_are_round_and_cover_the_range():
    assert nice_ticks(0.13, 0.92) == [0.2, 0.4, 0.6, 0.8]
    assert nice_ticks(0, 1000) == [0, 250, 500, 750, 1000]
    assert nice_ticks(5, 5) == [5]


def chromium(*args, profile):
    command = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", "--virtual-time-budget=5000", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not CHROMIUM.is_file() or not shutil.which(str(CHROMIUM)), reason="needs Debian's chromium (apt-get install chromium)")
def test_page_renders_in_headless_chromium_with_every_image_and_plot(runs, in_tmp):
    write_report(runs, in_tmp / "report.html")
    url = (in_tmp / "report.html").as_uri()
    dom = chromium("--dump-dom", url, profile=in_tmp / "profile").stdout
    body = re.search(r"<body[^>]*>", dom).group(0)
    assert 'data-images="4/4"' in body  # the page's script counted every image decoded
    assert 'data-charts="drawn"' in body
    shot = chromium("--window-size=1200,2400", f"--screenshot={in_tmp / 'shot.png'}", url, profile=in_tmp / "profile")
    assert (in_tmp / "shot.png").is_file(), shot.stderr[-500:]
    picture = Image.open(in_tmp / "shot.png").convert("RGB")
    assert picture.size == (1200, 2400)
    colours = picture.resize((120, 240)).getcolors(maxcolors=120 * 240)
    assert len(colours) > 50  # text, plot lines and sample grids, not a blank page


def test_results_of_ganzoo_evaluate_are_shown_with_their_grid(tiny_host, in_tmp):
    result = invoke("train", "tiny", "--device", "cpu", "--quiet", "--out", "run", "--steps", "2")
    assert result.exit_code == 0, result.output
    for count in (8, 12):
        result = invoke("evaluate", "run", "-n", count, "--quiet", "--extractor", "tiny", "--device", "cpu")
        assert result.exit_code == 0, result.output
    run = read_run(in_tmp / "run")
    assert [saved["count"] for saved in run.saved_evaluations] == [8, 12] and run.evaluation_grid.name == "evaluation.png"
    page = write_report([in_tmp / "run"], in_tmp / "report.html").read_text()
    assert "run: saved evaluations (ganzoo evaluate)" in page and "No evaluations (" not in page
    table = page.split("saved evaluations (ganzoo evaluate)")[1]
    assert table.count("<tr>") == 3 and "<th>fid</th>" in table and "<td>tiny</td>" in table
    assert 'alt="run: evaluation grid"' in page


def test_a_lone_evaluation_json_is_shown_too(tiny_host, in_tmp):
    result = invoke("train", "tiny", "--device", "cpu", "--quiet", "--out", "run", "--steps", "2")
    assert result.exit_code == 0, result.output
    (in_tmp / "run" / "evaluation.json").write_text(json.dumps({"count": 5, "data": "shapes", "scores": {"fid": 12.5}}))
    assert [saved["scores"] for saved in read_run(in_tmp / "run").saved_evaluations] == [{"fid": 12.5}]
