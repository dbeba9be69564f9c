"""``RUN/log.txt``: what a training run prints, also kept as plain text beside the run."""

from __future__ import annotations

import time
from pathlib import Path
from typing import IO

from rich.console import Console

from ganzoo.train.loop import Progress

LOG = "log.txt"


class RunLog(Progress):
    """Appends the run's console lines and one line per logged step to ``RUN/log.txt``.

    The file gets plain text (no colours, no cursor movement) with a wall-clock time on each
    line; it is appended to, so a resumed run continues the same log.
    """

    def __init__(self, run_dir: Path) -> None:
        Path(run_dir).mkdir(parents=True, exist_ok=True)
        self.handle: IO[str] = open(Path(run_dir) / LOG, "a", encoding="utf-8")
        self.plain = Console(file=self.handle, color_system=None, force_terminal=False, highlight=False, emoji=False,
                             soft_wrap=True, width=200)
        self.total = 0
        self.started = time.perf_counter()

    def print(self, text: str) -> None:
        """One console line (rich markup is rendered as plain text)."""
        self.plain.print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {text}")
        self.handle.flush()

    def start(self, step: int, total: int) -> None:
        self.total, self.started = total, time.perf_counter()
        self.print(f"train: step {step}/{total}")

    def update(self, step: int, values: dict[str, float], images_per_second: float) -> None:
        stats = "  ".join(f"{k}={v:.4g}" for k, v in values.items())
        elapsed = time.strftime("%H:%M:%S", time.gmtime(time.perf_counter() - self.started))
        self.print(f"train: step {step}/{self.total}  {stats}  {images_per_second:,.0f} img/s  elapsed {elapsed}")

    def close(self) -> None:
        self.handle.close()


class Fanout(Progress):
    """Reports the loop's progress to several reporters (the terminal bar and the log)."""

    def __init__(self, *reporters: Progress) -> None:
        self.reporters = reporters

    def start(self, step: int, total: int) -> None:
        for reporter in self.reporters:
            reporter.start(step, total)

    def advance(self, step: int) -> None:
        for reporter in self.reporters:
            reporter.advance(step)

    def update(self, step: int, values: dict[str, float], images_per_second: float) -> None:
        for reporter in self.reporters:
            reporter.update(step, values, images_per_second)

    def work(self, what: str, done: int, total: int) -> None:
        for reporter in self.reporters:
            reporter.work(what, done, total)

    def stop(self) -> None:
        for reporter in self.reporters:
            reporter.stop()
