"""``ganzoo train``: resolve a preset with the user's flags, check the mix, and run the loop."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from ganzoo import plugins
from ganzoo.cli.common import console, err_console, report_broken_plugins, zoo_option
from ganzoo.cli.runlog import Fanout, RunLog
from ganzoo.config import PRECISIONS, TrainConfig
from ganzoo.data.guess import guess_loader
from ganzoo.errors import GanzooError, first_line
from ganzoo.outputs import writable_folder
from ganzoo.presets import load_book
from ganzoo.resolve import checked, resolve_run
from ganzoo.runs.checkpoint import CHECKPOINT, CONFIG, SAMPLES, config_from_meta
from ganzoo.runs.lock import RunLock
from ganzoo.runs.snapshots import BEST
from ganzoo.train.loop import Rehearsal, Trainer


def data_overrides(path: Path, dataset: str, task_class: type, registry) -> dict[str, Any]:
    """``--data PATH``: the dataset's root (or manifest); for a built-in dataset, which takes no
    path, the loader that reads PATH's layout for the task (a note says what was guessed)."""
    params = registry.get("dataset", dataset).parameters()
    for key in ("root", "manifest"):
        if key in params:
            return {f"dataset.{key}": str(path)}
    guess = guess_loader(path, task_class.layout, task_class.condition_kind)
    if guess.note:
        err_console.print(f"--data: {escape(guess.note)}")
    return {"dataset.name": guess.name, **{f"dataset.{key}": value for key, value in guess.arguments.items()}}


