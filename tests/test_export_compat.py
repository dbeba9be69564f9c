"""Exports written by ganzoo 0.1.0 (before the layered core) load and give the same outputs.

``tests/fixtures/exports-0.1.0`` holds five tiny exports made with main at 655976f (unconditional
and class DCGAN, StackGAN with a learned text encoder, pix2pix, UGATIT) and ``expected.safetensors``,
what each produced then for fixed inputs. A change that breaks old exports fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import ganzoo
from ganzoo import plugins
from ganzoo.errors import GanzooError

FIXTURES = Path(__file__).parent / "fixtures" / "exports-0.1.0"
EXPECTED = load_file(str(FIXTURES / "expected.safetensors"))


def outputs(name: str) -> dict[str, torch.Tensor]:
    """What the fixture export ``name`` gives now, for the inputs used when it was written."""
    model = ganzoo.load(FIXTURES / f"{name}.safetensors")
    if name in ("pix2pix", "ugatit"):
        source = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
        torch.manual_seed(5)  # pix2pix keeps dropout on at test time, as in the paper
        result = model.translate(source)
        return {"input": source, "output": result.output, **result.extras}  # 0.1.0 returned this dict
    if name == "stackgan":
        return model.sample(2, prompts=["a red circle", "a blue square"], seed=3)
    if name == "dcgan-class":
        return model.sample(2, classes=[0, 1], seed=3)
    return model.sample(2, seed=3)


@pytest.mark.parametrize("name", ["dcgan", "dcgan-class", "stackgan", "pix2pix", "ugatit"])
def test_old_export_loads_and_gives_the_same_outputs(name: str) -> None:
    expected = {key.partition(".")[2]: value for key, value in EXPECTED.items() if key.partition(".")[0] == name}
    got = outputs(name)
    assert set(expected) <= set(got)
    for key, value in expected.items():
        torch.testing.assert_close(got[key], value, rtol=0, atol=1e-6, msg=f"{name}: output {key!r} changed")


def test_an_old_export_of_a_task_that_left_the_core_asks_for_its_plugin() -> None:
    """pix2pix's ``paired`` task was the core's in 0.1.0; without the pix2pix plugin the old export
    names ganzoo-pix2pix (which now provides it) rather than asking to upgrade ganzoo."""
    plugins.reset(plugins.PluginHost(autoload=False))
    try:
        with pytest.raises(GanzooError, match=r"needs generator 'unet', task 'paired' from ganzoo-pix2pix 0\.1\.0, "
                           r"which is not installed: pip install ganzoo-pix2pix$"):
            ganzoo.load(FIXTURES / "pix2pix.safetensors")
    finally:
        plugins.reset(None)
