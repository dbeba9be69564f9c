"""``ganzoo train``: resolve a preset with the user's flags, check the mix, and run the loop."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
from rich.progress import Progress, TextColumn
from rich.table import Column

from ganzoo import plugins
from ganzoo.cli.common import console, progress_columns, report_broken_plugins, zoo_option
from ganzoo.cli.flags import TRAIN_FLAGS, PresetTable, flag_options, flag_overrides, given
from ganzoo.cli.runlog import Fanout, RunLog
from ganzoo.config import TrainConfig
from ganzoo.errors import GanzooError
from ganzoo.outputs import new_run_folder, run_folder, writable_folder
from ganzoo.presets import load_book
from ganzoo.registry import Registry
from ganzoo.resolve import checked, resolve_run
from ganzoo.runs.checkpoint import CHECKPOINT, CONFIG, SAMPLES, check_components, config_from_meta
from ganzoo.runs.files import read_run_meta
from ganzoo.runs.snapshots import BEST
from ganzoo.runs.writer import refuse_if_in_use
from ganzoo.train.loop import Rehearsal, Trainer


class RichProgress:
    """Step, losses, img/s and ETA on one rich progress bar; an evaluation's work on bars below it."""

    def __init__(self) -> None:
        label, bar, count, elapsed, eta, remaining = progress_columns("[bold]{task.description}")
        self.bar = Progress(label, bar, count, TextColumn("{task.fields[losses]}", table_column=Column(overflow="ellipsis")),
                            TextColumn("{task.fields[rate]}", table_column=Column(no_wrap=True)),
                            elapsed, eta, remaining, console=console, transient=False)
        self.task = None
        self.work_bars: dict[str, Any] = {}

    def start(self, step: int, total: int) -> None:
        self.bar.start()
        self.task = self.bar.add_task("train", total=total, completed=step, losses="", rate="")

    def work(self, what: str, done: int, total: int) -> None:
        if what not in self.work_bars:
            self.work_bars[what] = self.bar.add_task(f"eval {what}", total=total, losses="", rate="")
        elif done <= self.bar.tasks[self.work_bars[what]].completed:  # the next evaluation: a fresh count and ETA
            self.bar.reset(self.work_bars[what], total=total)
        self.bar.update(self.work_bars[what], completed=done, total=total)

    def advance(self, step: int) -> None:
        self.bar.update(self.task, completed=step)

    def update(self, step: int, values: dict[str, float], images_per_second: float) -> None:
        losses = "  ".join(f"{k}={v:.3f}" for k, v in values.items() if k.endswith("loss"))
        self.bar.update(self.task, completed=step, losses=losses, rate=f"{images_per_second:,.0f} img/s")

    def stop(self) -> None:
        self.bar.stop()


#: ``--out`` and ``--resume`` are listed in ``--help`` before the flags from ``--device`` on.
DEVICE_FLAGS = next(index for index, flag in enumerate(TRAIN_FLAGS) if flag.name == "device")


def schedule_note(config: TrainConfig, steps: int) -> str | None:
    """What the learning rate does over these ``steps``, when it changes: a preset's decay squeezed
    into a short ``--steps`` (or stretched by a longer one) is said before the first step."""
    schedule = config.schedule
    if schedule.kind == "linear":
        start = int(schedule.decay_start * steps)  # as the loop's lr_factor
        return (f"lr: constant to step {start}, then down linearly to 0 at step {steps} "
                f"(schedule linear from {schedule.decay_start:g} of the run's steps)")
    if schedule.kind == "step" and 0 < schedule.every < steps:  # a drop that never comes needs no note
        return f"lr: x {schedule.gamma:g} every {schedule.every} steps ({steps // schedule.every} times in {steps} steps)"
    return None


def relaunch_distributed(nproc: int) -> None:
    """Run this same command under torchrun with ``nproc`` processes (``--nproc`` removed)."""
    args, skip = [], False
    for arg in sys.argv[1:]:
        if skip:
            skip = False
            continue
        if arg == "--nproc":
            skip = True
            continue
        if arg.startswith("--nproc="):
            continue
        args.append(arg)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}", "-m", "ganzoo", *args]
    raise SystemExit(subprocess.call(command))


