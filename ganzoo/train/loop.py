"""The one training loop: phases, optimisers, schedules, EMA, snapshots, statistics and resume.

The loop is generic: the task names the networks (roles) and phases and computes each phase's
loss; the loop owns everything around it. It never synchronises with the device per step:
statistics stay on the device and are read every ``log_every`` steps.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import importlib.util
import json
import math
import os
import platform
import signal
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy
import torch
from torch import Tensor, nn

from ganzoo import plugins
from ganzoo.build import Model, build_dataset, build_model
from ganzoo.config import OptimConfig, TrainConfig
from ganzoo.data.augment import centre_crop, crop_and_flip, to_float
from ganzoo.errors import GanzooError
from ganzoo.images import READABLE_SIDE, labelled_grid, sample_labels, save_picture
from ganzoo.interfaces import ReportProgress, Task
from ganzoo.io import atomic_write, write_json
from ganzoo.layers import evaluating
from ganzoo.registry import Registry
from ganzoo.resolve import ResolvedRun, checked
from ganzoo.runs.checkpoint import (
    CHECKPOINT,
    CONFIG,
    ENVIRONMENT,
    METRICS,
    PROMPTS,
    SAMPLES,
    load_checkpoint,
    run_meta,
    save_checkpoint,
)
from ganzoo.runs.lock import RunLock
from ganzoo.runs.snapshots import Snapshots, snapshot_path
from ganzoo.train.evaluation import PeriodicEvaluation
from ganzoo.train.fast import StaticStep, settle_lr, tensor_lr
from ganzoo.train.runtime import Runtime, fast_enabled


class TrainingError(GanzooError):
    pass


class TrainingInterrupted(TrainingError):
    """Ctrl-C: the run stopped at a step boundary after saving a checkpoint."""

    exit_code = 130


class IndexStream:
    """Which dataset items each step reads: epoch ``e`` is a permutation seeded by ``(seed, e)``.

    Derived from the step alone, so resuming needs no saved data-loader state, and each process of a
    distributed run reads its own slice of the same global order.
    """

    def __init__(self, size: int, seed: int) -> None:
        self.size, self.seed = size, seed
        self._cache: dict[int, Tensor] = {}

    def permutation(self, epoch: int) -> Tensor:
        if epoch not in self._cache:
            self._cache = {k: v for k, v in self._cache.items() if k >= epoch - 1}
            generator = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            self._cache[epoch] = torch.randperm(self.size, generator=generator)
        return self._cache[epoch]

    def indices(self, step: int, batch_size: int, rank: int = 0, world: int = 1) -> tuple[Tensor, Tensor]:
        start = (step * world + rank) * batch_size
        positions = torch.arange(start, start + batch_size)
        epochs = positions // self.size
        offsets = positions % self.size
        indices = torch.empty_like(positions)
        for epoch in epochs.unique().tolist():
            mask = epochs == epoch
            indices[mask] = self.permutation(epoch)[offsets[mask]]
        return indices, epochs


def lr_factor(config: TrainConfig, steps: int) -> Callable[[int], float]:
    schedule = config.schedule

    def factor(step: int) -> float:
        if schedule.kind == "linear":
            start = int(schedule.decay_start * steps)
            return 1.0 if step < start else max(0.0, (steps - step) / max(1, steps - start))
        if schedule.kind == "step" and schedule.every > 0:
            return schedule.gamma ** (step // schedule.every)
        return 1.0

    return factor


def submodule(nets: dict[str, nn.Module], path: str, what: str) -> nn.Module:
    """``role`` or ``role.sub.module`` -> the module, or a clear error."""
    role, _, rest = path.partition(".")
    if role not in nets:
        raise TrainingError(f"{what} {path!r}: no network {role!r}; networks: {', '.join(nets)}")
    try:
        return nets[role].get_submodule(rest) if rest else nets[role]
    except AttributeError:
        raise TrainingError(f"{what} {path!r}: {role} has no submodule {rest!r}") from None


def load_run_weights(spec: str, prefer_ema: bool = True) -> dict[str, Tensor]:
    """``RUN[:ROLE[.sub]]`` -> that network's weights (EMA when the run kept one)."""
    run, _, part = spec.partition(":")
    role, _, sub = (part or "generator").partition(".")
    state = load_checkpoint(Path(run))
    table = state.get("ema", {}) if prefer_ema and role in state.get("ema", {}) else state["nets"]
    if role not in table:
        raise TrainingError(f"init_from {spec!r}: run {run} has no network {role!r}; it has {', '.join(state['nets'])}")
    weights = table[role]
    if sub:
        prefix = sub + "."
        weights = {k[len(prefix):]: v for k, v in weights.items() if k.startswith(prefix)}
    return weights


