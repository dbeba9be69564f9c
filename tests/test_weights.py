"""Model weights on first use, through the one download path: a loopback server stands in for the
publisher, and the caches are the test's own. Checked: the digest before the file takes its name,
resume, progress, offline (no connection at all), network failures as one line, ``--from FILE``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from ganzoo import weights
from ganzoo.cli import cli
from ganzoo.fetch import OFFLINE_ENV, DownloadStopped, FetchError
from ganzoo.metrics import extractors
from ganzoo.registry import Registry
from tests.data.loopback import LoopbackServer, ProgressRecorder, closed_port_url

BODY = b"not really an Inception" * 1000


def entry(url: str, folder: Path, digest: str | None = None) -> weights.KnownWeights:
    return weights.KnownWeights("toy-net", "a toy network", url, digest or hashlib.sha256(BODY).hexdigest()[:8], "the test",
                                folder, "the test")


@pytest.fixture
def server(monkeypatch):
    monkeypatch.delenv(OFFLINE_ENV)
    with LoopbackServer() as running:
        running.served.files["/w/toy-net-1234.pth"] = BODY
        yield running


def test_the_published_addresses_and_caches_are_those_of_the_libraries(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    inception = weights.inception_fid()
    assert inception.path == tmp_path / "hub" / "checkpoints" / "weights-inception-2015-12-05-6726825d.pth"
    assert inception.sha256 == "6726825d"
    fidelity = pytest.importorskip("torch_fidelity.feature_extractor_inceptionv3")
    assert inception.url == fidelity.URL_INCEPTION_V3
    clip = weights.clip_weights("ViT-B/32")
    assert clip.name == "clip-vit-b-32" and clip.path == Path("~/.cache/clip/ViT-B-32.pt").expanduser()
    assert len(clip.sha256) == 64 and f"/{clip.sha256}/ViT-B-32.pt" in clip.url
    assert {"inception-fid", "clip-vit-b-32", "clip-vit-l-14-336px"} <= set(weights.known())


def test_first_use_downloads_with_progress_checks_and_then_reuses(server, tmp_path):
    known = entry(server.url("/w/toy-net-1234.pth"), tmp_path / "cache")
    recorder = ProgressRecorder()
    path = weights.ensure(known, recorder)
    assert path == tmp_path / "cache" / "toy-net-1234.pth" and path.read_bytes() == BODY
    assert recorder.calls[0] == ("start", ".toy-net-1234.pth.unverified", len(BODY), 0) and recorder.calls[-1] == ("stop",)
    assert sorted(p.name for p in path.parent.iterdir()) == ["toy-net-1234.pth"]
    requests = len(server.served.ranges)
    assert weights.ensure(known) == path and len(server.served.ranges) == requests  # already there: no request


def test_an_interrupted_download_resumes(server, tmp_path):
    server.served.cut_after = 5000
    known = entry(server.url("/w/toy-net-1234.pth"), tmp_path / "cache")
    with pytest.raises(DownloadStopped, match="run the same command again to continue"):
        weights.ensure(known, ProgressRecorder())
    assert weights.ensure(known, ProgressRecorder()).read_bytes() == BODY
    assert server.served.ranges == [None, "bytes=5000-"]


def test_a_wrong_digest_is_refused_and_nothing_is_cached(server, tmp_path):
    known = entry(server.url("/w/toy-net-1234.pth"), tmp_path / "cache", digest="deadbeef")
    with pytest.raises(FetchError, match=r"sha256 \w+ is not the published deadbeef \(the test\); refused"):
        weights.ensure(known, ProgressRecorder())
    assert list((tmp_path / "cache").iterdir()) == []


def test_offline_never_connects_and_names_the_way_out(server, tmp_path, monkeypatch):
    monkeypatch.setenv(OFFLINE_ENV, "1")
    known = entry(server.url("/w/toy-net-1234.pth"), tmp_path / "cache")
    with pytest.raises(FetchError) as error:
        weights.ensure(known)
    assert "downloads are off" in str(error.value) and str(error.value).endswith("run `ganzoo weights get toy-net --from FILE`")
    assert server.served.ranges == []


def test_a_network_failure_is_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv(OFFLINE_ENV)
    with pytest.raises(FetchError, match=r"^cannot download .*127\.0\.0\.1.*run `ganzoo weights get toy-net --from FILE`$"):
        weights.ensure(entry(closed_port_url("/w/toy-net-1234.pth"), tmp_path / "cache"), ProgressRecorder())


@pytest.fixture
def toy_inception(tmp_path, monkeypatch) -> weights.KnownWeights:
    """inception-fid published as BODY at an address where nothing listens, cached under tmp_path."""
    known = weights.KnownWeights("inception-fid", "toy", closed_port_url("/weights-inception-1234.pth"),
                                 hashlib.sha256(BODY).hexdigest(), "the test", tmp_path / "hub" / "checkpoints", "the test")
    monkeypatch.setattr(weights, "inception_fid", lambda: known)
    return known


def test_cli_get_from_a_file_checks_it_and_list_shows_it(toy_inception, tmp_path):
    runner = CliRunner()
    listed = runner.invoke(cli, ["weights", "list", "--json"])
    assert [row["present"] for row in json.loads(listed.output) if row["name"] == "inception-fid"] == [False]
    wrong = tmp_path / "wrong.pth"
    wrong.write_bytes(b"something else")
    refused = runner.invoke(cli, ["weights", "get", "inception-fid", "--from", str(wrong)])
    assert refused.exit_code == 1 and "refused" in refused.output and not toy_inception.path.exists()
    mine = tmp_path / "downloaded.pth"
    mine.write_bytes(BODY)
    result = runner.invoke(cli, ["--offline", "weights", "get", "inception-fid", "--from", str(mine)])
    assert result.exit_code == 0, result.output
    assert toy_inception.path.read_bytes() == BODY
    assert "already in" in runner.invoke(cli, ["weights", "get", "inception-fid"]).output
    assert "present" in runner.invoke(cli, ["weights", "list"]).output


def test_cli_offline_flag_and_network_failures_are_one_line(toy_inception, monkeypatch):
    monkeypatch.delenv(OFFLINE_ENV)
    assert f"(as {OFFLINE_ENV}=1)" in CliRunner().invoke(cli, ["--help"]).output
    for args in (["--offline", "weights", "get", "inception-fid"], ["weights", "get", "inception-fid"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1 and "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
        assert "`ganzoo weights get inception-fid --from FILE`" in result.output


def test_the_fid_extractor_takes_the_cached_file_with_no_flag(toy_inception, monkeypatch):
    toy_inception.path.parent.mkdir(parents=True)
    toy_inception.path.write_bytes(BODY)
    built = []
    monkeypatch.setattr(extractors, "TorchFidelityInception", lambda path: built.append(path) or "net")
    registry = Registry()
    registry.add(extractors.inception_fid)
    assert registry.create("extractor", "inception-fid") == "net" and built == [toy_inception.path]


def test_a_clip_conditioner_download_offline_is_one_line(tmp_path):
    from ganzoo.conditioning.clip import load_clip_model

    with pytest.raises(FetchError, match=r"^clip-vit-b-32: ViT-B-32\.pt is not in .*downloads are off.*--from FILE`$"):
        load_clip_model("ViT-B/32", cache_dir=str(tmp_path), download=True)
