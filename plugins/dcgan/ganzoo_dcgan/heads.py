"""How a condition enters a convolutional generator or discriminator; shared by every conv family.

* generators: the condition is encoded to a vector and concatenated to the noise (a learned label
  embedding, or the text embedding compressed by a linear layer + LeakyReLU as in Reed et al. 2016);
* discriminators: the projection head of Miyato & Koyama 2018 adds ``<embed(y), phi(x)>`` to the
  real/fake logit, or (Reed et al. 2016, for text) the compressed embedding is replicated over the
  final 4x4 feature map and joined depth-wise before the last convolution.
"""

from __future__ import annotations

from torch import Tensor, nn

from ganzoo.interfaces import Condition

NETWORK_CONDITIONS = ("none", "class", "embedding")


def checked_condition(condition: Condition | str | None, network: str) -> Condition:
    """Parse the builder's condition and refuse kinds a conv network cannot take, naming it."""
    condition = Condition.parse(condition)
    if condition.kind not in NETWORK_CONDITIONS:
        raise ValueError(f"{network} takes condition {', '.join(NETWORK_CONDITIONS)}, not {condition}")
    if condition.kind != "none" and condition.dim <= 0:
        raise ValueError(f"{network}: condition {condition.kind} needs a positive size, got {condition.dim}")
    return condition


def require(condition: Condition, value: Tensor | None) -> Tensor:
    if value is None:
        raise ValueError(f"this network was built for condition {condition} but got none")
    return value


class ConditionEncoder(nn.Module):
    """Condition -> ``[B, features]`` vector: learned label embedding or compressed text embedding."""

    def __init__(self, condition: Condition, features: int) -> None:
        super().__init__()
        self.condition = condition
        if condition.kind == "class":
            self.encode: nn.Module = nn.Embedding(condition.dim, features)
        else:
            self.encode = nn.Sequential(nn.Linear(condition.dim, features), nn.LeakyReLU(0.2, inplace=True))

    def forward(self, value: Tensor | None) -> Tensor:
        value = require(self.condition, value)
        return self.encode(value.long() if self.condition.kind == "class" else value.float())


class ProjectionHead(nn.Module):
    """The conditional term ``<embed(y), phi>`` of the projection discriminator (Miyato & Koyama 2018).

    ``phi`` is the discriminator's pooled feature vector; class labels index an embedding table and
    continuous embeddings are mapped by a linear layer, so both project onto the same features.
    Without a condition the term is zero.
    """

    def __init__(self, condition: Condition, features: int) -> None:
        super().__init__()
        self.condition = condition
        self.embed: nn.Module | None = None
        if condition.kind == "class":
            self.embed = nn.Embedding(condition.dim, features)
        elif condition.kind == "embedding":
            self.embed = nn.Linear(condition.dim, features, bias=False)

    def forward(self, phi: Tensor, value: Tensor | None) -> Tensor:
        if self.embed is None:
            return phi.new_zeros(phi.shape[0])
        value = require(self.condition, value)
        embedded = self.embed(value.long() if self.condition.kind == "class" else value.float())
        return (embedded * phi).sum(dim=1)
