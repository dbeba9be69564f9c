import json

from click.testing import CliRunner
from PIL import Image

from ganzoo.cli import cli


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_train_then_sample_then_resume(tiny_host, in_tmp):
    result = invoke("train", "tiny-class", "--device", "cpu", "--quiet", "--out", "run", "--steps", "4")
    assert result.exit_code == 0, result.output
    assert "run folder: run" in result.output and "checkpoint: run/checkpoint.pt" in result.output
    result = invoke("sample", "run", "-n", "8", "-o", "grid.png", "--class", "2", "--device", "cpu")
    assert result.exit_code == 0, result.output
    assert Image.open(in_tmp / "grid.png").size[0] > 16
    result = invoke("train", "--resume", "run", "--steps", "6", "--quiet")
    assert result.exit_code == 0, result.output
    lines = (in_tmp / "run" / "metrics.jsonl").read_text().splitlines()
    assert json.loads(lines[-1])["step"] == 6


def test_default_run_folder_is_new_under_runs(tiny_host, in_tmp):
    for _ in range(2):
        assert invoke("train", "tiny", "--device", "cpu", "--quiet", "--steps", "1").exit_code == 0
    assert sorted(p.name for p in (in_tmp / "runs").iterdir()) == ["tiny-000", "tiny-001"]


def test_existing_run_is_not_overwritten(tiny_host, in_tmp):
    assert invoke("train", "tiny", "--quiet", "--out", "run", "--steps", "1").exit_code == 0
    before = (in_tmp / "run" / "checkpoint.pt").read_bytes()
    result = invoke("train", "tiny", "--quiet", "--out", "run", "--steps", "1")
    assert result.exit_code == 1 and "--resume run" in result.output
    assert (in_tmp / "run" / "checkpoint.pt").read_bytes() == before


def test_dry_run_prints_config_with_mixed_components(tiny_host, in_tmp):
    result = invoke("train", "tiny", "--dry-run", "--loss", "tiny-bce", "--set", "nets.generator.width=4")
    assert result.exit_code == 0, result.output
    config = json.loads(result.output[: result.output.rindex("}") + 1])
    assert config["nets"]["generator"] == {"name": "tiny-gen", "width": 4}


def test_bad_flags_get_one_line_errors(tiny_host, in_tmp):
    cases = [
        (["tiny", "--gen", "tiny-gne"], "Did you mean 'tiny-gen'"),
        (["tiny", "--device", "cuda:7"], "--device"),
        (["tiny", "--device", "tpu"], "--device 'tpu'"),
        (["tiny", "--set", "nonsense"], "is not KEY=VALUE"),
        (["tiny", "--set", "stepz=3"], "unknown key 'stepz'"),
        (["tiny-paired", "--gen", "tiny-gen"], "generator 'tiny-gen' accepts"),
        (["nope"], "unknown preset 'nope'"),
        (["--resume", "."], "not a run folder"),
    ]
    for args, message in cases:
        result = invoke("train", *args, "--quiet")
        assert result.exit_code != 0, args
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output


def test_sample_refuses_wrong_conditions(tiny_host, in_tmp):
    assert invoke("train", "tiny", "--quiet", "--out", "run", "--steps", "1").exit_code == 0
    result = invoke("sample", "run", "--prompt", "a red circle")
    assert result.exit_code == 1 and "unconditional" in result.output


def test_init_from_flag_and_steps_over_preset_epochs(tiny_host, in_tmp):
    assert invoke("train", "tiny", "--quiet", "--out", "first", "--steps", "1").exit_code == 0
    result = invoke("train", "tiny", "--dry-run", "--init-from", "generator=first:generator", "--set", "epochs=3", "--steps", "2")
    config = json.loads(result.output[: result.output.rindex("}") + 1])
    assert config["init_from"] == {"generator": "first:generator"}
    assert config["steps"] == 2 and config["epochs"] == 3  # an explicit --set wins over the --steps reset
    result = invoke("train", "tiny", "--dry-run", "--init-from", "nonsense")
    assert result.exit_code == 2 and "TARGET=RUN[:ROLE]" in result.output


def test_data_path_picks_the_real_loader_of_the_task(tiny_host, in_tmp):
    from ganzoo_pix2pix.task import PairedTask

    from ganzoo.cli.flags import data_overrides
    from ganzoo.tasks import AdversarialTask, TextConditionalTask

    registry = tiny_host.registry
    (in_tmp / "captions.jsonl").write_text("")
    assert data_overrides(in_tmp, "shapes", AdversarialTask, registry) == {"dataset.name": "image-folder", "dataset.root": str(in_tmp)}
    assert data_overrides(in_tmp, "shapes-paired", PairedTask, registry)["dataset.name"] == "aligned"
    assert data_overrides(in_tmp / "captions.jsonl", "shapes", TextConditionalTask, registry)["dataset.manifest"].endswith("captions.jsonl")
    assert data_overrides(in_tmp, "shapes", TextConditionalTask, registry)["dataset.name"] == "captions-files"
    assert data_overrides(in_tmp, "image-folder", AdversarialTask, registry) == {"dataset.root": str(in_tmp)}
