"""The errors a training run stops with."""

from __future__ import annotations

from ganzoo.errors import GanzooError


class TrainingError(GanzooError):
    pass


class TrainingInterrupted(TrainingError):
    """Ctrl-C: the run stopped at a step boundary after saving a checkpoint."""

    exit_code = 130
