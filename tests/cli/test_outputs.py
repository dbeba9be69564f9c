"""What a run leaves behind, through the CLI: log.txt, snapshots and exports of them, and
`ganzoo sample --interpolate/--truncation`."""

import json

import pytest
from click.testing import CliRunner
from PIL import Image

from ganzoo.cli import cli
from ganzoo.export import read_export


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def run(tiny_host, in_tmp):
    result = invoke("train", "tiny-class", "--device", "cpu", "--out", "run", "--steps", "6", "--snapshot-every", "2",
                    "--keep-snapshots", "2")
    assert result.exit_code == 0, result.output
    return in_tmp / "run"


def test_the_console_output_is_kept_in_log_txt_as_plain_text(run):
    log = (run / "log.txt").read_text()
    assert "\x1b" not in log and "\r" not in log
    assert "training tiny-class for 6 steps on cpu" in log
    assert [line.split("train: step ")[1].split()[0] for line in log.splitlines() if "train: step " in line] == ["0/6", "2/6", "4/6", "6/6"]
    assert "done: step 6" in log and "run folder: run" in log


def test_quiet_runs_still_log_and_resumes_append(run):
    result = invoke("train", "--resume", run, "--steps", "8", "--quiet")
    assert result.exit_code == 0, result.output
    log = (run / "log.txt").read_text()
    assert log.count("training tiny-class") == 1 and "resuming tiny-class at step 6 of 8" in log and "train: step 8/8" in log


def test_export_snapshot_and_best(run, tmp_path):
    assert sorted(p.name for p in (run / "snapshots").iterdir()) == ["snapshot-0000004.pt", "snapshot-0000006.pt"]
    result = invoke("export", run, "--snapshot", "4", "-o", tmp_path / "s4.safetensors")
    assert result.exit_code == 0, result.output
    assert read_export(tmp_path / "s4.safetensors").step == 4
    result = invoke("export", run, "--snapshot", "2", "-o", tmp_path / "s2.safetensors")
    assert result.exit_code == 1 and "no snapshot of that step; kept: 4, 6" in result.output
    result = invoke("export", run, "--best", "-o", tmp_path / "best.safetensors")
    assert result.exit_code == 1 and "has no best model" in result.output
    result = invoke("export", run, "--best", "--snapshot", "4", "-o", tmp_path / "x.safetensors")
    assert result.exit_code == 2 and "give one of them" in result.output


def test_export_best_after_an_evaluation(run, tmp_path):
    from ganzoo.runs.snapshots import Snapshots

    Snapshots(run, 2).keep_best(4, {"l1": 0.25}, lambda path: pytest.fail("step 4 has a snapshot to link"))
    result = invoke("export", run, "--best", "-o", tmp_path / "best.safetensors")
    assert result.exit_code == 0, result.output
    assert read_export(tmp_path / "best.safetensors").step == 4


def test_interpolation_rows_walk_from_seed_to_seed(run, in_tmp):
    result = invoke("sample", run, "--interpolate", "-n", "12", "--columns", "4", "--class", "1", "-o", "walk.png", "--device", "cpu")
    assert result.exit_code == 0, result.output
    width, height = Image.open(in_tmp / "walk.png").size
    plain = invoke("sample", run, "-n", "12", "--columns", "4", "--class", "1", "-o", "plain.png", "--device", "cpu")
    assert plain.exit_code == 0 and width > Image.open(in_tmp / "plain.png").size[0]  # "seed 0->1: class 1" is longer
    assert height == Image.open(in_tmp / "plain.png").size[1]  # 3 rows of 4 frames


def test_interpolation_ends_where_the_next_row_begins(run):
    from ganzoo.loading import load

    model = load(run, device="cpu")
    images = model.interpolate(2, 5, classes=["1"], seed=3)["samples"]
    assert images.shape[0] == 10
    assert (images[4] - images[5]).abs().max() < 1e-5  # row 0's last frame is row 1's first
    assert (images[0] - model.sample(1, classes=["1"], seed=3)["samples"][0]).abs().max() < 1e-5


def test_truncation_changes_samples_reproducibly(run, in_tmp):
    for name in ("a", "b"):
        assert invoke("sample", run, "-n", "4", "--truncation", "0.3", "-o", f"{name}.png", "--device", "cpu").exit_code == 0
    assert invoke("sample", run, "-n", "4", "-o", "plain.png", "--device", "cpu").exit_code == 0
    assert Image.open(in_tmp / "a.png").tobytes() == Image.open(in_tmp / "b.png").tobytes()
    assert Image.open(in_tmp / "a.png").tobytes() != Image.open(in_tmp / "plain.png").tobytes()
    result = invoke("sample", run, "--truncation", "0", "-o", "x.png")
    assert result.exit_code == 2 and "--truncation" in result.output


def test_translation_models_refuse_interpolation_in_one_line(tiny_host, in_tmp):
    assert invoke("train", "tiny-paired", "--device", "cpu", "--quiet", "--out", "pix", "--steps", "1").exit_code == 0
    for flags in (["--interpolate"], ["--truncation", "0.5"]):
        result = invoke("sample", "pix", *flags, "-o", "x.png", "--device", "cpu")
        assert result.exit_code == 1 and "translates images" in result.output
        assert len(result.output.strip().splitlines()) == 1


def test_text_samples_save_their_prompts(tiny_host, in_tmp):
    result = invoke("train", "tiny", "--device", "cpu", "--quiet", "--out", "text", "--steps", "1",
                    "--set", 'task.name="text-conditional"', "--set", 'conditioner.name="learned"')
    assert result.exit_code == 0, result.output
    result = invoke("sample", "text", "-n", "3", "--prompt", "a red circle", "--prompt", "a blue square", "-o", "t.png", "--device", "cpu")
    assert result.exit_code == 0, result.output
    assert json.loads((in_tmp / "t.prompts.json").read_text()) == ["a red circle", "a blue square", "a red circle"]


def test_a_failed_run_says_where_it_stopped_in_the_log(tiny_host, in_tmp, monkeypatch):
    from ganzoo.errors import GanzooError
    from ganzoo.train.loop import Trainer

    step = Trainer.train_step

    def failing(self):
        step(self)
        if self.step == 3:
            raise GanzooError("the data went away")

    monkeypatch.setattr(Trainer, "train_step", failing)
    result = invoke("train", "tiny", "--device", "cpu", "--quiet", "--out", "broken", "--steps", "6")
    assert result.exit_code == 1 and "the data went away" in result.output
    assert (in_tmp / "broken" / "log.txt").read_text().splitlines()[-1].endswith("stopped at step 3: GanzooError: the data went away")
