"""Numbered snapshots, their retention, the best model chosen by evaluation, and grids in TensorBoard.

``EvaluatingTrainer`` sets ``last_eval`` to chosen scores after chosen steps, as the loop's
evaluation does, so which step is best is known in advance; one test runs the real ``--eval-every``.
"""

import json
import os

import pytest

from ganzoo.presets import load_book
from ganzoo.runs.checkpoint import load_checkpoint
from ganzoo.runs.snapshots import BEST, SnapshotError, Snapshots, checkpoint_of, snapshot_path, snapshot_steps
from ganzoo.train.loop import Trainer


class EvaluatingTrainer(Trainer):
    """A test double for issue 14: after each step in ``scores``, ``last_eval`` holds its score."""

    def __init__(self, *args, scores, **kwargs):
        super().__init__(*args, **kwargs)
        self.scores = scores

    def train_step(self):
        super().train_step()
        if self.step in self.scores:
            self.last_eval = dict(self.scores[self.step])


def make(run_dir, preset="tiny-class", scores=None, **overrides):
    config = load_book().resolve(preset, {"steps": 8, "snapshot_every": 2, **overrides})
    return Trainer(config, run_dir) if scores is None else EvaluatingTrainer(config, run_dir, scores=scores)


def test_snapshots_are_numbered_checkpoints_and_only_the_newest_stay(tiny_host, in_tmp):
    make(in_tmp / "run", keep_snapshots=2).run()
    assert snapshot_steps(in_tmp / "run") == [6, 8]
    state = load_checkpoint(snapshot_path(in_tmp / "run", 6))
    assert state["step"] == 6 and "optim" in state  # a full checkpoint: resumable, exportable
    assert (in_tmp / "run" / "checkpoint.pt").is_file()  # the rolling checkpoint stays
    assert not list((in_tmp / "run" / "snapshots").glob(".*"))  # no temporary files left


def test_zero_keeps_every_snapshot_and_none_are_taken_by_default(tiny_host, in_tmp):
    make(in_tmp / "all", keep_snapshots=0).run()
    assert snapshot_steps(in_tmp / "all") == [2, 4, 6, 8]
    make(in_tmp / "none", snapshot_every=0).run()
    assert not (in_tmp / "none" / "snapshots").exists() and not (in_tmp / "none" / BEST).exists()


def scores_of(values, name="l1"):
    return {step: {name: value} for step, value in values.items()}


def test_best_is_the_snapshot_with_the_lowest_l1_and_survives_retention(tiny_host, in_tmp):
    run = in_tmp / "run"
    trainer = make(run, keep_snapshots=1, best_metric="l1", scores=scores_of({2: 0.5, 4: 0.2, 6: 0.3, 8: 0.4}))
    trainer.run()
    best = json.loads((run / "best.json").read_text())
    assert best["step"] == 4 and best["metric"] == "l1" and best["value"] == 0.2 and best["higher_is_better"] is False
    assert load_checkpoint(run / BEST)["step"] == 4
    assert snapshot_steps(run) == [4, 8]  # the newest one, plus the best
    assert os.path.samefile(run / BEST, snapshot_path(run, 4))  # a hard link, not a second copy


def test_best_from_the_loops_own_evaluation(tiny_host, in_tmp):
    run = in_tmp / "run"
    make(run, preset="tiny-paired", eval_every=2, eval_count=4, keep_snapshots=1).run()
    scores = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    scores = {line["step"]: line["eval"]["l1"] for line in scores if "eval" in line}
    best = json.loads((run / "best.json").read_text())
    assert list(scores) == [2, 4, 6, 8] and best["metric"] == "l1" and best["value"] == min(scores.values())
    assert best["step"] == min(scores, key=scores.get) and load_checkpoint(run / BEST)["step"] == best["step"]
    assert set(snapshot_steps(run)) == {8, best["step"]}


def test_best_follows_the_metric_direction(tiny_host, in_tmp):
    make(in_tmp / "run", best_metric="psnr", scores=scores_of({2: 20.0, 4: 25.0, 6: 22.0}, "psnr")).run()
    assert json.loads((in_tmp / "run" / "best.json").read_text())["step"] == 4


def test_best_without_snapshots_is_written_and_default_metric_is_the_first_evaluated(tiny_host, in_tmp):
    run = in_tmp / "run"
    make(run, snapshot_every=0, scores={3: {"l1": 0.3, "psnr": 10.0}, 5: {"l1": 0.1, "psnr": 9.0}}).run()
    best = json.loads((run / "best.json").read_text())
    assert best["metric"] == "l1" and best["step"] == 5
    assert load_checkpoint(run / BEST)["step"] == 5


def test_an_unevaluated_best_metric_is_refused_by_name(tiny_host, in_tmp):
    trainer = make(in_tmp / "run", best_metric="fid", scores=scores_of({2: 0.5}))
    with pytest.raises(SnapshotError, match="best_metric 'fid' is not evaluated; evaluated: l1"):
        trainer.run()


def test_a_resumed_run_competes_with_its_earlier_best(tiny_host, in_tmp):
    run = in_tmp / "run"
    make(run, steps=4, scores=scores_of({2: 0.1, 4: 0.3})).run()
    resumed = make(run, scores=scores_of({6: 0.2, 8: 0.05}))
    resumed.load_state_dict(load_checkpoint(run))
    assert Snapshots(run, 0).best["step"] == 2
    resumed.run()
    assert json.loads((run / "best.json").read_text())["step"] == 8


def test_checkpoint_of_names_what_a_run_kept(tiny_host, in_tmp):
    run = in_tmp / "run"
    make(run, keep_snapshots=2).run()
    assert checkpoint_of(run, snapshot=8) == snapshot_path(run, 8)
    assert checkpoint_of(run) == run
    with pytest.raises(SnapshotError, match="--snapshot 2: .* no snapshot of that step; kept: 6, 8"):
        checkpoint_of(run, snapshot=2)
    with pytest.raises(SnapshotError, match="has no best model: train with --eval-every"):
        checkpoint_of(run, best=True)


class RecordingWriter:
    def __init__(self):
        self.images = []

    def add_image(self, tag, image, step, dataformats):
        self.images.append((tag, image.shape, step, dataformats))


def test_sample_grids_reach_tensorboard_as_labelled_images(tiny_host, in_tmp):
    trainer = make(in_tmp / "run", snapshot_every=0)
    writer = RecordingWriter()
    trainer.writer.tensorboard = writer
    path = trainer.save_samples()
    ((tag, shape, step, layout),) = writer.images
    assert tag == "samples" and step == 0 and layout == "HWC" and shape[2] == 3
    from PIL import Image

    assert Image.open(path).size == (shape[1], shape[0])


def test_tensorboard_event_file_holds_the_grids(tiny_host, in_tmp):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    make(in_tmp / "run", snapshot_every=0, steps=6).run()
    events = EventAccumulator(str(in_tmp / "run" / "tensorboard"), size_guidance={"images": 0})
    events.Reload()
    assert "samples" in events.Tags()["images"]
    assert [e.step for e in events.Images("samples")] == [3, 6]


def test_text_conditioned_grids_save_their_prompts(tiny_host, in_tmp):
    trainer = make(in_tmp / "run", preset="tiny", snapshot_every=0, steps=3,
                   **{"task": {"name": "text-conditional"}, "conditioner": {"name": "learned"}})
    trainer.run()
    prompts = json.loads((in_tmp / "run" / "samples" / "prompts.json").read_text())
    assert prompts == trainer.fixed["raw"] and len(prompts) == 8 and all(isinstance(p, str) and p for p in prompts)
