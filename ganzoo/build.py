"""Build components from their description: registry name + keyword arguments + context.

Everything a run builds goes through here, from a resolved run (config + checked mix + registry)
plus the dataset's condition, so runs and exports can be rebuilt anywhere without pickled code.
A component holding another (StackGAN Stage-II holds its Stage-I) declares a ``build`` parameter
and receives a :class:`BuildContext` bound to the same registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Collection

import torch
from torch import Tensor, nn

from ganzoo.config import ComponentConfig, TrainConfig
from ganzoo.errors import GanzooError, first_line
from ganzoo.interfaces import Condition, Task
from ganzoo.losses import UnloadedLoss
from ganzoo.mix import Resolved, resolve
from ganzoo.registry import Registry, RegistryError

if TYPE_CHECKING:
    from ganzoo.resolve import ResolvedRun


class BuildError(GanzooError):
    """A component refused its arguments; the message names the component."""


def create(resolved: Resolved, context: dict[str, Any]) -> Any:
    """Call the component with its kwargs plus the context arguments its signature names."""
    item, kwargs = resolved.component, resolved.kwargs
    params = item.parameters()
    extra = {k: v for k, v in context.items() if k not in kwargs and (k in params or item.accepts_any_keyword())}
    try:
        return item.create(**kwargs, **extra)
    except RegistryError:
        raise
    except (TypeError, ValueError) as error:
        raise BuildError(f"{item.qualified}: {error}") from error
    except RuntimeError as error:  # torch refusing a size, e.g. a negative width
        given = ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) or "its defaults"
        raise BuildError(f"{item.qualified} cannot be built with {given} ({first_line(error)})") from None


@dataclass(frozen=True)
class BuildContext:
    """Builds nested components through the registry in use; factories receive it as ``build``."""

    registry: Registry

    def __call__(self, kind: str, description: ComponentConfig | dict[str, Any] | str, **context: Any) -> Any:
        """``description`` (a name, or ``{"name": ..., **kwargs}``) built with ``context`` arguments."""
        config = ComponentConfig.parse(description, f"nested {kind}")
        return create(resolve(self.registry, kind, config), {**context, "build": self})


def build_dataset(run: ResolvedRun, **overrides: Any):
    """The dataset of ``run`` at its resolution (stored at the jitter size when augmenting)."""
    config, mix = run.config, run.mix
    context = {
        "resolution": config.resolution,
        "load_size": config.load_size,
        "channels": config.channels,
        "condition": mix.task_class.condition_kind,
    }
    dataset = mix.dataset
    return create(Resolved(dataset.component, {**dataset.kwargs, **overrides}), context)


@dataclass
class Model:
    """Built networks (by role, plus ``conditioner``), the task, and what they were built for."""

    config: TrainConfig
    task: Task
    nets: dict[str, nn.Module]
    source: Condition

    def to(self, device: torch.device | str) -> "Model":
        for net in self.nets.values():
            net.to(device)
        return self


def build_model(run: ResolvedRun, source: Condition, roles: Collection[str] | None = None,
                states: dict[str, dict[str, Tensor]] | None = None) -> Model:
    """Networks, conditioner, loss and task, for data with raw condition ``source``.

    ``roles`` builds only those networks (a generator-only export needs no discriminators); the
    conditioner, when the config has one, is always built. ``states`` (role -> saved weights) reach
    the factories that take a ``state`` argument: components that would otherwise read an external
    file to be built (the CLIP conditioner) build from the weights about to be loaded instead.
    """
    states = states or {}
    config, mix = run.config, run.mix
    nets: dict[str, nn.Module] = {}
    fed = source
    if mix.conditioner is not None:
        nets["conditioner"] = create(mix.conditioner, {"source": source, "state": states.get("conditioner")})
        fed = nets["conditioner"].output
    context = {"resolution": config.resolution, "channels": config.channels, "condition": fed, "build": BuildContext(run.registry)}
    for role, resolved in mix.nets.items():
        if roles is None or role in roles:
            # a task may feed a role the other domain's image although the data carry no condition
            role_fed = Condition("image", config.channels) if mix.task_class.role_conditions.get(role) == "image" else fed
            nets[role] = create(resolved, {**context, "condition": role_fed, "state": states.get(role)})
    # rebuilt for sampling (``roles``), the task gets a stand-in: the training loss's plugin may be gone
    loss = create(mix.loss, {}) if mix.loss is not None else UnloadedLoss()
    task = create(mix.task, {"loss": loss, "source": source})
    return Model(config=config, task=task, nets=nets, source=source)
