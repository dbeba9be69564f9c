"""The training loop: runs, exact resume, learning, run folder contents, refused input."""

import json
import os
import socket
from types import SimpleNamespace

import pytest
import torch

from ganzoo.errors import GanzooError
from ganzoo.interfaces import Phase, critic_steps
from ganzoo.presets import load_book
from ganzoo.runs.checkpoint import load_checkpoint
from ganzoo.runs.lock import LOCK, RunFolderLocked
from ganzoo.train.loop import IndexStream, Trainer


def make(name, run_dir, **overrides):
    config = load_book().resolve(name, overrides)
    return Trainer(config, run_dir)


def flat_state(state):
    out = {}
    for group in ("nets", "ema"):
        for role, tensors in state[group].items():
            for key, value in tensors.items():
                out[f"{group}.{role}.{key}"] = value
    for phase, opt in state["optim"].items():
        for index, slots in opt["state"].items():
            for key, value in slots.items():
                out[f"optim.{phase}.{index}.{key}"] = torch.as_tensor(value)
    return out


@pytest.mark.parametrize("preset", ["tiny-class", "tiny-paired"])
def test_resume_is_exact(tiny_host, in_tmp, preset):
    straight = make(preset, in_tmp / "straight", steps=6)
    straight.run()
    first = make(preset, in_tmp / "resumed", steps=3)
    first.run()
    second = make(preset, in_tmp / "resumed", steps=6)
    second.load_state_dict(load_checkpoint(in_tmp / "resumed"))
    assert second.step == 3
    second.run()
    a, b = flat_state(straight.state_dict()), flat_state(second.state_dict())
    assert a.keys() == b.keys()
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, different[:5]
    assert torch.equal(straight.batches.rng.get_state(), second.batches.rng.get_state())
    steps = [json.loads(line)["step"] for line in (in_tmp / "resumed" / "metrics.jsonl").read_text().splitlines()]
    assert steps == [2, 3, 4, 6]


def test_run_folder_holds_config_metrics_samples_checkpoint(tiny_host, in_tmp):
    trainer = make("tiny-class", in_tmp / "run")
    last = trainer.run()
    run = in_tmp / "run"
    meta = json.loads((run / "config.json").read_text())
    assert meta["config"]["nets"]["generator"]["name"] == "tiny-gen"
    assert meta["source"] == {"kind": "class", "dim": 4}
    assert meta["plugins"]["tiny-plugin"] == "1.0"
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [l["step"] for l in lines] == [2, 4, 6] and all("D/loss" in l and "G/loss" in l for l in lines)
    assert last["step"] == 6 and last["img_per_s"] > 0
    assert (run / "samples" / "step-0000003.png").is_file() and (run / "samples" / "latest.png").is_file()
    state = load_checkpoint(run)
    assert state["step"] == 6 and set(state["ema"]) == {"generator"}
    assert not list(run.glob(".*.tmp"))  # atomic writes leave no temporaries


def test_a_short_run_learns_the_pixel_distribution(tiny_host, in_tmp):
    """Generated pixel values move close to the data's (flat saturated colours) from the start's greys.

    Measured as the Wasserstein-1 distance between the per-channel pixel-value distributions.
    """
    trainer = make("tiny", in_tmp / "learn", steps=150, batch_size=32, **{"dataset.count": 512, "optim.G.lr": 1e-3, "optim.D.lr": 1e-3})
    real = trainer.dataset.images["image"][:256].float().div(127.5).sub(1)

    def distance() -> float:
        with torch.no_grad():
            trainer.nets["generator"].eval()
            fake = trainer.nets["generator"](torch.randn(256, 8, generator=torch.Generator().manual_seed(0)))
            trainer.nets["generator"].train()
        per_channel = lambda x: x.transpose(0, 1).flatten(1).sort(dim=1).values
        return (per_channel(fake) - per_channel(real)).abs().mean().item()

    before = distance()
    trainer.run()
    after = distance()
    assert after < 0.5 * before, (before, after)


def test_phase_roles_only_update_their_networks(tiny_host, in_tmp):
    trainer = make("tiny", in_tmp / "phases", steps=1)
    before = {r: [p.detach().clone() for p in n.parameters()] for r, n in trainer.nets.items()}
    trainer.train_step()
    for role, net in trainer.nets.items():
        assert any(not torch.equal(a, b) for a, b in zip(before[role], net.parameters())), role
        assert all(p.requires_grad for p in net.parameters())


def test_freeze_keeps_weights(tiny_host, in_tmp):
    trainer = make("tiny", in_tmp / "frozen", steps=2, freeze=["generator.fc"])
    fc = trainer.nets["generator"].fc.weight.detach().clone()
    trainer.run()
    assert torch.equal(fc, trainer.nets["generator"].fc.weight)


