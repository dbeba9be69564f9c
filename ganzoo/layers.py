"""Network pieces and helpers that several families and the core share; plugins may import them
(public API).

Only what is the same in every family that uses it lives here; a family's own blocks stay in its
plugin.
"""

from __future__ import annotations

import contextlib
from typing import Iterable, Iterator

from torch import nn

#: layers whose weights :func:`dcgan_init` draws from N(0, std).
WEIGHTED_LAYERS = (nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)
#: normalisations whose affine scale :func:`dcgan_init` draws from N(1, std).
NORMALISATIONS = (nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm, nn.GroupNorm)


def dcgan_init(module: nn.Module, std: float = 0.02) -> nn.Module:
    """The initialisation of DCGAN (Radford et al. 2015), kept by pix2pix and StackGAN.

    Weights of convolutions, linear and embedding layers ~ N(0, std); scales of affine
    normalisations ~ N(1, std); biases 0. Returns ``module``, initialised in place.
    """
    for layer in module.modules():
        if isinstance(layer, WEIGHTED_LAYERS):
            nn.init.normal_(layer.weight, 0.0, std)
        elif isinstance(layer, NORMALISATIONS) and layer.weight is not None:
            nn.init.normal_(layer.weight, 1.0, std)
        else:
            continue
        if getattr(layer, "bias", None) is not None:
            nn.init.zeros_(layer.bias)
    return module


@contextlib.contextmanager
def evaluating(modules: Iterable[nn.Module]) -> Iterator[None]:
    """Put modules in eval mode for the block, restoring each one's previous mode."""
    modules = list(modules)
    modes = [m.training for m in modules]
    for m in modules:
        m.eval()
    try:
        yield
    finally:
        for m, mode in zip(modules, modes):
            m.train(mode)