@dataclass
class Stats:
    """Running sums of per-step statistics, kept on the device between log points.

    The sums are buffers updated in place (a captured step keeps adding into the same memory);
    reading them zeroes them.
    """

    sums: dict[str, Tensor] = field(default_factory=dict)
    count: int = 0

    def add(self, values: dict[str, Tensor]) -> None:
        for key, value in values.items():
            value = value.detach().float()
            if key in self.sums:
                self.sums[key].add_(value)
            else:
                self.sums[key] = value.clone()

    def read(self, reset: bool = True) -> dict[str, float]:
        """The means since the last reset. ``reset=False`` (a run ending between log points) keeps
        the sums, so a resumed run's next log line averages the same steps as an uninterrupted one.
        Sums are zeroed in place: a captured fast step keeps adding into the same tensors."""
        if not self.sums or not self.count:
            return {}
        keys = list(self.sums)
        values = torch.stack([self.sums[k] for k in keys]).div(self.count).tolist()  # one sync
        if reset:
            for total in self.sums.values():
                total.zero_()
            self.count = 0
        return dict(zip(keys, values))

    def state_dict(self) -> dict[str, Any]:
        return {"sums": dict(self.sums), "count": self.count}

    def load_state_dict(self, state: dict[str, Any], device: torch.device) -> None:
        self.sums = {key: value.to(device) for key, value in state["sums"].items()}
        self.count = int(state["count"])


def environment(runtime: Runtime) -> dict[str, Any]:
    """Where a run trains, for its report: device and its name, precision, processes, versions."""
    device = runtime.device
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    else:
        name = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {torch.get_num_threads()} threads"
    return {"device": str(device), "device_name": name, "precision": runtime.precision, "processes": runtime.world,
            "torch": torch.__version__, "python": platform.python_version()}


