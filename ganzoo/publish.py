"""``ganzoo push``: a run or an export as a Hugging Face Hub model repository.

The repository holds the export (``model.safetensors``, which ``hf://owner/name`` loads), a model
card generated from what the export and the saved evaluation record (``README.md``), the sample
grid and the evaluation itself. Nothing private goes up: absolute paths in the export's header and
the evaluation become bare file names, and the machine's host name is removed. The folder is
complete before anything is uploaded, so ``--dry-run`` shows exactly what would go.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import tempfile
from pathlib import Path, PureWindowsPath
from typing import Any

from safetensors import safe_open
from safetensors.torch import save

from ganzoo import hub
from ganzoo.errors import first_line
from ganzoo.export import HEADER_KEY, export_run, read_export
from ganzoo.images import save_grid
from ganzoo.interfaces import GenerativeTask
from ganzoo.io import atomic_write, write_json
from ganzoo.loading import load
from ganzoo.runs.checkpoint import SAMPLES, evaluation_paths
from ganzoo.version import CORE_DISTRIBUTION, FORMER_CORE_DISTRIBUTIONS, PLUGIN_PREFIX

CARD, GRID, EVALUATION = "README.md", "samples.png", "evaluation.json"
#: images in the grid drawn for a model that has no saved one.
GRID_COUNT = 16
PIPELINES = {"none": "unconditional-image-generation", "class": "unconditional-image-generation", "text": "text-to-image",
             "image": "image-to-image"}
WINDOWS_PATH = re.compile(r"^[A-Za-z]:[\\/]")


def public(value: Any) -> Any:
    """``value`` (JSON-like) with every absolute path reduced to its file name and the host name removed."""
    if isinstance(value, dict):
        return {key: public(item) for key, item in value.items()}
    if isinstance(value, list):
        return [public(item) for item in value]
    if not isinstance(value, str):
        return value
    if WINDOWS_PATH.match(value):
        return PureWindowsPath(value).name
    if os.path.isabs(value) or value.startswith("~"):
        return Path(value).name
    host = socket.gethostname()
    return re.sub(rf"(?<![\w.-]){re.escape(host)}(?![\w-])", "<host>", value) if host else value


def _write_public_export(source: Path, target: Path) -> dict[str, Any]:
    """Copy the export ``source`` to ``target`` with a :func:`public` header; that header."""
    export = read_export(source)  # refuses a damaged file before anything is written
    with safe_open(str(source), framework="pt", device="cpu") as handle:
        header = public(json.loads(handle.metadata()[HEADER_KEY]))
    data = save(dict(export.tensors), metadata={HEADER_KEY: json.dumps(header)})
    atomic_write(target, lambda out: out.write(data))
    return header


def _grid(model: Path, export: Path, target: Path) -> bool:
    """The evaluation's grid, else the run's latest samples, else a fresh grid of a generator that
    needs no prompt; False when there is none to show."""
    for saved in (evaluation_paths(model)[2], model / SAMPLES / "latest.png"):
        if saved.is_file():
            shutil.copyfile(saved, target)
            return True
    loaded = load(export)
    if not isinstance(loaded.task, GenerativeTask) or loaded.model.source.kind == "text":
        return False
    images = loaded.sample(GRID_COUNT)
    first = next(iter(images))
    save_grid({first: images[first]}, target)
    return True


def distributions(header: dict[str, Any]) -> list[str]:
    """What to ``pip install`` for the export's components (the core under its current name)."""
    names = {CORE_DISTRIBUTION if c["distribution"] in FORMER_CORE_DISTRIBUTIONS else c["distribution"] for c in header["components"]}
    return [CORE_DISTRIBUTION, *sorted(names - {CORE_DISTRIBUTION})]