def test_init_from_another_run(tiny_host, in_tmp):
    make("tiny", in_tmp / "source").run()
    trainer = make("tiny", in_tmp / "target", steps=1, init_from={"generator": f"{in_tmp / 'source'}:generator"})
    source = load_checkpoint(in_tmp / "source")["nets"]["generator"]
    assert torch.equal(trainer.nets["generator"].fc.weight, source["fc.weight"])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"optim.X": {"lr": 1.0}}, "the task has no phase 'X'"),
        ({"freeze": ["generator", "discriminator"]}, "phase D has nothing to train"),
        ({"freeze": ["gen"]}, "freeze 'gen': no network 'gen'"),
        ({"init_from": {"generator": "nowhere:generator"}}, "no checkpoint at nowhere"),
    ],
)
def test_bad_training_settings_are_refused(tiny_host, in_tmp, overrides, message):
    with pytest.raises(GanzooError, match=message):
        make("tiny", in_tmp / "bad", **overrides)


def test_index_stream_covers_each_epoch_and_shards_ranks():
    stream = IndexStream(10, seed=3)
    seen = torch.cat([stream.indices(step, 5)[0] for step in range(2)])
    assert sorted(seen.tolist()) == list(range(10))
    rank0 = stream.indices(0, 5, rank=0, world=2)[0]
    rank1 = stream.indices(0, 5, rank=1, world=2)[0]
    assert sorted(torch.cat([rank0, rank1]).tolist()) == list(range(10))
    assert not torch.equal(stream.indices(2, 5)[0], stream.indices(0, 5)[0])  # a new permutation per epoch


def test_scalars_go_to_tensorboard_when_available(tiny_host, in_tmp, monkeypatch):
    recorded = []

    class Writer:
        def add_scalar(self, key, value, step):
            recorded.append((key, step))

        def add_image(self, key, image, step, dataformats):
            recorded.append((key, step))

        def close(self):
            recorded.append(("closed", -1))

    monkeypatch.setattr("ganzoo.runs.writer.open_tensorboard", lambda folder: Writer())
    monkeypatch.setattr("ganzoo.runs.writer.tensorboard_folder", lambda mode, run_dir: run_dir / "tensorboard")  # as if installed
    make("tiny", in_tmp / "tb", steps=2).run()
    assert ("D/loss", 2) in recorded and ("G/loss", 2) in recorded and recorded[-1][0] == "closed"
    assert ("samples", 2) in recorded  # the sample grid, as an image


def test_phase_repeats_are_a_number_or_a_function_of_the_config():
    config = SimpleNamespace(n_critic=3)
    assert Phase("D", ("discriminator",), repeats=critic_steps).times(config) == 3
    assert Phase("G", ("generator",), repeats=2).times(config) == 2
    assert Phase("G", ("generator",)).times(config) == 1
    with pytest.raises(TypeError, match="repeats must be an int or a function of the config"):
        Phase("D", ("discriminator",), repeats="n_critic")
    with pytest.raises(ValueError, match="at least once"):
        Phase("D", ("discriminator",), repeats=lambda config: 0).times(config)


def test_n_critic_repeats_the_discriminator_phase(tiny_host, in_tmp):
    trainer = make("tiny", in_tmp / "run", n_critic=2)
    calls, phase_loss = [], trainer.task.phase_loss
    trainer.task.phase_loss = lambda phase, nets, batch: calls.append(phase) or phase_loss(phase, nets, batch)
    trainer.train_step()
    assert calls == ["D", "D", "G"]


def test_a_resumed_run_takes_the_folder_before_it_loads_the_checkpoint(tiny_host, in_tmp):
    make("tiny", in_tmp / "run", steps=2).run()
    (in_tmp / "run" / LOCK).write_text(json.dumps({"pid": os.getppid(), "host": socket.gethostname()}))
    trainer = Trainer(load_book().resolve("tiny", {"steps": 4}), in_tmp / "run", resume=True)
    with pytest.raises(RunFolderLocked, match=f"in use by process {os.getppid()}"):
        trainer.run()
    assert trainer.step == 0  # nothing was read from a folder another process writes


def test_dry_run_hides_only_the_meta_copy_warning_of_init_from(tiny_host, in_tmp):
    """A rehearsal copies init_from weights into meta parameters (a no-op torch warns about): that
    warning is expected and hidden; what a component itself warns while building is still shown."""
    import warnings

    from ganzoo.registry import component
    from ganzoo.resolve import checked
    from ganzoo.train.loop import Rehearsal
    from tests.tinyplugin import TinyGenerator

    make("tiny", in_tmp / "source").run()
    config = load_book().resolve("tiny", {"init_from": {"generator": f"{in_tmp / 'source'}:generator"}})
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        Rehearsal(checked(config, tiny_host.registry), in_tmp / "rehearsed").rehearse()
    assert not [str(w.message) for w in said if "meta" in str(w.message)]

    def outdated_generator(resolution, channels, condition):
        warnings.warn("outdated-generator: width is deprecated", DeprecationWarning, stacklevel=2)
        return TinyGenerator(resolution, channels, condition)

    tiny_host.registry.add(component("generator", "outdated-gen")(outdated_generator))
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        Rehearsal(checked(load_book().resolve("tiny", {"nets.generator.name": "outdated-gen"}), tiny_host.registry),
                  in_tmp / "outdated").rehearse()
    assert any("width is deprecated" in str(w.message) for w in said)