class Trainer:
    """A training run in ``run_dir``: builds everything from a resolved run, then steps.

    ``run`` is a :class:`ResolvedRun` (what ``ganzoo train`` passes: checked once, upstream) or a
    bare config, checked here against ``registry`` (default: the installed plugins).
    """

    def __init__(self, run: ResolvedRun | TrainConfig, run_dir: Path, *, registry: Registry | None = None,
                 runtime: Runtime | None = None, resume: bool = False) -> None:
        if isinstance(run, TrainConfig):  # refuse a bad mix before building anything
            run = checked(run, registry or plugins.registry())
        self.resolved = run
        self.config = config = run.config
        self.run_dir = Path(run_dir)
        self.registry = run.registry
        self.runtime = runtime or Runtime.create(config.device, config.precision, config.fast)
        device = self.runtime.device

        torch.manual_seed(config.seed)  # identical initial weights on every process
        self.dataset = build_dataset(run)
        if len(self.dataset) == 0:
            raise TrainingError(f"dataset {config.dataset.name!r} is empty")
        self.model: Model = build_model(run, self.dataset.condition).to(device)
        if config.channels_last:
            for net in self.model.nets.values():
                net.to(memory_format=torch.channels_last)
        self.task: Task = self.model.task
        self.nets = self.model.nets
        self.frozen = [submodule(self.nets, path, "freeze") for path in config.freeze]
        for target, spec in config.init_from.items():
            module = submodule(self.nets, target, "init_from")
            try:
                module.load_state_dict(load_run_weights(spec))
            except RuntimeError as error:
                raise TrainingError(f"init_from {target} <- {spec}: weights do not fit ({str(error).splitlines()[0]})") from None
        for module in self.frozen:
            module.requires_grad_(False)
        if self.nets.get("conditioner") is not None and not self.nets["conditioner"].trainable:
            self.nets["conditioner"].requires_grad_(False)

        self.steps = self._total_steps()
        self.role_params = {role: [p for p in net.parameters() if p.requires_grad] for role, net in self.nets.items()}
        unknown = sorted(set(config.optim) - {p.name for p in self.task.phases})
        if unknown:
            raise TrainingError(f"optim.{unknown[0]}: the task has no phase {unknown[0]!r}; phases: {', '.join(p.name for p in self.task.phases)}")
        self.phase_params: dict[str, list[nn.Parameter]] = {}
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.schedulers: dict[str, torch.optim.lr_scheduler.LambdaLR] = {}
        factor = lr_factor(config, self.steps)
        self.fast_on = fast_enabled(config.fast, device)
        for phase in self.task.phases:
            roles = list(phase.roles) + (["conditioner"] if phase.name == self.task.conditioner_phase and "conditioner" in self.nets else [])
            params = [p for role in roles for p in self.role_params.get(role, [])]
            if not params:
                raise TrainingError(f"phase {phase.name} has nothing to train (roles {', '.join(phase.roles)} are frozen)")
            settings = config.optim.get(phase.name, OptimConfig())
            self.phase_params[phase.name] = params
            # the fast step reads the learning rate from a device tensor the schedule fills in place
            lr = tensor_lr(settings.lr, device) if self.fast_on else settings.lr
            self.optimizers[phase.name] = torch.optim.Adam(params, lr=lr, betas=tuple(settings.betas), weight_decay=settings.weight_decay,
                                                          fused=True, capturable=self.fast_on and device.type == "cuda")
            self.schedulers[phase.name] = torch.optim.lr_scheduler.LambdaLR(self.optimizers[phase.name], factor)
            settle_lr(self.optimizers[phase.name], self.schedulers[phase.name], [lr])
        self.trainable = [p for params in self.role_params.values() for p in params]

        generator_roles = [role for role, kind in self.task.roles.items() if kind == "generator"]
        self.ema = {role: copy.deepcopy(self.nets[role]).eval().requires_grad_(False) for role in generator_roles} if config.ema > 0 else {}
        self.stream = IndexStream(len(self.dataset), config.seed)
        if hasattr(self.dataset, "to"):
            self.dataset.to(device)  # batches are gathered on the device: no loader, no host copies
        self.augment_rng = torch.Generator(device=device if device.type != "meta" else "cpu").manual_seed(config.seed + 1)
        self.step = 0
        self.saved_step: int | None = None  # the step of the last checkpoint in run_dir
        self.stats = Stats()
        self.meta = run_meta(config, self.dataset, run.mix)
        self.fixed = self._fixed_inputs()
        # built now so that missing extractor weights stop the run before its first step
        self.evaluation = PeriodicEvaluation(config, self.task, self.dataset, self.registry) if config.eval_every > 0 else None
        #: the latest evaluation's scores by metric name (e.g. ``{"fid": 31.2}``); empty until one ran.
        self.last_eval: dict[str, float] = {}
        self._judged_eval: dict[str, float] = {}  # the evaluation ``keep_best`` judged last
        self.sample_labels = sample_labels(self.fixed.get("raw"), self.meta["class_names"])
        self.snapshots = Snapshots(self.run_dir, config.keep_snapshots, config.best_metric)
        self.tensorboard_dir = tensorboard_folder(config.tensorboard, self.run_dir)
        self.fast = StaticStep(self) if self.fast_on else None
        torch.manual_seed(config.seed + 7919 * (self.runtime.rank + 1))  # per-process noise
        if resume:
            self.load_state_dict(load_checkpoint(self.run_dir / CHECKPOINT))

    # ------------------------------------------------------------------------------------------
    def _total_steps(self) -> int:
        if self.config.epochs is None:
            return self.config.steps
        per_step = self.config.batch_size * self.runtime.world
        return max(1, math.ceil(self.config.epochs * len(self.dataset) / per_step))

    def _batch(self, indices: Tensor, epochs: Tensor | None = None, augment: bool = True) -> dict[str, Any]:
        if hasattr(self.dataset, "batch"):
            raw = self.dataset.batch(indices, epochs)
        else:
            items = [self.dataset[int(i)] for i in indices]
            raw = {k: [it[k] for it in items] if isinstance(items[0][k], str) else torch.stack([torch.as_tensor(it[k]) for it in items]) for k in items[0]}
        return self.prepare_batch(raw, augment)

    def prepare_batch(self, raw: dict[str, Any], augment: bool = True) -> dict[str, Any]:
        """Raw dataset rows -> float images on the device, augmented (or centre-cropped)."""
        batch = to_float(raw, self.runtime.device)
        if augment:
            return crop_and_flip(batch, self.config.augment, self.config.resolution, self.augment_rng)
        return centre_crop(batch, self.config.resolution)

    def _fixed_inputs(self) -> dict[str, Any]:
        generator = torch.Generator().manual_seed(self.config.seed + 12345)
        count = min(self.config.sample_count, len(self.dataset))
        indices = torch.randperm(len(self.dataset), generator=generator)[:count]
        batch = self._batch(indices, augment=False)
        latent = getattr(self.nets.get("generator"), "latent_dim", 0) or max(
            (getattr(self.nets[r], "latent_dim", 0) for r, k in self.task.roles.items() if k == "generator"), default=0)
        return self.task.fixed_inputs(batch, latent, generator)

    # ------------------------------------------------------------------------------------------
    def _set_trainable(self, params: list[nn.Parameter]) -> None:
        active = {id(p) for p in params}
        for p in self.trainable:
            p.requires_grad_(id(p) in active)

    def train_step(self) -> None:
        """One step: the static step (``fast``) or the eager one; then schedules and counters."""
        if self.fast is not None:
            self.fast.run()
        else:
            indices, epochs = self.stream.indices(self.step, self.config.batch_size, self.runtime.rank, self.runtime.world)
            self.step_body(self._batch(indices, epochs))
        for scheduler in self.schedulers.values():
            scheduler.step()
        self.stats.count += 1
        self.step += 1

    def step_body(self, batch: dict[str, Any], graphed: bool = False) -> None:
        """Every phase on ``batch``, then the EMA: no host synchronisation, so it can be captured.

        ``graphed``: it is being captured into a CUDA graph (autocast must not cache casts then).
        """
        config, runtime = self.config, self.runtime
        for phase in self.task.phases:
            params = self.phase_params[phase.name]
            optimizer = self.optimizers[phase.name]
            self._set_trainable(params)
            for _ in range(int(getattr(config, phase.repeats)) if phase.repeats else 1):
                optimizer.zero_grad(set_to_none=True)
                with runtime.autocast(cache=not graphed):
                    loss, stats = self.task.phase_loss(phase.name, self.nets, batch)
                loss.backward()
                runtime.average_gradients(params)
                optimizer.step()
                self.task.after_step(phase.name, self.nets)
                self.stats.add(stats)
        self._set_trainable(self.trainable)
        self._update_ema()

    def ema_active(self) -> bool:
        """Whether this step averages (past ``ema_start``) rather than copies the generator."""
        return self.step >= self.config.ema_start

    @torch.no_grad()
    def _update_ema(self) -> None:
        for role, ema in self.ema.items():
            net = self.nets[role]
            decay = self.config.ema if self.ema_active() else 0.0
            ema_params, params = list(ema.parameters()), list(net.parameters())
            torch._foreach_lerp_(ema_params, params, 1.0 - decay)
            for ema_buffer, buffer in zip(ema.buffers(), net.buffers()):
                ema_buffer.copy_(buffer)

    # ------------------------------------------------------------------------------------------
    def render_nets(self, use_ema: bool = True) -> dict[str, nn.Module]:
        return {**self.nets, **(self.ema if use_ema else {})}

    @torch.no_grad()
    def refresh_ema_batchnorm(self) -> None:
        """Give each EMA network BatchNorm statistics of its own ("standing statistics", BigGAN).

        Averaged weights with statistics copied from the live network do not match: sampled in
        eval mode they give washed-out images. The statistics are recomputed over the fixed
        sample inputs, in train mode, without touching the training random state.
        """
        for role, ema in self.ema.items():
            ema.train()  # parts that stay in eval mode (a frozen Stage-I) keep their statistics
            norms = [m for m in ema.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats and m.training]
            ema.eval()
            if not norms:
                continue
            momenta = [m.momentum for m in norms]
            for m in norms:
                m.reset_running_stats()
                m.momentum = None  # cumulative average over the passes below
            nets = self.render_nets()
            devices = [self.runtime.device] if self.runtime.device.type == "cuda" else []
            with torch.random.fork_rng(devices=devices), evaluating(nets.values()), self.runtime.autocast():
                ema.train()
                self.task.render(nets, self.fixed)
            for m, momentum in zip(norms, momenta):
                m.momentum = momentum

    def save_samples(self, tensorboard: Any = None) -> Path:
        """The grid of the fixed inputs, labelled with their conditions, kept per step (and in TensorBoard)."""
        self.refresh_ema_batchnorm()
        nets = self.render_nets()
        with evaluating(nets.values()), self.runtime.autocast():
            images = self.task.render(nets, self.fixed)
        picture = labelled_grid(images, labels=self.sample_labels, max_side=READABLE_SIDE)
        path = self.run_dir / SAMPLES / f"step-{self.step:07d}.png"
        save_picture(picture, path)
        atomic_write(self.run_dir / SAMPLES / "latest.png", lambda handle: handle.write(path.read_bytes()))  # encoded once
        prompts = self.run_dir / SAMPLES / PROMPTS
        if isinstance(self.fixed.get("raw"), list) and not prompts.is_file():
            write_json(prompts, self.sample_labels)  # the captions of the grid's numbered cells
        if tensorboard is not None:
            tensorboard.add_image("samples", numpy.asarray(picture), self.step, dataformats="HWC")
        return path

    def state_dict(self) -> dict[str, Any]:
        rng = {"cpu": torch.get_rng_state(), "augment": self.augment_rng.get_state()}
        if self.runtime.device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state(self.runtime.device)
        return {
            "step": self.step,
            "nets": {role: net.state_dict() for role, net in self.nets.items()},
            "ema": {role: net.state_dict() for role, net in self.ema.items()},
            "optim": {name: opt.state_dict() for name, opt in self.optimizers.items()},
            "sched": {name: sched.state_dict() for name, sched in self.schedulers.items()},
            "rng": rng,
            "stats": self.stats.state_dict(),
            "meta": json.dumps(self.meta),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        try:
            for role, net in self.nets.items():
                net.load_state_dict(state["nets"][role])
            for role, net in self.ema.items():
                net.load_state_dict(state["ema"][role])
            held = {name: [group["lr"] for group in opt.param_groups] for name, opt in self.optimizers.items()}
            for name, opt in self.optimizers.items():
                opt.load_state_dict(state["optim"][name])
            for name, sched in self.schedulers.items():
                sched.load_state_dict(state["sched"][name])
                settle_lr(self.optimizers[name], sched, held[name])
        except (KeyError, RuntimeError, ValueError) as error:
            raise TrainingError(f"checkpoint does not match this run's networks ({str(error).splitlines()[0]})") from None
        self.step = self.saved_step = int(state["step"])
        if "stats" in state:
            self.stats.load_state_dict(state["stats"], self.runtime.device)
        torch.set_rng_state(state["rng"]["cpu"])
        self.augment_rng.set_state(state["rng"]["augment"])
        if "cuda" in state["rng"] and self.runtime.device.type == "cuda":
            torch.cuda.set_rng_state(state["rng"]["cuda"], self.runtime.device)
        if self.fast is not None:
            self.fast.invalidate()  # the optimiser state tensors are new objects now

    def save_checkpoint(self, path: Path | None = None) -> Path:
        """The rolling ``checkpoint.pt``, or another file such as a numbered snapshot; a non-finite
        state is never saved, so the last good checkpoint stays."""
        self.check_finite()
        self.runtime.broadcast(self.nets.values())  # BatchNorm statistics as rank 0 has them
        self.refresh_ema_batchnorm()
        rolling = path is None
        path = path or self.run_dir / CHECKPOINT
        if self.runtime.is_main:
            save_checkpoint(path, self.state_dict())
        if rolling:
            self.saved_step = self.step
        self.runtime.barrier()
        return path

    @torch.no_grad()
    def check_finite(self, values: dict[str, float] | None = None) -> None:
        """Stop, naming the step and the part, when a logged statistic (``values``, else the running
        sums) or a network's parameters are NaN or infinite."""
        if values is None:
            values = {key: total.float().sum().item() for key, total in self.stats.sums.items()}
        parts = [f"{key} is {value}" for key, value in values.items() if not math.isfinite(value)]
        roles = [role for role, net in self.nets.items() for p in net.parameters()]
        finite = torch.stack([torch.isfinite(p).all() for net in self.nets.values() for p in net.parameters()]).tolist()
        broken = [role for role in self.nets if not all(ok for r, ok in zip(roles, finite) if r == role)]
        parts += [f"the parameters of {role} are not finite" for role in broken]
        if not parts:
            return
        kept = (f"the last good checkpoint (step {self.saved_step}) is kept" if self.saved_step is not None
                else "no checkpoint was saved")
        raise TrainingError(f"step {self.step}: training went non-finite ({'; '.join(parts)}); stopped, {kept} in {self.run_dir}. "
                            "Lower the learning rate (optim.PHASE.lr) or check the data")

    def save_snapshot(self) -> Path:
        """A numbered snapshot of this step; older ones beyond ``keep_snapshots`` go."""
        path = self.save_checkpoint(snapshot_path(self.run_dir, self.step))
        if self.runtime.is_main:
            self.snapshots.prune()
        return path

    def keep_best(self) -> None:
        """After an evaluation (``last_eval``), keep this step's weights as ``best.pt`` if they score best."""
        if not self.last_eval or self.last_eval == self._judged_eval:
            return
        self._judged_eval = dict(self.last_eval)
        if self.snapshots.improves(self.last_eval):
            def write(path: Path) -> None:
                self.refresh_ema_batchnorm()
                save_checkpoint(path, self.state_dict())

            self.snapshots.keep_best(self.step, self.last_eval, write)

    # ------------------------------------------------------------------------------------------
    def run(self, progress: "Progress | None" = None) -> dict[str, Any]:
        """Train to ``self.steps``, logging, sampling and checkpointing on schedule.

        The run folder is locked for the duration. Ctrl-C stops at the end of the current step,
        saves a checkpoint and raises :class:`TrainingInterrupted`; a second Ctrl-C stops at once.
        """
        lock = RunLock(self.run_dir) if self.runtime.is_main else None
        if lock is not None:
            lock.acquire()
            if self.saved_step is None and (self.run_dir / CHECKPOINT).exists():
                lock.release()
                raise TrainingError(f"{self.run_dir} already holds a run; resume it or choose another folder")
        tensorboard = open_tensorboard(self.tensorboard_dir) if lock is not None and self.tensorboard_dir else None
        try:
            with _interruptible() as interrupted:
                return self._run(progress, tensorboard, interrupted)
        finally:
            if progress:
                progress.stop()
            if tensorboard is not None:
                tensorboard.close()
            if lock is not None:
                lock.release()

    def _run(self, progress: "Progress | None", tensorboard: Any, interrupted: Callable[[], bool]) -> dict[str, Any]:
        config, main = self.config, self.runtime.is_main
        if main:
            write_json(self.run_dir / CONFIG, self.meta)
            write_json(self.run_dir / ENVIRONMENT, environment(self.runtime))
            _truncate_metrics(self.run_dir / METRICS, self.step)
        last: dict[str, Any] = {}
        tick_time, tick_step = time.perf_counter(), self.step
        images_per_step = config.batch_size * self.runtime.world
        if progress:
            progress.start(self.step, self.steps)
        self._train_mode()
        while self.step < self.steps:
            self.train_step()
            done = self.step == self.steps
            if self.step % config.log_every == 0 or done:
                values = self.stats.read(reset=self.step % config.log_every == 0)
                self.check_finite(values)
                now = time.perf_counter()
                rate = (self.step - tick_step) * images_per_step / max(now - tick_time, 1e-9)
                tick_time, tick_step = now, self.step
                lr = {f"lr/{name}": float(opt.param_groups[0]["lr"]) for name, opt in self.optimizers.items()}
                last = {"step": self.step, **values, **lr, "img_per_s": rate}
                if done and self.runtime.world > 1:
                    last["ranks_agree"] = self.runtime.all_equal(self.weights_checksum())
                if main:
                    with open(self.run_dir / METRICS, "a", encoding="utf-8") as handle:
                        handle.write(json.dumps(last) + "\n")
                    if tensorboard is not None:
                        for key, value in last.items():
                            if key != "step" and isinstance(value, (int, float)):
                                tensorboard.add_scalar(key, value, self.step)
                if progress:
                    progress.update(self.step, values, rate)
            elif progress:
                progress.advance(self.step)
            if main and self.evaluation is not None and (self.step % config.eval_every == 0 or done):
                self.evaluate(tensorboard, progress.work if progress else None)
            if main and (self.step % config.sample_every == 0 or done):
                self.save_samples(tensorboard)
            if self.step % config.checkpoint_every == 0 or done:
                self.save_checkpoint()
            if config.snapshot_every and (self.step % config.snapshot_every == 0 or done):
                self.save_snapshot()
            if main:
                self.keep_best()  # after the step's evaluation and snapshot
            if interrupted() and not done:
                if self.saved_step != self.step:
                    self.save_checkpoint()
                raise TrainingInterrupted(f"interrupted at step {self.step} of {self.steps}; checkpoint saved. "
                                          f"Continue with: ganzoo train --resume {self.run_dir}")
        return last

    def evaluate(self, tensorboard: Any = None, progress: ReportProgress | None = None) -> dict[str, float]:
        """Score the (EMA) networks on the fixed evaluation set; log ``{"step": N, "eval": {...}}``."""
        assert self.evaluation is not None
        self.refresh_ema_batchnorm()
        self.last_eval = self.evaluation(self.render_nets(), self.runtime.device, progress)
        with open(self.run_dir / METRICS, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"step": self.step, "eval": self.last_eval}) + "\n")
        if tensorboard is not None:
            for name, value in self.last_eval.items():
                tensorboard.add_scalar(f"eval/{name}", value, self.step)
        return self.last_eval

    @torch.no_grad()
    def weights_checksum(self) -> Tensor:
        """One number per parameter tensor: equal on every process of a correct data-parallel run."""
        return torch.stack([p.double().sum() for net in self.nets.values() for p in net.parameters()])

    def _train_mode(self) -> None:
        """Networks train, except frozen parts (a frozen Stage-I keeps its BatchNorm statistics)."""
        for net in self.nets.values():
            net.train()
        for module in self.frozen:
            module.eval()