@click.command("train")
@click.argument("preset", required=False)
@flag_options(TRAIN_FLAGS[:DEVICE_FLAGS])
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Run folder (default: a new folder under runs/).")
@click.option("--resume", type=click.Path(exists=True, file_okay=False, path_type=Path), help="Continue the run in this folder exactly.")
@flag_options(TRAIN_FLAGS[DEVICE_FLAGS:])
@zoo_option
@click.option("--nproc", type=click.IntRange(min=1), help="Run N processes with torchrun (data parallel).")
@click.option("--dry-run", is_flag=True, help="Print the resolved config and build the run (networks on the meta device); do not train.")
@click.option("--quiet", is_flag=True, help="No progress bar (for scripts); the run folder is still printed.")
def train_command(preset: str | None, out: Path | None, resume: Path | None, zoo_files: tuple[Path, ...],
                  nproc: int | None, dry_run: bool, quiet: bool, **flags: Any) -> None:
    """Train PRESET (see `ganzoo presets`), optionally mixing in other components.

    \b
    Examples:
      ganzoo train demo --device cpu
      ganzoo train stackgan --disc patchgan-sn --device cuda
      ganzoo train pix2pix-facades --data ../datasets/facades --direction BtoA
      ganzoo train --resume runs/dcgan-000 --steps 20000
    """
    if nproc and nproc > 1 and "WORLD_SIZE" not in os.environ:
        relaunch_distributed(nproc)
    registry = plugins.registry()
    report_broken_plugins()
    if resume is not None:
        config, run_dir = _resumed_config(resume, preset, flags, registry)
        run = checked(config, registry)
    else:
        if preset is None:
            raise click.UsageError("give a PRESET to train (see `ganzoo presets`) or --resume RUN")
        run = resolve_run(load_book(list(zoo_files)), preset, registry,
                          lambda table: flag_overrides(TRAIN_FLAGS, flags, PresetTable(table, registry)))
        run_dir = out or new_run_folder(Path("runs"), preset)
        refuse_if_in_use(run_dir)
        if (run_dir / CHECKPOINT).exists():
            raise GanzooError(f"--out {run_dir} already holds a run; continue it with --resume {run_dir} or choose another --out")
        run_folder(run_dir, "--out")
    writable_folder(run_dir, "--out" if resume is None else "--resume")
    if dry_run:
        Rehearsal(run, run_dir).rehearse()
        click.echo(json.dumps(run.config.to_dict(), indent=2))
        console.print("[green]mix ok[/]: the run builds and takes a training step (on the meta device)")
        return
    config = run.config
    trainer = Trainer(run, run_dir, resume=resume is not None)
    # the folder is locked (a second writer is refused) before a resumed run loads its checkpoint and anything is written
    try:
        trainer.open()
    except GanzooError as error:  # what the run folder holds does not fit: name the folder
        raise GanzooError(f"--resume {run_dir}: {error}" if resume is not None and str(run_dir) not in str(error) else str(error)) from None
    main = trainer.runtime.is_main
    log = RunLog(run_dir) if main else None

    def say(text: str) -> None:
        console.print(text)
        log.print(text)

    if main:
        what = (f"resuming [bold]{config.preset}[/] at step {trainer.step} of {trainer.steps}" if resume is not None
                else f"training [bold]{config.preset}[/] for {trainer.steps} steps")
        header = (f"{what} on {trainer.runtime.device} "
                  f"({trainer.runtime.precision}{f', {trainer.runtime.world} processes' if trainer.runtime.world > 1 else ''}) -> {run_dir}")
        notes = [header, schedule_note(config, trainer.steps)]
        notes.append(f"fast: {trainer.fast.note}" if trainer.fast is not None and trainer.fast.note else None)
        if trainer.writer.tensorboard_dir:
            notes.append(f"tensorboard: events in {trainer.writer.tensorboard_dir} (view: tensorboard --logdir {run_dir.parent}; "
                         "off: --no-tensorboard)")
        for note in filter(None, notes):
            log.print(note)
            if not quiet:
                console.print(note)
    try:
        last = trainer.run(None if not main else log if quiet else Fanout(RichProgress(), log))
    except BaseException as error:
        if log:
            log.print(f"stopped at step {trainer.step}: {type(error).__name__}" + (f": {error}" if str(error) else ""))
            log.close()
        raise
    finally:
        trainer.runtime.close()
    if main:
        summary = ", ".join(f"{k}={v:.4g}" for k, v in last.items() if k != "step")
        say(f"done: step {trainer.step}; {summary}")
        say(f"run folder: {run_dir}")
        say(f"samples:    {run_dir / SAMPLES / 'latest.png'}")
        say(f"checkpoint: {run_dir / CHECKPOINT}")
        if trainer.snapshots.best:
            best = trainer.snapshots.best
            say(f"best:       {run_dir / BEST} (step {best['step']}, {best['metric']}={best['value']:.4g})")
        log.close()


def _resumed_config(run_dir: Path, preset: str | None, flags: dict[str, Any], registry: Registry) -> tuple[TrainConfig, Path]:
    """The saved config of ``run_dir``; only the length and the device may change on resume. A
    component whose plugin is gone is named with the distribution to install, as loading does."""
    refuse_if_in_use(run_dir)
    config_path = run_dir / CONFIG
    if not config_path.is_file():
        raise GanzooError(f"--resume {run_dir}: not a run folder (needs {CONFIG} and {CHECKPOINT})")
    try:
        meta = read_run_meta(run_dir)
        config = config_from_meta(meta)
    except GanzooError as error:
        raise GanzooError(f"--resume {run_dir}: {error}") from None
    check_components(meta, registry, run_dir)
    if not (run_dir / CHECKPOINT).is_file():
        raise GanzooError(f"--resume {run_dir}: the run stopped before its first checkpoint, so there is nothing to resume; "
                          f"start it again with `ganzoo train {config.preset} --out {run_dir}`")
    chosen = given(TRAIN_FLAGS, flags)
    fixed = [flag for flag, _ in chosen if not flag.on_resume]
    if fixed or (preset and preset != config.preset):
        what = f"--{fixed[0].name}" if fixed else f"preset {preset!r}"
        changeable = ", ".join(f"--{flag.name}" for flag in TRAIN_FLAGS if flag.on_resume)
        raise GanzooError(f"{what} cannot change a resumed run (only {changeable}); start a new run instead")
    if {"steps", "epochs"} <= {flag.name for flag, _ in chosen}:
        raise GanzooError("--steps and --epochs both set the training length; give one of them")
    for flag, value in chosen:
        for key, setting in flag.overrides(value, None).items():
            setattr(config, key, setting)
    return config, run_dir


COMMANDS = [train_command]
