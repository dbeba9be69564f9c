"""The one training loop: the phases of a step, and what happens between steps.

The loop is generic: the task names the networks (roles) and phases and computes each phase's
loss; the loop runs them and schedules the rest, each part doing one job: the optimisers and
learning-rate schedules (:mod:`ganzoo.train.optim`), the EMA (:mod:`ganzoo.train.ema`), the
batches (:mod:`ganzoo.train.batches`), statistics (:mod:`ganzoo.train.stats`), checkpoints
(:mod:`ganzoo.train.checkpointer`), the run folder's files and lock (:mod:`ganzoo.runs.writer`)
and the static step (:mod:`ganzoo.train.fast`). It never synchronises with the device per step:
statistics stay on the device and are read every ``log_every`` steps.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import signal
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Iterator

import torch
from torch import Tensor, nn

from ganzoo import plugins
from ganzoo.build import build_dataset, build_model
from ganzoo.config import TrainConfig
from ganzoo.errors import first_line
from ganzoo.images import READABLE_SIDE, labelled_grid, sample_labels
from ganzoo.interfaces import ReportProgress, Task
from ganzoo.layers import evaluating
from ganzoo.registry import Registry
from ganzoo.resolve import ResolvedRun, checked
from ganzoo.runs.checkpoint import CHECKPOINT, checked_weights, load_checkpoint, run_meta
from ganzoo.runs.snapshots import Snapshots
from ganzoo.runs.writer import RunWriter
from ganzoo.train.batches import Batches, IndexStream
from ganzoo.train.checkpointer import Checkpointer
from ganzoo.train.ema import EMA
from ganzoo.train.errors import TrainingError, TrainingInterrupted
from ganzoo.train.evaluation import PeriodicEvaluation
from ganzoo.train.fast import StaticStep
from ganzoo.train.optim import PhaseOptimizers
from ganzoo.train.reuse import reuse_and_freeze
from ganzoo.train.runtime import Runtime, fast_enabled
from ganzoo.train.stats import Stats

__all__ = ["IndexStream", "Progress", "Rehearsal", "Trainer", "TrainingError", "TrainingInterrupted"]


class Trainer:
    """A training run in ``run_dir``: builds everything from a resolved run, then steps.

    ``run`` is a :class:`ResolvedRun` (what ``ganzoo train`` passes: checked once, upstream) or a
    bare config, checked here against ``registry`` (default: the installed plugins). ``resume``:
    continue from the folder's checkpoint, loaded by :meth:`open` once the folder is locked.
    """

    def __init__(self, run: ResolvedRun | TrainConfig, run_dir: Path, *, registry: Registry | None = None,
                 runtime: Runtime | None = None, resume: bool = False) -> None:
        if isinstance(run, TrainConfig):  # refuse a bad mix before building anything
            run = checked(run, registry or plugins.registry())
        self.resolved = run
        self.config = config = run.config
        self.run_dir = Path(run_dir)
        self.runtime = runtime or Runtime.create(config.device, config.precision, config.fast)
        device = self.runtime.device

        torch.manual_seed(config.seed)  # identical initial weights on every process
        self.dataset = build_dataset(run)
        if len(self.dataset) == 0:
            raise TrainingError(f"dataset {config.dataset.name!r} is empty")
        model = build_model(run, self.dataset.condition).to(device)
        if config.channels_last:
            for net in model.nets.values():
                net.to(memory_format=torch.channels_last)
        self.task: Task = model.task
        self.nets = model.nets
        #: modules held fixed (``freeze``): no gradients, and eval mode while the rest trains.
        self.frozen = reuse_and_freeze(self.nets, config)
        per_step = config.batch_size * self.runtime.world
        self.steps = config.steps if config.epochs is None else max(1, math.ceil(config.epochs * len(self.dataset) / per_step))
        fast = fast_enabled(config.fast, device)
        self.optimizers = PhaseOptimizers(self.task, self.nets, config, self.steps, device, tensor_lrs=fast)
        self.ema = EMA(self.nets, [role for role, kind in self.task.roles.items() if kind == "generator"], config.ema, config.ema_start)
        self.batches = Batches(self.dataset, config, device, self.runtime.rank, self.runtime.world)
        self.step = 0
        self.stats = Stats()
        self.meta = run_meta(config, self.dataset, run.mix)
        self.fixed = self._fixed_inputs()
        if "conditioner" in self.nets:  # after the fixed inputs: the sample grid labels its rows with the captions' text
            self.batches.prepare_captions(self.nets["conditioner"])
        # built now so that missing extractor weights stop the run before its first step
        self.evaluation = PeriodicEvaluation(config, self.task, self.dataset, run.registry) if config.eval_every > 0 else None
        #: the latest evaluation's scores by metric name (e.g. ``{"fid": 31.2}``); empty until one ran.
        self.last_eval: dict[str, float] = {}
        self.writer = RunWriter(self.run_dir, config.tensorboard)
        self.snapshots = Snapshots(self.run_dir, config.keep_snapshots, config.best_metric)
        self.checkpoints = Checkpointer(self.run_dir, self.runtime, self.nets, self.stats, self.snapshots,
                                        self.state_dict, self.refresh_ema_batchnorm, self.rng_state)
        self.fast = StaticStep(self.step_body, self.batches, self.optimizers.zero_grad, self.runtime.world) if fast else None
        torch.manual_seed(config.seed + 7919 * (self.runtime.rank + 1))  # per-process noise
        self._resume, self._open = resume, False

    def _fixed_inputs(self) -> dict[str, Any]:
        generator = torch.Generator().manual_seed(self.config.seed + 12345)
        count = min(self.config.sample_count, len(self.dataset))
        indices = torch.randperm(len(self.dataset), generator=generator)[:count]
        batch = self.batches.gather(indices, augment=False)
        latent = getattr(self.nets.get("generator"), "latent_dim", 0) or max(
            (getattr(self.nets[r], "latent_dim", 0) for r, k in self.task.roles.items() if k == "generator"), default=0)
        return self.task.fixed_inputs(batch, latent, generator)

    # ------------------------------------------------------------------------------------------
    def train_step(self) -> None:
        """One step: the static step (``fast``) or the eager one; then schedules and counters."""
        if self.fast is not None:
            self.fast.run(self.step, self.ema.averaging(self.step) if self.ema else None)
        else:
            self.step_body(self.batches.at(self.step))
        self.optimizers.advance()
        self.stats.count += 1
        self.step += 1

    def step_body(self, batch: dict[str, Any], graphed: bool = False) -> None:
        """Every phase on ``batch``, then the EMA: no host synchronisation, so it can be captured.

        ``graphed``: it is being captured into a CUDA graph (autocast must not cache casts then).
        """
        for phase in self.task.phases:
            params, optimizer = self.optimizers.params[phase.name], self.optimizers[phase.name]
            self.optimizers.train_only(phase.name)
            for _ in range(phase.times(self.config)):
                optimizer.zero_grad(set_to_none=True)
                with self.runtime.autocast(cache=not graphed):
                    loss, stats = self.task.phase_loss(phase.name, self.nets, batch)
                loss.backward()
                self.runtime.average_gradients(params)
                optimizer.step()
                self.task.after_step(phase.name, self.nets)
                self.stats.add(stats)
        self.optimizers.train_only(None)
        self.ema.update(self.nets, self.step)

    def train_mode(self) -> None:
        """Networks train, except frozen parts (a frozen Stage-I keeps its BatchNorm statistics)."""
        for net in self.nets.values():
            net.train()
        for module in self.frozen:
            module.eval()

    # ------------------------------------------------------------------------------------------
    def render_nets(self, use_ema: bool = True) -> dict[str, nn.Module]:
        return {**self.nets, **(self.ema.nets if use_ema else {})}

    def refresh_ema_batchnorm(self) -> None:
        """BatchNorm statistics of the EMA networks' own, from the fixed sample inputs (:meth:`EMA.refresh_batchnorm`)."""
        self.ema.refresh_batchnorm(lambda nets: self.task.render(nets, self.fixed), self.nets, self.runtime.device,
                                   self.runtime.autocast)

    def aside(self) -> contextlib.AbstractContextManager:
        """Work between steps (samples, evaluations) draws from forked generators: the random
        numbers training draws (StackGAN's conditioning augmentation) stay as they were, so a run
        continued from a checkpoint draws the same whether or not samples were made before it."""
        return torch.random.fork_rng(devices=[self.runtime.device] if self.runtime.device.type == "cuda" else [])

    def save_samples(self) -> Path:
        """The grid of the fixed inputs, labelled with their conditions, kept per step (and in TensorBoard)."""
        with self.aside():
            self.refresh_ema_batchnorm()
            nets = self.render_nets()
            with evaluating(nets.values()), self.runtime.autocast():
                images = self.task.render(nets, self.fixed)
        labels = sample_labels(self.fixed.get("raw"), self.meta["class_names"])
        prompts = labels if isinstance(self.fixed.get("raw"), list) else None
        return self.writer.samples(self.step, labelled_grid(images, labels=labels, max_side=READABLE_SIDE), prompts)

    def evaluate(self, progress: ReportProgress | None = None) -> dict[str, float]:
        """Score the (EMA) networks on the fixed evaluation set; log ``{"step": N, "eval": {...}}``."""
        assert self.evaluation is not None
        with self.aside():
            self.refresh_ema_batchnorm()
            self.last_eval = self.evaluation(self.render_nets(), self.runtime.device, progress)
        self.writer.log_evaluation(self.step, self.last_eval)
        return self.last_eval

    @torch.no_grad()
    def weights_checksum(self) -> Tensor:
        """One number per parameter tensor: equal on every process of a correct data-parallel run."""
        return torch.stack([p.double().sum() for net in self.nets.values() for p in net.parameters()])

    def rng_state(self) -> dict[str, Tensor]:
        """This process's random generators (each process of a data-parallel run draws its own noise)."""
        rng = {"cpu": torch.get_rng_state(), "augment": self.batches.rng.get_state()}
        if self.runtime.device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state(self.runtime.device)
        return rng

    def state_dict(self) -> dict[str, Any]:
        rng = self.rng_state()
        return {
            "step": self.step,
            "nets": {role: net.state_dict() for role, net in self.nets.items()},
            "ema": self.ema.state_dict(),
            **self.optimizers.state_dict(),
            "rng": rng,
            "stats": self.stats.state_dict(),
            "meta": json.dumps(self.meta),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        try:
            for role, net in self.nets.items():
                checked_weights(role, net, state["nets"][role])
                net.load_state_dict(state["nets"][role])
            for role, net in self.ema.nets.items():
                checked_weights(role, net, state["ema"][role])
            self.ema.load_state_dict(state["ema"])
            self.optimizers.load_state_dict(state)
        except (KeyError, RuntimeError, ValueError) as error:
            raise TrainingError(f"checkpoint does not match this run's networks ({first_line(error)})") from None
        self.step = self.checkpoints.saved_step = int(state["step"])
        if "stats" in state:
            self.stats.load_state_dict(state["stats"], self.runtime.device)
        rng = state["rng"]
        if len(rng.get("ranks", ())) == self.runtime.world:  # saved by as many processes: each continues its own
            rng = rng["ranks"][self.runtime.rank]
        torch.set_rng_state(rng["cpu"])
        self.batches.rng.set_state(rng["augment"])
        if "cuda" in rng and self.runtime.device.type == "cuda":
            torch.cuda.set_rng_state(rng["cuda"], self.runtime.device)
        if self.fast is not None:
            self.fast.invalidate()  # the optimiser state tensors are new objects now

    # ------------------------------------------------------------------------------------------
    def open(self) -> None:
        """Take the run folder (the main process locks it), then load the checkpoint to resume from:
        in that order, so two processes never continue the same checkpoint. :meth:`run` opens the
        folder itself when this was not called, and releases it when it ends."""
        if self._open:
            return
        if self.runtime.is_main:
            self.writer.open(fresh=not self._resume and self.checkpoints.saved_step is None)
        try:
            if self._resume:
                self.load_state_dict(load_checkpoint(self.run_dir / CHECKPOINT))
                self._resume = False
        except BaseException:
            self.writer.close()
            raise
        self._open = True

    def run(self, progress: "Progress | None" = None) -> dict[str, Any]:
        """Train to ``self.steps``, logging, sampling and checkpointing on schedule.

        The run folder is locked for the duration (by the main process). Ctrl-C stops at the end
        of the current step, saves a checkpoint and raises :class:`TrainingInterrupted`; a second
        Ctrl-C stops at once.
        """
        self.open()
        try:
            with _interruptible() as interrupted:
                return self._run(progress, interrupted)
        finally:
            if progress:
                progress.stop()
            self.writer.close()
            self._open = False

    def _run(self, progress: "Progress | None", interrupted: Callable[[], bool]) -> dict[str, Any]:
        config, main = self.config, self.runtime.is_main
        if main:
            self.writer.start(self.meta, self.runtime.environment(), self.step)
        last: dict[str, Any] = {}
        tick_time, tick_step = time.perf_counter(), self.step
        images_per_step = config.batch_size * self.runtime.world
        if progress:
            progress.start(self.step, self.steps)
        self.train_mode()
        while self.step < self.steps:
            self.train_step()
            done = self.step == self.steps
            if self.step % config.log_every == 0 or done:
                values = self.stats.read(reset=self.step % config.log_every == 0)
                self.checkpoints.check_finite(self.step, values)
                now = time.perf_counter()
                rate = (self.step - tick_step) * images_per_step / max(now - tick_time, 1e-9)
                tick_time, tick_step = now, self.step
                last = {"step": self.step, **values, **self.optimizers.learning_rates(), "img_per_s": rate}
                if done and self.runtime.world > 1:
                    last["ranks_agree"] = self.runtime.all_equal(self.weights_checksum())
                if main:
                    self.writer.log(last)
                if progress:
                    progress.update(self.step, values, rate)
            elif progress:
                progress.advance(self.step)
            if main and self.evaluation is not None and (self.step % config.eval_every == 0 or done):
                self.evaluate(progress.work if progress else None)
            if main and (self.step % config.sample_every == 0 or done):
                self.save_samples()
            if self.step % config.checkpoint_every == 0 or done:
                self.checkpoints.save(self.step)
            if config.snapshot_every and (self.step % config.snapshot_every == 0 or done):
                self.checkpoints.snapshot(self.step)
            if main:
                self.checkpoints.keep_best(self.step, self.last_eval)  # after the step's evaluation and snapshot
            if interrupted() and not done:
                if self.checkpoints.saved_step != self.step:
                    self.checkpoints.save(self.step)
                raise TrainingInterrupted(f"interrupted at step {self.step} of {self.steps}; checkpoint saved. "
                                          f"Continue with: ganzoo train --resume {self.run_dir}")
        return last


class Rehearsal(Trainer):
    """What ``--dry-run`` builds: the run's dataset, networks, optimisers and fixed sample inputs,
    with the networks on the meta device (shapes only: no memory, no arithmetic), then one
    training step there, so a dry run fails where the run would. Nothing is written."""

    def __init__(self, run: ResolvedRun, run_dir: Path) -> None:
        Runtime.create(run.config.device, run.config.precision)  # the run's device must exist here too
        # the eager step: the fast step runs the same body, and its tensor learning rates need real values
        run = dataclasses.replace(run, config=dataclasses.replace(run.config, fast="off"))
        with warnings.catch_warnings():  # init_from copies into meta parameters: shapes checked, values dropped
            warnings.filterwarnings("ignore", message=".*copying from a non-meta parameter.*to a meta parameter", category=UserWarning)
            try:
                super().__init__(run, run_dir, runtime=Runtime(torch.device("meta"), "fp32"))
            except NotImplementedError:  # a component reads tensor values while building: rehearse on the CPU
                super().__init__(run, run_dir, runtime=Runtime(torch.device("cpu"), "fp32"))
        self.optimizers.unfuse()  # fused kernels have no meta version
        self.batches.augment = False  # random crops draw on a real device

    def rehearse(self) -> None:
        try:
            self.train_step()
        except NotImplementedError:  # an operation the meta device lacks: the build itself was checked
            return
        except (RuntimeError, ValueError, TypeError, IndexError) as error:
            raise TrainingError(f"the networks do not work together: the first training step fails ({first_line(error)})") from None


class Progress:
    """The interface the loop reports to (the CLI renders it with rich)."""

    def start(self, step: int, total: int) -> None: ...
    def advance(self, step: int) -> None: ...
    def update(self, step: int, values: dict[str, float], images_per_second: float) -> None: ...
    def work(self, what: str, done: int, total: int) -> None:
        """Progress of work between steps (an evaluation), as :data:`ReportProgress`."""
    def stop(self) -> None: ...


@contextlib.contextmanager
def _interruptible() -> Iterator[Callable[[], bool]]:
    """Within the block, a first SIGINT only raises a flag (read at step boundaries); the default
    handler is back at once, so a second SIGINT raises KeyboardInterrupt wherever the run is.

    Single-process runs in the main thread only: the processes of a distributed run would stop at
    different steps.
    """
    flag = threading.Event()
    if threading.current_thread() is not threading.main_thread() or torch.distributed.is_initialized():
        yield flag.is_set
        return

    def first(signum: int, frame: Any) -> None:
        flag.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, first)
    try:
        yield flag.is_set
    finally:
        signal.signal(signal.SIGINT, previous)
