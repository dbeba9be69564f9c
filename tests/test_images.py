"""Sample grids: layout, and labels saying what conditioned each row or cell."""

import numpy as np
import torch

from ganzoo.images import grid, labelled_grid, layout, sample_labels, to_pil


def batch(n, channels=3, size=8, value=0.0):
    return torch.full((n, channels, size, size), value)


def dark_pixels(picture, box):
    return int((np.asarray(picture.convert("L").crop(box)) < 128).sum())


def test_unlabelled_grid_is_the_plain_grid():
    images = {"samples": torch.rand(9, 3, 8, 8) * 2 - 1}
    picture = labelled_grid(images)
    assert np.array_equal(np.asarray(picture), np.asarray(to_pil(grid(images)).convert("RGB")))


def test_class_rows_are_named_in_a_margin_beside_the_unchanged_grid():
    images = {"samples": batch(16, value=1.0)}  # white tiles: any dark pixel is a label
    labels = [name for name in ("circle", "square", "triangle", "cross") for _ in range(4)]
    picture = labelled_grid(images, labels=labels)
    plain = to_pil(grid(images)).convert("RGB")
    margin = picture.width - plain.width
    assert margin > 20 and picture.height == plain.height
    assert np.array_equal(np.asarray(picture)[:, margin:], np.asarray(plain))
    cell = (plain.height - 2) // 4
    for row in range(4):  # each row's band of the margin holds its label's text
        assert dark_pixels(picture, (0, 2 + row * cell, margin, 2 + (row + 1) * cell)) > 10
    longer = labelled_grid(images, labels=[("a-very-long-class-name" if l == "triangle" else l) for l in labels])
    assert longer.width > picture.width


def test_captions_number_the_cells_and_are_listed_under_the_grid():
    images = {"samples": batch(4, value=1.0)}
    captions = ["a red circle", "a blue square", "a green cross", "a red triangle"]
    picture = labelled_grid(images, labels=captions)
    plain = to_pil(grid(images))
    assert picture.height > plain.height + 4 * 8  # one legend line per caption
    assert dark_pixels(picture, (0, 0, plain.width, plain.height)) > 0  # the numbers on the cells
    assert dark_pixels(picture, (0, plain.height, picture.width, picture.height)) > 40


def test_translation_rows_are_named_input_output_target():
    images = {"input": batch(4), "output": batch(4), "target": batch(4)}
    tiles, columns, rows = layout(images)
    assert columns == 4 and [row.kind for row in rows] == ["input", "output", "target"]
    picture = labelled_grid(images)
    assert picture.width > to_pil(grid(images)).width


def test_sample_labels_name_classes_and_keep_captions():
    assert sample_labels(torch.tensor([0, 2, 5]), ["circle", "square", "cross"]) == ["circle", "cross", "class 5"]
    assert sample_labels(["two dogs", "a cat"]) == ["two dogs", "a cat"]
    assert sample_labels(None) is None
    assert sample_labels(torch.randn(3, 4)) is None  # embeddings are not labels


def test_captions_of_several_outputs_are_listed_once_per_sample():
    captions = ["a red circle", "a blue square", "a green cross"]
    one = labelled_grid({"samples": batch(3, value=1.0)}, columns=3, labels=captions)
    two = labelled_grid({"stage1": batch(3, value=1.0), "stage2": batch(3, value=1.0)}, columns=3, labels=captions)
    legend = one.height - to_pil(grid({"samples": batch(3)}, columns=3)).height
    assert two.height - to_pil(grid({"stage1": batch(3), "stage2": batch(3)}, columns=3)).height == legend
