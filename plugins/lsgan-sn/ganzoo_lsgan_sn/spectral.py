"""Spectrally normalised discriminators (Miyato et al. 2018).

Spectral normalisation divides each weight by its largest singular value (one power iteration per
forward pass), making every layer 1-Lipschitz; it replaces BatchNorm in the discriminator. The
networks are the dcgan plugin's, rebuilt without BatchNorm and normalised here, so a fix to the
DCGAN blocks reaches both.

The text-to-image LSGAN-SN of the seed work is this discriminator with a text embedding
(``condition=embedding``: the compressed embedding joined at 4x4, matching-aware through the
``text-conditional`` task), the ``dcgan`` generator (text concatenated to the noise) and the
``lsgan`` loss; see the ``lsgan-sn-text`` preset.
"""

from __future__ import annotations

from ganzoo_dcgan.dcgan import PORTS, DCGANDiscriminator, EmbeddingHead
from ganzoo_dcgan.heads import checked_condition
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from ganzoo.interfaces import Condition, Discriminator
from ganzoo.registry import component

NORMALISED_LAYERS = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)


def spectrally_normalised(module: nn.Module) -> nn.Module:
    """Apply spectral normalisation to every convolution, linear and embedding layer, in place."""
    for layer in list(module.modules()):
        if isinstance(layer, NORMALISED_LAYERS):
            spectral_norm(layer)
    return module


@component("discriminator", "dcgan-sn", ports=PORTS)
def dcgan_sn(
    resolution: int = 64,
    channels: int = 3,
    condition: Condition | str | None = None,
    width: int = 64,
    embedding_head: EmbeddingHead = "concat",
    text_features: int = 128,
) -> Discriminator:
    """DCGAN discriminator with spectral normalisation instead of BatchNorm (Miyato et al. 2018)."""
    name = "discriminator 'dcgan-sn'"
    network = DCGANDiscriminator(
        resolution, channels, checked_condition(condition, name), width, False, embedding_head, text_features, network=name
    )
    return spectrally_normalised(network)