class RichProgress:
    """Step, losses, img/s and ETA on one rich progress bar."""

    def __init__(self) -> None:
        self.bar = Progress(
            TextColumn("[bold]train"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[losses]}"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.task = None

    def start(self, step: int, total: int) -> None:
        self.bar.start()
        self.task = self.bar.add_task("train", total=total, completed=step, losses="", rate="")

    def advance(self, step: int) -> None:
        self.bar.update(self.task, completed=step)

    def update(self, step: int, values: dict[str, float], images_per_second: float) -> None:
        losses = "  ".join(f"{k}={v:.3f}" for k, v in values.items() if k.endswith("loss"))
        self.bar.update(self.task, completed=step, losses=losses, rate=f"{images_per_second:,.0f} img/s")

    def stop(self) -> None:
        self.bar.stop()


def parse_assignment(text: str) -> tuple[str, Any]:
    """``key.sub=value`` with the value read as TOML (numbers, booleans, lists), else a string."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise click.BadParameter(f"{text!r} is not KEY=VALUE (e.g. nets.generator.latent_dim=128)", param_hint="--set")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key.strip(), value


def parse_init(text: str) -> tuple[str, str]:
    """``TARGET=RUN[:ROLE]`` for --init-from."""
    target, sep, source = text.partition("=")
    if not sep or not target.strip() or not source.strip():
        raise click.BadParameter(f"{text!r} is not TARGET=RUN[:ROLE] (e.g. generator.stage1=runs/stackgan-000:generator)", param_hint="--init-from")
    return target.strip(), source.strip()


def next_run_dir(root: Path, preset: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    taken = {p.name for p in root.iterdir()}
    number = 0
    while f"{preset}-{number:03d}" in taken:
        number += 1
    return root / f"{preset}-{number:03d}"


def overrides_from_flags(flags: dict[str, Any], config: TrainConfig, registry) -> dict[str, Any]:
    """Dotted-key overrides for the preset, from the CLI flags that were given."""
    overrides: dict[str, Any] = {}
    for key in ("steps", "epochs", "batch_size", "seed", "device", "precision", "resolution", "channels", "ema", "eval_every",
                "snapshot_every", "keep_snapshots", "best_metric"):
        if flags.get(key) is not None:
            overrides[key] = flags[key]
    if flags.get("fast") is not None:
        overrides["fast"] = fast_mode(flags["fast"])
    if flags.get("steps") is not None and flags.get("epochs") is None:
        overrides["epochs"] = None  # --steps sets the length even where the preset counts epochs
    task_class = registry.get("task", config.task.name).factory
    # --gen/--disc set the role of that name, or every role of that kind (UGATIT's gen_ab, gen_ba)
    for flag, kind in (("gen", "generator"), ("disc", "discriminator")):
        if flags.get(flag):
            for role, role_kind in task_class.roles.items():
                if role_kind == kind and (role == kind or kind not in config.nets):
                    overrides[f"nets.{role}.name"] = flags[flag]
    if flags.get("loss"):
        overrides["loss.name"] = flags["loss"]
    if flags.get("cond"):
        overrides["conditioner"] = None if flags["cond"] == "none" else {"name": flags["cond"]}
    if flags.get("dataset"):
        overrides["dataset.name"] = flags["dataset"]
    if flags.get("data"):
        overrides.update(data_overrides(flags["data"], flags.get("dataset") or config.dataset.name, task_class, registry))
    for key in ("direction", "skip_bad"):
        if flags.get(key):
            overrides[f"dataset.{key}"] = flags[key]
    for target, source in flags.get("init_from", ()):
        overrides.setdefault("init_from", dict(config.init_from))[target] = source
    for key, value in flags.get("assignments", ()):
        overrides[key] = value
    return overrides


def fast_mode(flag: bool) -> str:
    """``--fast`` / ``--no-fast`` -> the config's ``fast`` value."""
    return "on" if flag else "off"


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
@click.option("--gen", help="Generator component (overrides the preset's).")
@click.option("--disc", help="Discriminator component, e.g. patchgan-sn or timm:resnet18.")
@click.option("--loss", help="Adversarial loss component (bce, nonsaturating, lsgan, hinge, ...).")
@click.option("--cond", help="Conditioner component (class, learned, clip, embeddings) or 'none'.")
@click.option("--dataset", help="Dataset component (see `ganzoo list dataset`).")
@click.option("--data", type=click.Path(exists=True, path_type=Path), help="Root of real data for the dataset (default: the built-in set, or the data home's copy of a known dataset). "
                   "A preset on built-in data reads PATH with the loader its layout calls for (class folders, A|B files, "
                   "trainA/trainB, caption files, a .jsonl manifest), at its train/ split when it has one.")
@click.option("--direction", type=click.Choice(["AtoB", "BtoA"]), help="Paired data: which half is the input.")
@click.option("--skip-bad", is_flag=True, default=None, help="Skip unreadable/too-small images instead of failing.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Run folder (default: a new folder under runs/).")
@click.option("--resume", type=click.Path(exists=True, file_okay=False, path_type=Path), help="Continue the run in this folder exactly.")
@click.option("--device", help="auto, cpu, cuda or cuda:N.")
@click.option("--precision", type=click.Choice(PRECISIONS), help="fp32, or bf16 autocast (auto: bf16 on CUDA unless --no-fast).")
@click.option("--fast/--no-fast", default=None,
              help="The fast step: the whole step replayed as one CUDA graph (default: on for CUDA; on the CPU it runs eagerly).")
@click.option("--seed", type=int)
@click.option("--steps", type=click.IntRange(min=1), help="Training steps.")
@click.option("--epochs", type=click.FloatRange(min=0, min_open=True), help="Training length in passes over the data (instead of --steps).")
@click.option("--batch-size", type=click.IntRange(min=1))
@click.option("--resolution", type=click.IntRange(min=4))
@click.option("--channels", type=click.IntRange(min=1, max=4))
@click.option("--ema", type=click.FloatRange(0, 1, max_open=True), help="EMA decay of the generator (0 = off).")
@click.option("--eval-every", type=click.IntRange(min=0), metavar="K",
              help="Score the model every K steps (eval_metrics, eval_count; see docs/evaluation.md); 0 = never.")
@click.option("--snapshot-every", type=click.IntRange(min=0), help="Keep a numbered snapshot every K steps in RUN/snapshots (0 = none).")
@click.option("--keep-snapshots", type=click.IntRange(min=0), help="How many of the newest snapshots stay (0 = all); the best always stays.")
@click.option("--best-metric", help="The evaluated metric that picks RUN/best.pt (default: the first one evaluated).")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE", callback=lambda c, p, v: [parse_assignment(x) for x in v],
              help="Override any preset key, e.g. --set nets.generator.latent_dim=128 (repeatable).")
