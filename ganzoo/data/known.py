"""Dataset components for the catalog's datasets: each loads the data home's copy by default.

They are thin variants of the general loaders (``paired``, ``unpaired``) with
the layout of each dataset as distributed, and ``root`` defaulting to the data home (``ganzoo data get NAME``). ``--data PATH`` points one at a copy elsewhere.
"""

from __future__ import annotations

from ganzoo.data.catalog import FACADES, HORSE2ZEBRA
from ganzoo.data.home import home_copy
from ganzoo.data.paired import paired
from ganzoo.data.unpaired import unpaired

facades = home_copy(paired, "facades", FACADES,
                    "CMP facades (pix2pix archive): photo|label pairs; BtoA translates label maps into photos.",
                    layout="aligned", direction="BtoA")
horse2zebra = home_copy(unpaired, "horse2zebra", HORSE2ZEBRA, "CycleGAN horse2zebra: horses (A) and zebras (B), unpaired.",
                        layout="folders")
