"""Scoring a model while it trains (``eval_every``): the same metric on the same inputs every time.

The metrics and their extractors are built when the run is set up, so a missing weights file
stops the run before its first step, not hours in. Each evaluation draws ``eval_count`` images
from one fixed noise seed (translators: the first ``eval_count`` sources of the training data) and
compares them with ``eval_reference_count`` images of the training data (default: as many), whose
reference features are computed once (and cached).
"""

from __future__ import annotations

import torch
from torch import nn

from ganzoo.config import TrainConfig
from ganzoo.data.base import InMemoryDataset
from ganzoo.interfaces import GenerativeTask, ReportProgress, Task, TranslationTask
from ganzoo.layers import evaluating
from ganzoo.metrics.base import MetricError
from ganzoo.metrics.evaluate import build_suite, default_metrics, evaluate, evaluate_generator
from ganzoo.metrics.reference import Reference
from ganzoo.registry import Registry

#: offset of the evaluation noise seed from the run's seed (apart from the sample grid's noise).
EVAL_SEED_OFFSET = 54321


class PeriodicEvaluation:
    """The run's evaluation: ``self(nets, device)`` -> ``{metric: value}``."""

    def __init__(self, config: TrainConfig, task: Task, dataset: InMemoryDataset, registry: Registry) -> None:
        self.config, self.task, self.dataset = config, task, dataset
        self.names = list(config.eval_metrics) or default_metrics(task)[:1]
        try:
            self.suite = build_suite(self.names, registry, {"image": config.eval_extractor, "text": config.eval_text_extractor})
        except MetricError as error:
            raise MetricError(f"eval_every: {error} (in training: --set eval_extractor.weights=PATH or eval_text_extractor.weights=PATH)") from None
        self.seed = config.seed + EVAL_SEED_OFFSET
        self.reference: Reference | None = None

    @torch.no_grad()
    def __call__(self, nets: dict[str, nn.Module], device: torch.device, progress: ReportProgress | None = None) -> dict[str, float]:
        config = self.config
        references = config.eval_reference_count or config.eval_count
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):  # training's random state is untouched
            if isinstance(self.task, GenerativeTask):
                result = evaluate_generator(self.task, nets, self.dataset, self.suite, count=config.eval_count, batch_size=config.batch_size,
                                            seed=self.seed, device=device, reference=self.reference, per_class=False,
                                            reference_count=references, progress=progress)
                self.reference = result.reference
            else:
                assert isinstance(self.task, TranslationTask)
                translator = self.task
                with evaluating(nets.values()):
                    result = evaluate(lambda source: translator.translate(nets, source).output, self.dataset, self.suite,
                                      count=config.eval_count, batch_size=config.batch_size, seed=self.seed, device=device,
                                      reference=self.reference, reference_count=references, progress=progress)
                self.reference = result.reference
        return result.scores