@click.option("--init-from", "init_from", multiple=True, metavar="TARGET=RUN[:ROLE]", callback=lambda c, p, v: [parse_init(x) for x in v],
              help="Initialise a network or submodule from another run, e.g. generator.stage1=runs/stackgan-000:generator (repeatable).")
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
        config, run_dir = _resumed_config(resume, preset, flags)
        run = checked(config, registry)
    else:
        if preset is None:
            raise click.UsageError("give a PRESET to train (see `ganzoo presets`) or --resume RUN")
        book = load_book(list(zoo_files))
        run = resolve_run(book, preset, registry, overrides_from_flags(flags, book.resolve(preset), registry))
        run_dir = out or next_run_dir(Path("runs"), preset)
        RunLock(run_dir).refuse_if_taken()
        if (run_dir / CHECKPOINT).exists():
            raise GanzooError(f"--out {run_dir} already holds a run; continue it with --resume {run_dir} or choose another --out")
    writable_folder(run_dir, "--out" if resume is None else "--resume")
    if dry_run:
        Rehearsal(run, run_dir).rehearse()
        click.echo(json.dumps(run.config.to_dict(), indent=2))
        console.print("[green]mix ok[/]: the run builds and takes a training step (on the meta device)")
        return
    config = run.config
    # the folder is locked before anything is built or written, so a second writer is refused at once
    with RunLock(run_dir) if "WORLD_SIZE" not in os.environ else contextlib.nullcontext():
        trainer = Trainer(run, run_dir, resume=resume is not None)
        main = trainer.runtime.is_main
        log = RunLog(run_dir) if main else None

        def say(text: str) -> None:
            console.print(text)
            log.print(text)

        if main:
            header = (f"training [bold]{config.preset}[/] for {trainer.steps} steps on {trainer.runtime.device} "
                      f"({trainer.runtime.precision}{f', {trainer.runtime.world} processes' if trainer.runtime.world > 1 else ''}) -> {run_dir}")
            log.print(header)
            if not quiet:
                console.print(header)
            if trainer.fast is not None and trainer.fast.note:
                log.print(f"fast: {trainer.fast.note}")
                if not quiet:
                    console.print(f"fast: {trainer.fast.note}")
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


def _resumed_config(run_dir: Path, preset: str | None, flags: dict[str, Any]) -> tuple[TrainConfig, Path]:
    """The saved config of ``run_dir``; only the length and the device may change on resume."""
    RunLock(run_dir).refuse_if_taken()
    config_path = run_dir / CONFIG
    if not config_path.is_file():
        raise GanzooError(f"--resume {run_dir}: not a run folder (needs {CONFIG} and {CHECKPOINT})")
    try:
        meta = json.loads(config_path.read_text(encoding="utf-8"))
        config = config_from_meta(meta)
    except (ValueError, KeyError, TypeError) as error:
        raise GanzooError(f"--resume {run_dir}: {CONFIG} is damaged ({first_line(error)})") from None
    if not (run_dir / CHECKPOINT).is_file():
        raise GanzooError(f"--resume {run_dir}: the run stopped before its first checkpoint, so there is nothing to resume; "
                          f"start it again with `ganzoo train {config.preset} --out {run_dir}`")
    changeable = {"steps", "epochs", "device", "fast"}
    fixed = sorted(k for k, v in flags.items() if v not in (None, False, (), []) and k not in changeable)
    if fixed or (preset and preset != config.preset):
        what = f"--{fixed[0].replace('_', '-')}" if fixed else f"preset {preset!r}"
        raise GanzooError(f"{what} cannot change a resumed run (only --steps, --epochs, --device, --fast/--no-fast); start a new run instead")
    for key in changeable:
        if flags.get(key) is not None:
            setattr(config, key, fast_mode(flags[key]) if key == "fast" else flags[key])
    return config, run_dir


COMMANDS = [train_command]