class Rehearsal(Trainer):
    """What ``--dry-run`` builds: the run's dataset, networks, optimisers and fixed sample inputs,
    with the networks on the meta device (shapes only: no memory, no arithmetic), then one
    training step there, so a dry run fails where the run would. Nothing is written."""

    def __init__(self, run: ResolvedRun, run_dir: Path) -> None:
        Runtime.create(run.config.device, run.config.precision)  # the run's device must exist here too
        # the eager step: the fast step runs the same body, and its tensor learning rates need real values
        run = dataclasses.replace(run, config=dataclasses.replace(run.config, fast="off"))
        with warnings.catch_warnings():  # init_from copies into meta parameters: shapes checked, values dropped
            warnings.simplefilter("ignore")
            try:
                super().__init__(run, run_dir, runtime=Runtime(torch.device("meta"), "fp32"))
            except NotImplementedError:  # a component reads tensor values while building: rehearse on the CPU
                super().__init__(run, run_dir, runtime=Runtime(torch.device("cpu"), "fp32"))
        for optimizer in self.optimizers.values():
            for group in optimizer.param_groups:
                group["fused"] = False  # fused kernels have no meta version

    def _batch(self, indices: Tensor, epochs: Tensor | None = None, augment: bool = True) -> dict[str, Any]:
        return super()._batch(indices, epochs, augment=False)  # random crops draw on a real device

    def rehearse(self) -> None:
        try:
            self.train_step()
        except NotImplementedError:  # an operation the meta device lacks: the build itself was checked
            return
        except (RuntimeError, ValueError, TypeError, IndexError) as error:
            raise TrainingError(f"the networks do not work together: the first training step fails ({_first_line(error)})") from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return (text.splitlines()[0] if text else type(error).__name__)[:200]


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


