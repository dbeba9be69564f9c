"""The generic tasks: unconditional, class-conditional and text-conditional generation.

A family's own task (pix2pix's ``paired``, UGATIT's ``ugatit``) lives in its plugin and builds on
:class:`ganzoo.interfaces.Task` and the helpers here, as any third party's would.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ganzoo.interfaces import NO_CONDITION, Condition, GenerativeTask, Loss, extra_generator_losses
from ganzoo.registry import component


def r1_penalty(discriminator: nn.Module, real: Tensor, condition: Tensor | None) -> Tensor:
    """R1 gradient penalty (Mescheder et al. 2018): squared gradient norm on real samples."""
    real = real.detach().requires_grad_(True)
    logits = discriminator(real, condition)
    (grad,) = torch.autograd.grad(logits.sum(), real, create_graph=True)
    return grad.square().flatten(1).sum(1).mean()


def with_penalty(loss: Loss, total: Tensor, stats: dict[str, Tensor], discriminator: nn.Module, real: Tensor, fake: Tensor,
                 condition: Tensor | None) -> Tensor:
    """``total`` plus the loss's own discriminator term (:meth:`Loss.penalty`), logged as ``D/penalty``."""
    penalty = loss.penalty(discriminator, real, fake, condition)
    if penalty is None:
        return total
    stats["D/penalty"] = penalty.detach()
    return total + penalty


class AdversarialTask(GenerativeTask):
    """Noise -> image GAN, unconditional or with the dataset's raw condition (a label)."""

    raw_key: str | None = None

    def __init__(self, loss: Loss, source: Condition = NO_CONDITION, r1_gamma: float = 0.0) -> None:
        super().__init__(loss)
        if r1_gamma < 0:
            raise ValueError(f"r1_gamma must be >= 0, got {r1_gamma}")
        self.source = source
        self.r1_gamma = r1_gamma

    def raw(self, batch: dict[str, Any]) -> Any:
        return batch[self.raw_key] if self.raw_key else None

    @staticmethod
    def noise(generator: nn.Module, n: int, device: torch.device, rng: torch.Generator | None = None) -> Tensor:
        return torch.randn(n, generator.latent_dim, device=device, generator=rng)

    def discriminator_terms(self, nets: dict[str, nn.Module], real: Tensor, fake: Tensor, condition: Tensor | None) -> tuple[Tensor, dict[str, Tensor]]:
        D = nets["discriminator"]
        real_logits, fake_logits = D(real, condition), D(fake, condition)
        loss = self.loss.real(real_logits) + self.loss.fake(fake_logits)
        return loss, {"D/real": real_logits.detach().mean(), "D/fake": fake_logits.detach().mean()}

    def phase_loss(self, phase: str, nets: dict[str, nn.Module], batch: dict[str, Any]) -> tuple[Tensor, dict[str, Tensor]]:
        G, real = nets["generator"], batch["image"]
        condition = self.condition(nets, self.raw(batch))
        z = self.noise(G, real.shape[0], real.device)
        if phase == "D":
            with torch.no_grad():
                fake = G(z, condition)
            loss, stats = self.discriminator_terms(nets, real, fake, condition)
            loss = with_penalty(self.loss, loss, stats, nets["discriminator"], real, fake, condition)
            if self.r1_gamma:
                penalty = r1_penalty(nets["discriminator"], real, condition)
                loss = loss + 0.5 * self.r1_gamma * penalty
                stats["D/r1"] = penalty.detach()
            stats["D/loss"] = loss.detach()
            return loss, stats
        fake = G(z, condition)
        loss = self.loss.generator(nets["discriminator"](fake, condition))
        stats = {"G/adv": loss.detach()}
        extra, extra_stats = extra_generator_losses(G)
        if extra is not None:
            loss = loss + extra
            stats.update({f"G/{k}": v for k, v in extra_stats.items()})
        stats["G/loss"] = loss.detach()
        return loss, stats

    def sample_inputs(self, n: int, raw: Any, latent_dim: int, generator: torch.Generator, device: torch.device) -> dict[str, Any]:
        """Noise from ``generator`` and the raw condition (labels or captions) for ``n`` samples."""
        return {"z": torch.randn(n, latent_dim, generator=generator).to(device), "raw": raw}

    def fixed_inputs(self, batch: dict[str, Any], latent_dim: int, generator: torch.Generator) -> dict[str, Any]:
        real = batch["image"]
        return self.sample_inputs(len(real), self.raw(batch), latent_dim, generator, real.device)

    @torch.no_grad()
    def render(self, nets: dict[str, nn.Module], fixed: dict[str, Any]) -> dict[str, Tensor]:
        condition = self.condition(nets, fixed.get("raw"))
        return {"samples": nets["generator"](fixed["z"], condition)}


class ClassConditionalTask(AdversarialTask):
    """Class-conditional GAN: labels go to the networks directly or through a conditioner."""

    condition_kind = "class"
    raw_key = "label"

    def fixed_inputs(self, batch: dict[str, Any], latent_dim: int, generator: torch.Generator) -> dict[str, Any]:
        # one class per row of the sample grid, so each row shows what one label produces
        real = batch["image"]
        columns = max(1, round(len(real) ** 0.5))
        labels = (torch.arange(len(real), device=real.device) // columns) % max(self.source.dim, 1)
        return self.sample_inputs(len(real), labels, latent_dim, generator, real.device)


class TextConditionalTask(AdversarialTask):
    """Text-to-image GAN with the matching-aware discriminator (Reed et al. 2016).

    The discriminator learns three cases: real image with its caption (real), real image with a
    mismatched caption (fake) and generated image with its caption (fake); the two fake terms are
    averaged. Mismatched captions are the batch's captions rolled by one position.
    """

    condition_kind = "text"
    raw_key = "caption"

    def __init__(self, loss: Loss, source: Condition = NO_CONDITION, r1_gamma: float = 0.0, mismatch_weight: float = 0.5) -> None:
        super().__init__(loss, source, r1_gamma)
        if not 0 <= mismatch_weight <= 1:
            raise ValueError(f"mismatch_weight must be in [0, 1], got {mismatch_weight}")
        self.mismatch_weight = mismatch_weight

    def discriminator_terms(self, nets: dict[str, nn.Module], real: Tensor, fake: Tensor, condition: Tensor | None) -> tuple[Tensor, dict[str, Tensor]]:
        assert condition is not None
        D = nets["discriminator"]
        real_logits = D(real, condition)
        fake_logits = D(fake, condition)
        wrong_logits = D(real, condition.roll(1, dims=0))
        w = self.mismatch_weight
        loss = self.loss.real(real_logits) + (1 - w) * self.loss.fake(fake_logits) + w * self.loss.fake(wrong_logits)
        return loss, {
            "D/real": real_logits.detach().mean(),
            "D/fake": fake_logits.detach().mean(),
            "D/wrong": wrong_logits.detach().mean(),
        }


unconditional = component("task", "unconditional")(AdversarialTask)
class_conditional = component("task", "class-conditional")(ClassConditionalTask)
text_conditional = component("task", "text-conditional")(TextConditionalTask)
