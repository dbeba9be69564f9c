import pytest
import torch

from ganzoo.config import AugmentConfig
from ganzoo.data.augment import centre_crop, crop_and_flip, to_float
from ganzoo.data.base import DataError, InMemoryDataset
from ganzoo.data.shapes import COLOURS, SHAPES, shapes, shapes_paired, shapes_unpaired
from ganzoo.interfaces import Condition


def test_shapes_labels_captions_and_determinism():
    data = shapes.create(resolution=16, count=32, condition="text", seed=5)
    assert data.images["image"].shape == (32, 3, 16, 16) and data.images["image"].dtype == torch.uint8
    assert data.condition == Condition("text") and data.layout == "images"
    item = data[3]
    caption = item["caption"]
    assert any(shape in caption for shape in SHAPES) and any(colour in caption for colour in COLOURS)
    assert SHAPES[item["label"]] in caption
    again = shapes.create(resolution=16, count=32, condition="text", seed=5)
    assert torch.equal(data.images["image"], again.images["image"])
    assert not torch.equal(data.images["image"], shapes.create(resolution=16, count=32, seed=6).images["image"])


def test_captions_rotate_with_the_draw():
    data = shapes.create(resolution=8, count=4, condition="text")
    assert len({data.caption(0, draw) for draw in range(3)}) == 3


def test_shape_colour_matches_caption():
    data = shapes.create(resolution=32, count=16, condition="text")
    for index in range(16):
        image = data.images["image"][index].float()
        colour = data.captions[index][0].split()[1]  # "a red circle on ..."
        centre_colour = torch.tensor(COLOURS[colour], dtype=torch.float32)
        distance = (image.permute(1, 2, 0).reshape(-1, 3) - centre_colour).norm(dim=1)
        assert (distance < 30).float().mean() > 0.03, index  # a visible patch of the caption's colour


def test_paired_and_unpaired_layouts():
    paired = shapes_paired.create(resolution=16, count=8)
    assert paired.layout == "paired" and set(paired.images) == {"source", "image"}
    assert paired.condition == Condition("image", 3)
    silhouette = paired.images["source"][0].float()
    assert set(silhouette.unique().tolist()) >= {0.0, 255.0}
    unpaired = shapes_unpaired.create(resolution=16, count=8, channels=1)
    assert unpaired.layout == "unpaired" and unpaired.images["a"].shape == (8, 1, 16, 16)
    red, blue = unpaired.images["a"].float().mean(), unpaired.images["b"].float().mean()
    assert red != blue


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="conditions none, class or text"):
        shapes.create(resolution=16, count=4, condition="image")
    with pytest.raises(ValueError, match="channels must be 1 or 3"):
        shapes.create(resolution=16, count=4, channels=2)
    with pytest.raises(DataError, match="no images"):
        InMemoryDataset({"image": torch.zeros(0, 3, 8, 8, dtype=torch.uint8)}, resolution=8)


def test_crop_and_flip_keep_pairs_aligned():
    data = shapes_paired.create(resolution=16, load_size=20, count=8)
    batch = to_float(data.batch(torch.arange(8)), torch.device("cpu"))
    batch["source"] = batch["image"].clone()  # identical keys must stay identical after augmenting
    out = crop_and_flip(batch, AugmentConfig(flip=True, jitter=20), 16, torch.Generator().manual_seed(0))
    assert out["image"].shape == (8, 3, 16, 16)
    assert torch.equal(out["image"], out["source"])
    assert out["image"].min() >= -1 and out["image"].max() <= 1
    centred = centre_crop(batch, 16)
    assert torch.equal(centred["image"], batch["image"][..., 2:18, 2:18])
