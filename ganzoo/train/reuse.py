"""Parts of a run's networks taken from other runs (``init_from``) or held fixed (``freeze``)."""

from __future__ import annotations

from pathlib import Path

from torch import Tensor, nn

from ganzoo.config import TrainConfig
from ganzoo.runs.checkpoint import load_checkpoint
from ganzoo.train.errors import TrainingError


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


def reuse_and_freeze(nets: dict[str, nn.Module], config: TrainConfig) -> list[nn.Module]:
    """Load ``init_from`` weights, stop gradients of ``freeze`` parts (and of a fixed conditioner);
    returns the frozen modules, which also stay in eval mode while the run trains."""
    frozen = [submodule(nets, path, "freeze") for path in config.freeze]
    for target, spec in config.init_from.items():
        module = submodule(nets, target, "init_from")
        try:
            module.load_state_dict(load_run_weights(spec))
        except RuntimeError as error:
            raise TrainingError(f"init_from {target} <- {spec}: weights do not fit ({str(error).splitlines()[0]})") from None
    for module in frozen:
        module.requires_grad_(False)
    if nets.get("conditioner") is not None and not nets["conditioner"].trainable:
        nets["conditioner"].requires_grad_(False)
    return frozen
