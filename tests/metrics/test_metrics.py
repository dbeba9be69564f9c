"""Pixel metrics (L1, PSNR, SSIM), FID of translations, and the evaluation of a translator on paired data."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from ganzoo.config import ComponentConfig
from ganzoo.data.base import InMemoryDataset
from ganzoo.images import grid
from ganzoo.interfaces import Condition
from ganzoo.metrics.base import MetricError
from ganzoo.metrics.evaluate import build_suite, evaluate
from ganzoo.plugins import registry


def images(n: int = 4, size: int = 16, seed: int = 0) -> Tensor:
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed)) * 1.6 - 0.8


def score(name: str, output: Tensor, target: Tensor) -> float:
    metric = registry().create("metric", name)
    for half in (slice(0, 2), slice(2, None)):  # accumulates over batches
        metric.update(output[half], target[half])
    return metric.compute()


def test_pixel_metrics_in_unit_range() -> None:
    target = images()
    shifted = target + 0.2  # 0.1 of the [0, 1] range everywhere
    assert score("l1", shifted, target) == pytest.approx(0.1, abs=1e-5)
    assert score("psnr", shifted, target) == pytest.approx(20.0, abs=1e-3)  # MSE 0.01
    assert score("ssim", target, target) == pytest.approx(1.0, abs=1e-5)
    assert score("ssim", images(seed=1), target) < 0.2


def test_pixel_metrics_say_which_way_is_better() -> None:
    better = {name: registry().create("metric", name).higher_is_better for name in ("l1", "psnr", "ssim")}
    assert better == {"l1": False, "psnr": True, "ssim": True}


def test_fid_of_translations_with_a_stand_in_extractor(tiny_host) -> None:
    data = paired(8)
    suite = build_suite(["fid", "l1"], registry(), {"image": ComponentConfig("tiny")})
    inverse = evaluate(lambda source: -source, data, suite)
    assert inverse.scores["fid"] == pytest.approx(0.0, abs=1e-3)  # outputs == targets
    darker = evaluate(lambda source: (-source - 0.5).clamp(-1, 1), data, suite)
    assert darker.scores["fid"] > 0.05 and list(darker.scores) == ["fid", "l1"]
    assert darker.protocol["extractors"]["image"]["name"] == "tiny"
    assert darker.protocol["reference"]["images"] == "the targets of the same pairs"


def test_fid_without_weights_says_how_to_supply_them(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    with pytest.raises(MetricError, match=r"weights-inception-2015-12-05-6726825d\.pth is not in .* downloads are off .*"
                                          r"run `ganzoo weights get inception-fid --from FILE`$"):
        build_suite(["fid"], registry())
    with pytest.raises(MetricError, match="missing.pth does not exist"):
        registry().create("extractor", "inception-fid", weights=str(tmp_path / "missing.pth"))


def paired(n: int = 5, size: int = 16) -> InMemoryDataset:
    sources = (images(n, size, seed=2).add(1).mul(127.5)).to(torch.uint8)
    targets = 255 - sources
    return InMemoryDataset({"source": sources, "image": targets}, resolution=size, layout="paired",
                           condition=Condition("image", 3), name="toy")


def test_evaluate_scores_a_translator_and_keeps_pairs_for_the_grid() -> None:
    data = paired()
    metrics = {name: registry().create("metric", name) for name in ("l1", "psnr")}
    inverse = evaluate(lambda source: -source, data, metrics, batch_size=2, grid_size=3)
    assert inverse.count == 5
    assert inverse.scores["l1"] < 0.003 and inverse.scores["psnr"] > 45  # exact up to uint8 rounding
    assert {k: tuple(v.shape) for k, v in inverse.shown.items()} == {k: (3, 3, 16, 16) for k in ("input", "output", "target")}
    assert inverse.picture().width > grid(inverse.shown).shape[-1]  # a margin for the row labels (input, output, target)
    identity = evaluate(lambda source: source, data, {"l1": registry().create("metric", "l1")})
    assert identity.scores["l1"] > 0.2
    assert inverse.to_dict()["higher_is_better"] == {"l1": False, "psnr": True}


def test_evaluate_crops_data_stored_for_jitter_to_its_resolution() -> None:
    data = paired(size=20)
    data.resolution = 16
    seen = []
    evaluate(lambda source: seen.append(source.shape[-1]) or source, data, {"l1": registry().create("metric", "l1")})
    assert set(seen) == {16}


def test_evaluate_refuses_unpaired_data_and_no_metrics() -> None:
    unpaired = InMemoryDataset({"a": torch.zeros(2, 3, 8, 8, dtype=torch.uint8)}, resolution=8, layout="unpaired", name="toy")
    with pytest.raises(MetricError, match="needs paired data .*layout 'unpaired'"):
        evaluate(lambda s: s, unpaired, {"l1": registry().create("metric", "l1")})
    with pytest.raises(MetricError, match="no metrics"):
        evaluate(lambda s: s, paired(), {})


def test_unpaired_translations_are_compared_with_the_other_domain(tiny_host) -> None:
    a = images(16, 16, seed=3).add(1).mul(127.5).to(torch.uint8)
    data = InMemoryDataset({"a": a, "b": 255 - a}, resolution=16, layout="unpaired", name="toy")
    suite = build_suite(["fid"], registry(), {"image": ComponentConfig("tiny")})
    inverted = evaluate(lambda source: -source, data, suite)
    unchanged = evaluate(lambda source: source, data, suite)
    assert inverted.scores["fid"] < 1e-3 < unchanged.scores["fid"]
    assert inverted.protocol["reference"]["images"] == "b" and set(inverted.shown) == {"input", "output"}
