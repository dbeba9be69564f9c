"""Dataset components for the catalog's datasets: each loads the data home's copy by default.

They are thin variants of the general loaders (``paired``, ``unpaired``, ``captions-reed``) with
the layout of each dataset as distributed, and ``root`` defaulting to the data home (``ganzoo data get NAME``). ``--data PATH`` points one at a copy elsewhere.
"""

from __future__ import annotations

from ganzoo.data.captions import captions_reed
from ganzoo.data.catalog import CUB200_REED, FACADES, FLOWERS102_REED, HORSE2ZEBRA, home_copy
from ganzoo.data.paired import paired
from ganzoo.data.unpaired import unpaired

facades = home_copy(paired, "facades", FACADES,
                    "CMP facades (pix2pix archive): photo|label pairs; BtoA translates label maps into photos.",
                    layout="aligned", direction="BtoA")
horse2zebra = home_copy(unpaired, "horse2zebra", HORSE2ZEBRA, "CycleGAN horse2zebra: horses (A) and zebras (B), unpaired.",
                        layout="folders")
cub200_reed = home_copy(captions_reed, "cub200-reed", CUB200_REED,
                        "CUB-200-2011 birds with Reed et al.'s captions; ``split`` needs StackGAN's file lists (part embeddings).",
                        images="images", text="text_c10")
flowers102_reed = home_copy(captions_reed, "flowers102-reed", FLOWERS102_REED,
                            "Oxford-102 flowers with Reed et al.'s captions; ``split`` needs StackGAN's file lists (part embeddings).",
                            images="jpg", text="text_c10")