def tensorboard_folder(mode: str, run_dir: Path) -> Path | None:
    """Where the run's TensorBoard events go (``None``: nowhere); ``on`` without the package is refused."""
    installed = importlib.util.find_spec("tensorboard") is not None
    if mode == "on" and not installed:
        raise TrainingError("--tensorboard: the tensorboard package is not installed: pip install 'ganzoo-core[tensorboard]' "
                            "(or train with --no-tensorboard)")
    return run_dir / "tensorboard" if installed and mode != "off" else None


def open_tensorboard(folder: Path):
    """A TensorBoard writer of events in ``folder``."""
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(str(folder))


def _truncate_metrics(path: Path, step: int) -> None:
    """On resume, drop log lines written after the checkpoint so the log matches the weights."""
    if not path.is_file():
        return
    kept = [line for line in path.read_text(encoding="utf-8").splitlines() if _logged_step(line) <= step]
    atomic_write(path, lambda f: f.write(("\n".join(kept) + ("\n" if kept else "")).encode()))


def _logged_step(line: str) -> float:
    """The step of a log line; infinite (dropped) for a line a killed run left half-written."""
    try:
        entry = json.loads(line)
    except ValueError:
        return math.inf
    return entry.get("step", 0) if isinstance(entry, dict) and isinstance(entry.get("step", 0), int) else math.inf
