"""The UGATIT task: two generators (A->B, B->A) and four discriminators trained together.

Per domain X in {A, B}, a global and a local discriminator judge real X against the other
generator's translations into X, both on their patch logits and on their CAM logits (LSGAN in the
paper; any registered loss works). The generators add cycle and identity L1 and a CAM
cross-entropy: each generator's own CAM classifier learns to tell its source domain (1) from its
target domain (0), which is what makes its attention point at the regions that differ.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganzoo.interfaces import ExtraOutput, Loss, Phase, Translation, TranslationTask
from ganzoo.registry import component
from ganzoo_ugatit.nets import heatmap_image

GENERATORS = ("gen_ab", "gen_ba")
DISCRIMINATORS = ("disc_ga", "disc_la", "disc_gb", "disc_lb")
#: target domain -> (generator role, source domain): a domain's discriminators judge these as fake.
TRANSLATIONS = {"b": ("gen_ab", "a"), "a": ("gen_ba", "b")}
#: ``--direction`` of ``ganzoo translate`` -> the generator that translates that way.
DIRECTION_ROLES = {"AtoB": "gen_ab", "BtoA": "gen_ba"}


class UGATITTask(TranslationTask):
    """UGATIT (Kim et al. 2020): two CAM generators, four CAM discriminators, cycle/identity/CAM losses.

    Reads unpaired batches with ``a`` and ``b`` images; the weights are the paper's by default.
    """

    roles: ClassVar[dict[str, str]] = {
        **{role: "generator" for role in GENERATORS},
        **{role: "discriminator" for role in DISCRIMINATORS},
    }
    phases: ClassVar[tuple[Phase, ...]] = (Phase("D", DISCRIMINATORS), Phase("G", GENERATORS))
    layout: ClassVar[str] = "unpaired"
    #: the generators translate the other domain's image; the discriminators take no condition.
    role_conditions: ClassVar[dict[str, str]] = {role: "image" for role in GENERATORS}
    #: every network must declare the ``cam`` feature: the task reads CAM logits and heat-maps.
    requires: ClassVar[dict[str, frozenset[str]]] = {role: frozenset({"cam"}) for role in (*GENERATORS, *DISCRIMINATORS)}
    extras: ClassVar[tuple[ExtraOutput, ...]] = (
        ExtraOutput("heatmap", "where the generator's attention (CAM) looked, brightest where the domains differ most"),
    )

    def __init__(
        self,
        loss: Loss,
        adv_weight: float = 1.0,
        cycle_weight: float = 10.0,
        identity_weight: float = 10.0,
        cam_weight: float = 1000.0,
    ) -> None:
        super().__init__(loss)
        for name, value in (("adv_weight", adv_weight), ("cycle_weight", cycle_weight),
                            ("identity_weight", identity_weight), ("cam_weight", cam_weight)):
            if value < 0:
                raise ValueError(f"ugatit task: {name} must be >= 0, got {value}")
        self.adv_weight = adv_weight
        self.cycle_weight = cycle_weight
        self.identity_weight = identity_weight
        self.cam_weight = cam_weight

    def phase_loss(self, phase: str, nets: dict[str, nn.Module], batch: dict[str, Any]) -> tuple[Tensor, dict[str, Tensor]]:
        if phase == "D":
            return self._discriminator_loss(nets, batch)
        if phase == "G":
            return self._generator_loss(nets, batch)
        raise ValueError(f"ugatit task has no phase {phase!r}; valid: D, G")

    def _discriminator_loss(self, nets: dict[str, nn.Module], batch: dict[str, Any]) -> tuple[Tensor, dict[str, Tensor]]:
        with torch.no_grad():
            fakes = {target: nets[role](None, batch[source]) for target, (role, source) in TRANSLATIONS.items()}
        total = batch["a"].new_zeros(())
        stats: dict[str, Tensor] = {}
        for domain, fake in fakes.items():
            for scale in ("g", "l"):
                disc = nets[f"disc_{scale}{domain}"]
                real_out, fake_out = disc.forward_with_cam(batch[domain]), disc.forward_with_cam(fake)
                term = (
                    self.loss.real(real_out.output) + self.loss.fake(fake_out.output)
                    + self.loss.real(real_out.cam_logit) + self.loss.fake(fake_out.cam_logit)
                )
                stats[f"D/{scale}{domain}"] = term.detach()
                total = total + term
        total = self.adv_weight * total
        stats["D/loss"] = total.detach()
        return total, stats

    def _generator_loss(self, nets: dict[str, nn.Module], batch: dict[str, Any]) -> tuple[Tensor, dict[str, Tensor]]:
        real_a, real_b = batch["a"], batch["b"]
        gen_ab, gen_ba = nets["gen_ab"], nets["gen_ba"]
        a_to_b, b_to_a = gen_ab.forward_with_cam(real_a), gen_ba.forward_with_cam(real_b)
        a_to_a, b_to_b = gen_ba.forward_with_cam(real_a), gen_ab.forward_with_cam(real_b)
        fakes = {"a": b_to_a.output, "b": a_to_b.output}

        adversarial = real_a.new_zeros(())
        for domain, fake in fakes.items():
            for scale in ("g", "l"):
                out = nets[f"disc_{scale}{domain}"].forward_with_cam(fake)
                adversarial = adversarial + self.loss.generator(out.output) + self.loss.generator(out.cam_logit)
        cycle = F.l1_loss(gen_ba(None, a_to_b.output), real_a) + F.l1_loss(gen_ab(None, b_to_a.output), real_b)
        identity = F.l1_loss(a_to_a.output, real_a) + F.l1_loss(b_to_b.output, real_b)
        # Each generator's CAM says "this input is from my source domain" (1) or not (0).
        cam = sum(
            _bce(source.cam_logit, 1.0) + _bce(target.cam_logit, 0.0)
            for source, target in ((a_to_b, b_to_b), (b_to_a, a_to_a))
        )
        total = (
            self.adv_weight * adversarial
            + self.cycle_weight * cycle
            + self.identity_weight * identity
            + self.cam_weight * cam
        )
        stats = {"loss": total, "adv": adversarial, "cycle": cycle, "identity": identity, "cam": cam}
        return total, {f"G/{name}": value.detach() for name, value in stats.items()}

    def after_step(self, phase: str, nets: dict[str, nn.Module]) -> None:
        """Clip every AdaLIN/LIN ``rho`` to [0, 1] after each generator update (as the paper does).

        Generators without ``clip_rho`` (another ``cam`` family with no AdaLIN) are left alone.
        """
        if phase == "G":
            for role in GENERATORS:
                clip_rho = getattr(nets[role], "clip_rho", None)
                if clip_rho is not None:
                    clip_rho()

    def fixed_inputs(self, batch: dict[str, Any], latent_dim: int, generator: torch.Generator) -> dict[str, Any]:
        return {"a": batch["a"], "b": batch["b"]}

    @torch.no_grad()
    def render(self, nets: dict[str, nn.Module], fixed: dict[str, Any]) -> dict[str, Tensor]:
        """The training grid from ``a``/``b``: A, A->B, its heat-map, B, B->A, its heat-map."""
        columns: dict[str, Tensor] = {}
        for target, (role, source) in TRANSLATIONS.items():
            image = fixed[source]
            out = nets[role].forward_with_cam(image)
            columns[source] = image
            columns[f"{source}_to_{target}"] = out.output
            columns[f"{source}_heatmap"] = heatmap_image(out.heatmap, image.shape[-2:], image.shape[1])
        return columns

    @torch.no_grad()
    def translate(self, nets: dict[str, nn.Module], source: Tensor, direction: str | None = None) -> Translation:
        """``source`` images of one domain into the other (``AtoB`` unless told), with the heat-map."""
        direction = direction or "AtoB"
        if direction not in DIRECTION_ROLES:
            raise ValueError(f"ugatit translates AtoB or BtoA, not direction {direction!r}")
        out = nets[DIRECTION_ROLES[direction]].forward_with_cam(source)
        return Translation(out.output, {"heatmap": heatmap_image(out.heatmap, source.shape[-2:], source.shape[1])})


def _bce(logits: Tensor, target: float) -> Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


ugatit = component("task", "ugatit")(UGATITTask)