def model_card(repo_id: str, header: dict[str, Any], evaluation: dict[str, Any] | None, has_grid: bool) -> str:
    """The README.md of the repository: Hub metadata (YAML) and what the model is, how it scores, how to load it."""
    meta, config = header["meta"], header["meta"]["config"]
    pipeline = PIPELINES.get(meta["source"]["kind"], "unconditional-image-generation")
    families = sorted({d.removeprefix(PLUGIN_PREFIX) for d in distributions(header)[1:]})
    dataset = config["dataset"]["name"]
    yaml = ["---", "library_name: ganzoo", "tags:", *(f"- {json.dumps(t)}" for t in ["ganzoo", "gan", *families, pipeline]),
            f"pipeline_tag: {pipeline}"]
    if evaluation:
        split = (evaluation.get("protocol", {}).get("data") or {}).get("split")
        yaml += ["model-index:", f"- name: {json.dumps(repo_id)}", "  results:", "  - task:", f"      type: {pipeline}",
                 "    dataset:", f"      name: {json.dumps(dataset)}", f"      type: {json.dumps(dataset)}",
                 *([f"      split: {json.dumps(split)}"] if split else []), "    metrics:"]
        for name, value in evaluation["scores"].items():
            yaml += [f"    - type: {json.dumps(name)}", f"      value: {json.dumps(value)}", f"      name: {json.dumps(name.upper())}"]
    yaml.append("---")
    components = ", ".join(f"{c['kind']} `{c['name']}` ({c['distribution']} {c['version']})" for c in meta["components"])
    weights = "EMA weights of the generator" if header["ema"] else "the generator's trained weights"
    verb, example = (("translate", f"ganzoo translate hf://{repo_id} INPUT -o out/") if pipeline == "image-to-image" else
                     ("sample", f"ganzoo sample hf://{repo_id} -n 16" + (' --prompt "a caption"' if pipeline == "text-to-image" else "")))
    python_use = ('model.translate(images)  # images [B, C, H, W] in [-1, 1]' if pipeline == "image-to-image" else
                  'model.sample(16' + (', prompts=["a caption"]' if pipeline == "text-to-image" else "") + ')  # {"samples": [16, C, H, W] in [-1, 1]}')
    body = [f"# {repo_id}", "",
            f"A GAN trained with [ganzoo](https://pypi.org/project/{CORE_DISTRIBUTION}/) (preset `{config.get('preset') or 'custom'}`) "
            f"on `{dataset}` at {config['resolution']} px for {header['step']} steps; this file holds {weights} "
            f"(`{header['parts']}` export).", "", f"Components: {components}.", ""]
    if has_grid:
        body += [f"![samples]({GRID})", ""]
    if evaluation:
        body += ["## Evaluation", "", f"From `{EVALUATION}` ({evaluation.get('count', '?')} images; the protocol says what each number was measured with).",
                 "", "| metric | value |", "|---|---|", *(f"| {n} | {v:.4g} |" for n, v in evaluation["scores"].items()), "",
                 "```json", json.dumps(evaluation.get("protocol", {}), indent=2), "```", ""]
    body += ["## Use it", "", "```bash", f"pip install {' '.join(distributions(header))}", example,
             f"ganzoo {verb} hf://{repo_id}@REVISION ...   # pinned to a branch, tag or commit", "```", "",
             "```python", "import ganzoo", "", f'model = ganzoo.load("hf://{repo_id}")', python_use, "```", ""]
    return "\n".join(yaml + body)


def prepare(model: Path, repo_id: str, folder: Path) -> Path:
    """Write the repository's files for ``model`` (a run folder, checkpoint or export) into ``folder``."""
    hub.check_repo_id(repo_id, "REPO_ID")
    if folder.exists() and any(folder.iterdir()):
        raise hub.HubError(f"--folder {folder}: not empty; choose a new folder")
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        export = model if model.suffix == ".safetensors" else export_run(model, Path(scratch) / hub.EXPORT_FILE)
        header = _write_public_export(export, folder / hub.EXPORT_FILE)
    saved = evaluation_paths(model)[0]
    evaluation = public(json.loads(saved.read_text(encoding="utf-8"))) if saved.is_file() else None
    if evaluation is not None:
        write_json(folder / EVALUATION, evaluation)
    has_grid = _grid(model, folder / hub.EXPORT_FILE, folder / GRID)
    card = model_card(repo_id, header, evaluation, has_grid)
    atomic_write(folder / CARD, lambda out: out.write(card.encode("utf-8")))
    return folder


def upload(folder: Path, repo_id: str, private: bool, revision: str | None) -> str:
    """Create the repository if needed and upload ``folder`` in one commit; its address."""
    api = hub.import_hub().HfApi()
    try:
        api.create_repo(repo_id, private=private, exist_ok=True)
        api.upload_folder(repo_id=repo_id, folder_path=str(folder), revision=revision, commit_message="ganzoo push")
    except (OSError, ValueError) as error:  # HTTP errors, no token, bad names
        raise hub.HubError(f"push to {repo_id}: {type(error).__name__}: {first_line(error)} (log in with huggingface_hub's "
                           "`hf auth login` or set HF_TOKEN; --dry-run --folder DIR writes the files without uploading)") from None
    return f"https://huggingface.co/{repo_id}"
