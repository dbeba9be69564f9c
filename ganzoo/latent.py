"""Latent-space tools for noise-driven generators: interpolation and the truncation trick."""

from __future__ import annotations

import torch
from torch import Tensor

from ganzoo.errors import GanzooError

#: the smallest truncation threshold: a draw lands within 0.01 of zero once in ~125 tries, so even
#: millions of entries are drawn in a few thousand rounds; smaller ones could take forever.
MIN_TRUNCATION = 0.01
#: the most rounds of redrawing (a bound the threshold above never reaches in practice).
MAX_REDRAWS = 100_000


def slerp(start: Tensor, end: Tensor, t: Tensor) -> Tensor:
    """Spherical interpolation from ``start`` to ``end`` (``[1, D]`` each) at fractions ``t`` (``[F]``).

    Gaussian noise in many dimensions lies near a sphere; the straight line between two points
    passes through the thinly populated inside (norms shrink by up to 1/sqrt(2)), where the
    generator has seen no inputs. Following the great circle keeps the norm (White 2016).
    """
    t = t.to(start).view(-1, 1)
    cosine = (start / start.norm(dim=-1, keepdim=True) * end / end.norm(dim=-1, keepdim=True)).sum(-1, keepdim=True)
    omega = torch.arccos(cosine.clamp(-1.0, 1.0))
    if float(torch.sin(omega)) < 1e-6:  # (anti)parallel: the circle is not defined, the line is fine
        return torch.lerp(start, end, t)
    return (torch.sin((1 - t) * omega) * start + torch.sin(t * omega) * end) / torch.sin(omega)


def truncate(noise: Tensor, psi: float, generator: torch.Generator) -> Tensor:
    """The truncation trick as BigGAN defines it (Brock et al. 2019): every entry of the Gaussian
    noise whose magnitude exceeds ``psi`` is drawn again until none does, trading variety for
    fidelity (smaller ``psi``: more typical images). Redraws come from ``generator``, so a seed
    still gives the same images."""
    if not psi >= MIN_TRUNCATION:
        raise GanzooError(f"--truncation {psi}: the threshold must be at least {MIN_TRUNCATION} (e.g. 0.5; larger = more variety)")
    noise = noise.clone()
    outside = noise.abs() > psi
    for _ in range(MAX_REDRAWS):
        if not outside.any():
            return noise
        noise[outside] = torch.randn(int(outside.sum()), generator=generator).to(noise)
        outside = noise.abs() > psi
    raise GanzooError(f"--truncation {psi}: {int(outside.sum())} noise entries still beyond it after {MAX_REDRAWS} redraws; "
                      "use a larger threshold")
