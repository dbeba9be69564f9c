"""UGATIT's facades set: the aligned pix2pix facades as two unpaired domains.

Photos (the left halves) are domain A and label maps (the right halves) domain B; the core's
``unpaired`` loader shuffles each domain with its own permutation, so that position ``i`` of ``a``
and ``b`` are unrelated. It reads the same data home copy as ``facades`` (``ganzoo data get facades``).
"""

from __future__ import annotations

from ganzoo.data.catalog import FACADES
from ganzoo.data.home import home_copy
from ganzoo.data.unpaired import unpaired

facades_unpaired = home_copy(unpaired, "facades-unpaired", FACADES,
                             "CMP facades as unpaired domains: photos (A) and label maps (B) of the pix2pix archive.",
                             layout="aligned")
