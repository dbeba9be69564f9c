"""``ganzoo bench`` on the CPU: both modes timed, FLOPs counted, JSON shape, table and notes."""

import json

from click.testing import CliRunner

from ganzoo.cli import cli


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_bench_json_has_both_modes_with_figures(tiny_host, in_tmp):
    result = invoke("bench", "tiny", "--device", "cpu", "--steps", "2", "--batch-size", "4", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["preset"] == "tiny" and report["batch_size"] == 4 and report["precision"] == "fp32"
    assert report["device"].startswith("CPU") and report["gflop_per_step"] > 0
    assert [row["mode"] for row in report["results"]] == ["eager", "fast"]
    for row in report["results"]:
        assert set(row) == {"mode", "graphed", "step_ms", "images_per_s", "tflops", "peak_memory_mib", "note"}
        assert row["step_ms"] > 0 and row["images_per_s"] > 0 and row["tflops"] > 0
        assert row["graphed"] is False and row["peak_memory_mib"] is None  # no CUDA graphs or CUDA memory here
    eager, fast = report["results"]
    assert eager["note"] is None and "runs eagerly" in fast["note"]
    assert not (in_tmp / "runs").exists()  # benchmarking leaves no run folder behind


def test_bench_table_names_the_device_and_the_ratio(tiny_host, in_tmp):
    result = invoke("bench", "tiny-paired", "--device", "cpu", "--steps", "1", "--mode", "eager", "--mode", "fast")
    assert result.exit_code == 0, result.output
    assert "tiny-paired on CPU" in result.output and "fast / eager:" in result.output
    assert "fast: no CUDA graphs on cpu; the static step runs eagerly" in result.output


def test_bench_one_mode_and_a_bad_preset(tiny_host, in_tmp):
    result = invoke("bench", "tiny", "--device", "cpu", "--steps", "1", "--mode", "eager", "--json")
    assert result.exit_code == 0, result.output
    assert [row["mode"] for row in json.loads(result.output)["results"]] == ["eager"]
    result = invoke("bench", "no-such-preset", "--device", "cpu")
    assert result.exit_code == 1 and "no-such-preset" in result.output and "Traceback" not in result.output


def test_bench_of_the_headline_mix_runs_the_static_step_and_counts_its_flops(in_tmp):
    """``ganzoo bench stackgan --disc patchgan-sn --mode fast`` on the CPU: the captured path's code
    (captions prepared once, gathered by index on the device) runs eagerly, with the CPU as the only
    reason it is not replayed from a graph."""
    import pytest

    pytest.importorskip("ganzoo_stackgan")
    pytest.importorskip("ganzoo_pix2pix")
    small = ["--set", "dataset.count=8", "--set", "conditioner.dim=8", "--set", "conditioner.width=4",
             "--set", "nets.generator.base_channels=2", "--set", "nets.discriminator.base_channels=2",
             "--set", "nets.discriminator.n_layers=1"]
    result = invoke("bench", "stackgan", "--disc", "patchgan-sn", "--mode", "fast", "--device", "cpu", "--resolution", "16",
                    "--batch-size", "2", "--steps", "1", "--warmup", "1", "--json", *small)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    (fast,) = report["results"]
    assert report["gflop_per_step"] > 0 and fast["tflops"] > 0
    assert fast["note"] == "no CUDA graphs on cpu; the static step runs eagerly"
