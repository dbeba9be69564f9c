"""Any timm image model as a discriminator: ``--disc timm:<model>`` (e.g. ``timm:resnet18``).

The backbone is created without its classifier (``num_classes=0``), so it returns pooled features
``phi``; a linear real/fake head scores them and, for class or embedding conditions, the projection
head of Miyato & Koyama 2018 adds ``<embed(y), phi>``. Weights start random (ganzoo never
downloads); ``pretrained`` loads them from a local file, which timm adapts to the channel count.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from torch import Tensor, nn

from ganzoo.interfaces import Condition, Discriminator, Ports
from ganzoo.registry import component
from ganzoo_dcgan.heads import NETWORK_CONDITIONS, ProjectionHead, checked_condition


def create_backbone(variant: str, resolution: int, channels: int, pretrained: str | None) -> nn.Module:
    """A feature extractor from timm; unknown models and missing weight files fail in one line.

    Models with a fixed input size (ViTs, Swin) are built for ``resolution``; convolutional ones
    take any size.
    """
    import timm  # here, not at the top: every ganzoo command loads this plugin, few build a timm net

    if not timm.is_model(variant):
        close = difflib.get_close_matches(variant, timm.list_models(), n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise ValueError(f"discriminator 'timm': unknown timm model {variant!r}{hint} (timm.list_models() lists them)")
    options: dict[str, Any] = {"num_classes": 0, "in_chans": channels}
    config = timm.get_pretrained_cfg(variant)
    if config is not None and config.fixed_input_size:
        options["img_size"] = resolution
    if pretrained is None:
        return timm.create_model(variant, pretrained=False, **options)
    weights = Path(pretrained).expanduser()
    if not weights.is_file():
        raise ValueError(
            f"discriminator 'timm': pretrained={pretrained!r} is not a file; pass the path of local "
            f"{variant} weights (.pth or .safetensors), ganzoo does not download them"
        )
    return timm.create_model(variant, pretrained=True, pretrained_cfg_overlay={"file": str(weights)}, **options)


class TimmDiscriminator(Discriminator):
    """Pooled timm features -> real/fake logit (+ projection of the condition)."""

    def __init__(self, variant: str, resolution: int, channels: int, condition: Condition, pretrained: str | None) -> None:
        super().__init__()
        self.variant, self.resolution, self.channels, self.condition = variant, resolution, channels, condition
        self.backbone = create_backbone(variant, resolution, channels, pretrained)
        features = int(self.backbone.num_features)
        self.real_fake = nn.Linear(features, 1)
        self.projection = ProjectionHead(condition, features)

    def forward(self, image: Tensor, condition: Tensor | None = None) -> Tensor:
        phi = self.backbone(image)
        return self.real_fake(phi).squeeze(1) + self.projection(phi, condition)


@component("discriminator", "timm", ports=Ports(conditions=NETWORK_CONDITIONS))
def timm_discriminator(
    variant: str = "resnet18",
    resolution: int = 64,
    channels: int = 3,
    condition: Condition | str | None = None,
    pretrained: str | None = None,
) -> Discriminator:
    """Any timm model (variant) with a real/fake head and a projection head; pretrained = a local weights file."""
    return TimmDiscriminator(variant, resolution, channels, checked_condition(condition, "discriminator 'timm'"), pretrained)
