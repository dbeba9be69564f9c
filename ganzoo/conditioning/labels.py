"""The ``class`` conditioner: a learned embedding per class label."""

from __future__ import annotations

from torch import Tensor, nn

from ganzoo.conditioning.base import ConditionerError
from ganzoo.interfaces import Condition, Conditioner


class ClassEmbedding(Conditioner):
    """``LongTensor[B]`` labels -> ``[B, dim]`` embeddings, so embedding-conditioned networks
    (StackGAN's conditioning augmentation, a projection discriminator) can take class labels."""

    def __init__(self, num_classes: int, dim: int = 128) -> None:
        super().__init__()
        if num_classes < 1 or dim < 1:
            raise ConditionerError(f"class embedding needs positive num_classes and dim, got {num_classes} and {dim}")
        self.output = Condition("embedding", dim)
        self.table = nn.Embedding(num_classes, dim)

    def forward(self, raw: Tensor) -> Tensor:
        return self.table(raw.to(self.table.weight.device))
