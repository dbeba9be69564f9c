"""Tasks: how a batch reaches the networks, and the G/D interplay of each phase.

The training loop knows nothing about generators or discriminators. It asks the task for its
*roles* (named networks and their registry kind), its *phases* (which roles each phase
optimises) and, per phase, a scalar loss to back-propagate. Multi-network models (UGATIT: two
generators, four discriminators) and multi-stage ones (StackGAN Stage-II on a frozen Stage-I)
are tasks and components like any other; the loop has no special cases.

Batches are dicts on the training device; images are float in [-1, 1]:

* ``image``: real images ``[B, C, H, W]`` (the target, for paired data)
* ``label``: class labels ``LongTensor[B]`` (class-conditional data)
* ``caption``: captions ``list[str]`` (text data)
* ``source``: the input image for paired translation ``[B, C', H, W]``
* ``a``, ``b``: images of the two domains for unpaired translation
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from ganzoo.interfaces import Loss


@dataclass(frozen=True)
class Phase:
    """One optimiser step per training step: the roles whose parameters it updates.

    ``repeats`` names a training option (e.g. ``n_critic``) giving how often the phase runs per step.
    """

    name: str
    roles: tuple[str, ...]
    repeats: str | None = None


class Task(abc.ABC):
    """Owns the interplay of the networks; stateless apart from its options and the loss."""

    #: role name -> registry kind (``generator``, ``discriminator`` or ``conditioner``).
    roles: ClassVar[dict[str, str]] = {"generator": "generator", "discriminator": "discriminator"}
    #: the phases run, in order, at every training step.
    phases: ClassVar[tuple[Phase, ...]] = (Phase("D", ("discriminator",), repeats="n_critic"), Phase("G", ("generator",)))
    #: the dataset layout it reads: ``images`` (with an optional condition), ``paired`` or ``unpaired``.
    layout: ClassVar[str] = "images"
    #: the dataset condition kind it feeds the networks (none, class, text or image).
    condition_kind: ClassVar[str] = "none"
    #: role -> condition kind that role is fed where it differs from ``condition_kind`` (UGATIT
    #: feeds its generators the other domain's image although unpaired data carry no condition).
    role_conditions: ClassVar[dict[str, str]] = {}
    #: capability tags (``Ports.features``) a role's component must declare, e.g. ``{"gen_ab": {"cam"}}``.
    requires: ClassVar[dict[str, frozenset[str]]] = {}
    #: the phase that trains a trainable conditioner.
    conditioner_phase: ClassVar[str] = "D"

    def __init__(self, loss: Loss) -> None:
        self.loss = loss

    @abc.abstractmethod
    def phase_loss(self, phase: str, nets: dict[str, nn.Module], batch: dict[str, Any]) -> tuple[Tensor, dict[str, Tensor]]:
        """The scalar to back-propagate for ``phase`` and detached statistics to log."""

    @abc.abstractmethod
    def fixed_inputs(self, batch: dict[str, Any], latent_dim: int, generator: torch.Generator) -> dict[str, Any]:
        """Inputs kept fixed for every sample grid of a run (noise, prompts, source images)."""

    @abc.abstractmethod
    def render(self, nets: dict[str, nn.Module], fixed: dict[str, Any]) -> dict[str, Tensor]:
        """Images for the sample grid, by name (e.g. ``samples``, or ``input``/``output``/``target``)."""

    def after_step(self, phase: str, nets: dict[str, nn.Module]) -> None:
        """Called after each optimiser step of ``phase`` (e.g. to clip a learned parameter)."""

    # helpers shared by the tasks -------------------------------------------------------------
    @staticmethod
    def condition(nets: dict[str, nn.Module], raw: Any) -> Tensor | None:
        """The tensor fed to the networks: the conditioner's output when one is used, else ``raw``."""
        if raw is None:
            return None
        conditioner = nets.get("conditioner")
        return conditioner(raw) if conditioner is not None else raw


def extra_generator_losses(generator: nn.Module) -> tuple[Tensor | None, dict[str, Tensor]]:
    """Sum of a generator's own weighted regularisers (e.g. KL of conditioning augmentation)."""
    terms = getattr(generator, "extra_losses", lambda: {})()
    if not terms:
        return None, {}
    total = sum(terms.values())
    return total, {name: value.detach() for name, value in terms.items()}
