"""``ganzoo serve``: a web page (Gradio) to play with one trained model.

The page follows what the model declares. Models that draw from noise get a seed, a count, the
truncation trick and a walk between two seeds, plus a class picker or a caption box (with captions
of its training data as examples); translators take an uploaded image or one of their held-out
inputs and show the output beside the task's extra outputs (UGATIT's attention maps). The model's
card (family, data, steps, saved evaluation with its protocol) sits beside the results.

The model is loaded once. Every request runs without gradients and under one lock, so visitors
never race on the networks or the random state. Uploads are checked (bytes, pixels, that they are
images) before they are decoded; a refused upload is a message on the page. Gradio is optional
(``ganzoo-core[serve]``) and imported only here, when a page is built.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence, TypeVar

import torch
from PIL import Image, UnidentifiedImageError
from torch import Tensor

from ganzoo.data.base import ImageProblems, open_image, resize_center_crop, to_uint8_tensor
from ganzoo.errors import GanzooError, first_line
from ganzoo.export import export_run
from ganzoo.images import grid, sample_labels, to_pil
from ganzoo.interfaces import GenerativeTask, as_float_image
from ganzoo.io import atomic_write
from ganzoo.loading import LoadedModel, load
from ganzoo.metrics.evaluate import describe_protocol
from ganzoo.outputs import writable_folder
from ganzoo.runs.checkpoint import evaluation_paths
from ganzoo.version import CORE_DISTRIBUTION, FORMER_CORE_DISTRIBUTIONS, __version__

if TYPE_CHECKING:
    import gradio

#: the largest upload accepted, in bytes (Gradio refuses bigger ones before they are stored).
MAX_UPLOAD_BYTES = 20 * 10**6
#: the most pixels an upload may have; checked from the header, before the image is decoded.
MAX_PIXELS = 4096 * 4096
#: held-out inputs (per domain) and training captions offered as examples.
EXAMPLES = 8
#: images one click may draw, and frames a walk may have.
MAX_COUNT, MAX_FRAMES = 16, 16
EVERY_CLASS = "every class (one after another)"
#: the first line of a Space's app.py: a folder holding it may be rewritten by ``--space``.
SPACE_MARK = "# Written by `ganzoo serve --space`"
SPACE_FILES = ("app.py", "requirements.txt", "README.md", "model.safetensors")
#: tiny images are shown large: keep their pixels sharp rather than blurred.
CSS = "#samples img, #strip img, #translation img, #examples img { image-rendering: pixelated; }"

T = TypeVar("T")


class ServeError(GanzooError):
    pass


def require_gradio():
    """The ``gradio`` module, or one line saying how to install it."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # a local page reports nothing to anyone
    try:
        import gradio
    except ImportError as error:
        raise ServeError(f"ganzoo serve needs Gradio, which is not installed ({first_line(error)}): pip install '{CORE_DISTRIBUTION}[serve]'") from None
    return gradio


# ----------------------------------------------------------------------------------------------
# Uploads
# ----------------------------------------------------------------------------------------------

def read_upload(path: str | Path, channels: int, size: int) -> Tensor:
    """An uploaded file as the model's input (uint8 ``[C, size, size]``, resized and centre-cropped
    as in training); files too big, with too many pixels or that are not images are refused by name."""
    path = Path(path)
    name = path.name
    if path.stat().st_size > MAX_UPLOAD_BYTES:
        raise ServeError(f"{name}: {path.stat().st_size / 1e6:.1f} MB is more than the {MAX_UPLOAD_BYTES // 10**6} MB an upload may have; "
                         "upload a smaller image")
    try:
        with Image.open(path) as header:  # reads the header only
            width, height = header.size
    except Image.DecompressionBombError:
        raise ServeError(f"{name}: more than {MAX_PIXELS // 10**6} megapixels; upload a smaller image") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ServeError(f"{name} is not an image this page can read; upload a PNG, JPEG or WebP picture") from None
    if width * height > MAX_PIXELS:
        raise ServeError(f"{name}: {width}x{height} is more than {MAX_PIXELS // 10**6} megapixels; upload a smaller image")
    image = open_image(path, channels, ImageProblems("upload"))
    if image is None:
        raise ServeError(f"{name} is damaged or truncated: it cannot be decoded; upload another image")
    return to_uint8_tensor(resize_center_crop(image, size))


# ----------------------------------------------------------------------------------------------
# The model behind the page
# ----------------------------------------------------------------------------------------------

def translation_outputs(loaded: LoadedModel, source: Tensor, direction: str | None) -> dict[str, Tensor]:
    """One image translated: ``input``, ``output`` and the task's extra outputs (UGATIT's attention
    ``heatmap``), each ``[C, H, W]`` in [-1, 1]. The page's one contact with translate()'s result."""
    result = loaded.translate(as_float_image(source[None]), direction)
    return {"input": as_float_image(source).to(loaded.device), "output": result.output[0],
            **{name: images[0] for name, images in result.extras.items()}}


def finished(loaded: LoadedModel, rendered: dict[str, Tensor]) -> Tensor:
    """The finished images among a generative model's rendered outputs (its task says which)."""
    assert isinstance(loaded.task, GenerativeTask)
    return loaded.task.finished(rendered)


def directions(loaded: LoadedModel) -> list[str]:
    """The directions a visitor may pick: both for two-way (unpaired) models, none for one-way ones."""
    return ["AtoB", "BtoA"] if loaded.task.layout == "unpaired" else []


@dataclass
class Playground:
    """A loaded model, its examples and the lock its requests take turns on."""

    loaded: LoadedModel
    source: Path
    captions: list[str] = field(default_factory=list)
    examples: list[tuple[Tensor, str | None]] = field(default_factory=list)  # (uint8 input, its direction)
    note: str = ""  # why there are no examples, when there are none
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, model: str | Path, device: str = "auto") -> "Playground":
        """Load ``model`` once and gather its examples from its own data, where this machine has it."""
        loaded = load(model, device=device, parts="generator")
        playground = cls(loaded, loaded.source)
        try:
            if not isinstance(loaded.task, GenerativeTask):
                held_out = loaded.dataset(held_out=True, count=EXAMPLES)
                keys = {"AtoB": "a", "BtoA": "b"} if directions(loaded) else {None: "source"}
                playground.examples = [(image, way) for way, key in keys.items() for image in held_out.images[key][:EXAMPLES]]
            elif loaded.model.source.kind == "text":
                captions = loaded.dataset(count=EXAMPLES).captions or []
                playground.captions = list(dict.fromkeys(group[0] for group in captions if group))[:EXAMPLES]
        except GanzooError as error:  # e.g. the data is not on this machine: the page works without examples
            playground.note = f"no examples: {first_line(error)}"
        return playground

    def _locked(self, work: Callable[[], T]) -> T:
        with self.lock, torch.no_grad():
            return work()

    def _conditions(self, choice: str | None) -> dict[str, Sequence[str]]:
        kind = self.loaded.model.source.kind
        if kind == "text":
            if not (choice or "").strip():
                raise ServeError("type a caption first (or pick one of the examples)")
            return {"prompts": [choice.strip()]}
        if kind == "class" and choice and choice != EVERY_CLASS:
            return {"classes": [choice]}
        return {}

    def class_choices(self) -> list[str]:
        names = self.loaded.class_names or [str(index) for index in range(self.loaded.model.source.dim)]
        return [EVERY_CLASS, *names]

    def generate(self, seed: int, count: int, truncation: float, choice: str | None = None) -> list[tuple[Image.Image, str]]:
        """``count`` images from seed ``seed``, each with its caption (class, prompt or number)."""
        conditions, seed, count = self._conditions(choice), int(seed or 0), int(count)  # an emptied number box sends None
        images = self._locked(lambda: finished(self.loaded, self.loaded.sample(count, seed=seed, truncation=truncation or None, **conditions)))
        made_from = sample_labels(self.loaded.conditions(count, **conditions), self.loaded.class_names) or [""] * count
        return [(to_pil(image), f"{condition + ' · ' if condition else ''}seed {seed} #{index}")
                for index, (image, condition) in enumerate(zip(images, made_from))]

    def walk(self, seed: int, frames: int, truncation: float, choice: str | None = None) -> Image.Image:
        """A strip of ``frames`` images walking the noise from seed ``seed`` to seed ``seed + 1``."""
        conditions, seed, frames = self._conditions(choice), int(seed or 0), int(frames)
        images = self._locked(lambda: finished(self.loaded, self.loaded.interpolate(1, frames, seed=seed, truncation=truncation or None, **conditions)))
        return to_pil(grid({"walk": images}, columns=frames))

    def translate(self, source: Tensor, direction: str | None, seed: int, name: str = "") -> list[tuple[Image.Image, str]]:
        """The input (``name``) as the model sees it, its translation and the task's extra outputs."""
        def work() -> dict[str, Tensor]:
            with torch.random.fork_rng(devices=[self.loaded.device] if self.loaded.device.type == "cuda" else []):
                torch.manual_seed(int(seed or 0))  # the generator's own noise (pix2pix dropout) repeats for a seed
                return translation_outputs(self.loaded, source, direction)

        return [(to_pil(image), f"{output}: {name}" if output == "input" and name else output) for output, image in self._locked(work).items()]

    def card(self) -> str:
        """The model card in Markdown: what it is, what it learned from, how long, how it scored."""
        loaded, meta = self.loaded, self.loaded.meta
        config = meta.get("config", {})
        generators = [c for c in meta.get("components", []) if c.get("kind") == "generator"]
        export = meta.get("export")
        rows = [("model", f"`{self.source.name}`"), ("preset", config.get("preset") or "-"),
                ("family", ", ".join(f"{c['name']} ({c['distribution']} {c['version']})" for c in generators) or "?"),
                ("task", f"{component_name(config.get('task'))}: {self.makes()}"), ("data", component_name(config.get("dataset"))),
                ("resolution", f"{config.get('resolution', '?')} px, {config.get('channels', '?')} channels"),
                ("steps", loaded.step if loaded.step is not None else "?"),
                ("weights", ("EMA" if export["ema"] else "as trained") if export else "EMA where the run kept them"),
                ("made with", f"ganzoo {meta.get('ganzoo', '?')}")]
        lines = ["## Model card", "", *(f"- **{key}**: {value}" for key, value in rows), "", *self._evaluation()]
        return "\n".join(lines + (["", f"*{self.note}*"] if self.note else []))

    def makes(self) -> str:
        if not isinstance(self.loaded.task, GenerativeTask):
            return "translates an image " + ("either way between two domains" if directions(self.loaded) else "one way, as trained")
        return {"class": "images from noise and a class", "text": "images from noise and a caption"}.get(
            self.loaded.model.source.kind, "images from noise")

    def _evaluation(self) -> list[str]:
        path = evaluation_paths(self.source)[0]
        if not path.is_file():
            return [f"No saved evaluation (`ganzoo evaluate {self.source.name}` writes one beside the model)."]
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            better = record.get("higher_is_better", {})
            lines = [f"**Evaluation** ({record.get('time', '?')}, on {record.get('data', '?')})", "", "| metric | value | better |", "|---|---:|---|"]
            lines += [f"| {name} | {value:.4f} | {'higher' if better.get(name) else 'lower'} |" for name, value in record["scores"].items()]
            return lines + ["", *(f"- {line}" for line in describe_protocol(record))]
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            return [f"The saved evaluation {path.name} cannot be read ({type(error).__name__})."]


def component_name(entry: Any) -> str:
    """A component as saved in a config: its name (the entry is a name or ``{"name": ..., ...}``)."""
    return str(entry.get("name", "?") if isinstance(entry, dict) else entry or "?")


# ----------------------------------------------------------------------------------------------
# The page
# ----------------------------------------------------------------------------------------------

def title(loaded: LoadedModel, source: Path) -> str:
    """The model's name: its preset, else its file or folder name."""
    return loaded.meta.get("config", {}).get("preset") or source.stem


def page(playground: Playground) -> "gradio.Blocks":
    """The Gradio page of ``playground``; any refusal is shown on the page as its one-line message."""
    gr = require_gradio()

    def shown(work: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(work)  # Gradio reads the signature: which arguments are event data
        def handler(*args: Any) -> T:
            try:
                return work(*args)
            except GanzooError as error:
                raise gr.Error(str(error), title="ganzoo", print_exception=False) from None
        return handler

    loaded = playground.loaded
    with gr.Blocks(title=f"ganzoo · {title(playground.loaded, playground.source)}", analytics_enabled=False, delete_cache=(3600, 86400)) as blocks:
        gr.Markdown(f"# {title(playground.loaded, playground.source)}\n{loaded.meta.get('config', {}).get('description') or ''}")
        with gr.Row():
            with gr.Column(scale=3):
                if isinstance(loaded.task, GenerativeTask):
                    generative_controls(gr, playground, shown)
                else:
                    translation_controls(gr, playground, shown)
            with gr.Column(scale=2):
                gr.Markdown(playground.card(), elem_id="card")
    return blocks


def condition_input(gr, playground: Playground):
    kind = playground.loaded.model.source.kind
    if kind == "class":
        return gr.Dropdown(playground.class_choices(), value=EVERY_CLASS, label="class", elem_id="class")
    if kind == "text":
        box = gr.Textbox(value=(playground.captions or [""])[0], label="caption", elem_id="caption")
        if playground.captions:
            gr.Examples([[caption] for caption in playground.captions], inputs=[box], label="captions it trained on")
        return box
    return gr.State(None)


def generative_controls(gr, playground: Playground, shown) -> None:
    with gr.Tab("Sample"):
        condition = condition_input(gr, playground)
        with gr.Row():
            seed = gr.Number(0, precision=0, label="seed", elem_id="seed")
            count = gr.Slider(1, MAX_COUNT, value=8, step=1, label="images", elem_id="count")
            truncation = gr.Slider(0, 2, value=0, step=0.05, label="truncation ψ (0 = off)", elem_id="truncation")
        button = gr.Button("Generate", variant="primary", elem_id="generate")
        gallery = gr.Gallery(label="samples", format="png", columns=8, height=320, elem_id="samples", buttons=["download", "fullscreen"])
        button.click(shown(playground.generate), [seed, count, truncation, condition], gallery)
    with gr.Tab("Walk"):
        gr.Markdown("A walk through the noise from one seed to the next (spherical interpolation), same condition throughout.")
        with gr.Row():
            start = gr.Number(0, precision=0, label="from seed (to seed + 1)", elem_id="walk-seed")
            frames = gr.Slider(3, MAX_FRAMES, value=8, step=1, label="frames", elem_id="frames")
        walk = gr.Button("Walk", variant="primary", elem_id="walk")
        strip = gr.Image(label="walk", type="pil", format="png", interactive=False, elem_id="strip", buttons=["download"])
        walk.click(shown(playground.walk), [start, frames, truncation, condition], strip)


def translation_controls(gr, playground: Playground, shown) -> None:
    loaded = playground.loaded
    config = loaded.model.config
    ways = directions(loaded)
    current = gr.State(None)  # the input being translated (uint8), from an upload or an example
    with gr.Row():
        upload = gr.File(label=f"upload an image (up to {MAX_UPLOAD_BYTES // 10**6} MB, {MAX_PIXELS // 10**6} megapixels)",
                         type="filepath", height=150, elem_id="upload", scale=1)
        if playground.examples:
            examples = gr.Gallery([(to_pil(as_float_image(image)), way) for image, way in playground.examples],
                                  label="or pick an example it did not train on", columns=8, height=150, allow_preview=False,
                                  elem_id="examples", scale=2)
    with gr.Row():
        direction = gr.Radio(ways, value=ways[0], label="direction", elem_id="direction") if ways else gr.State(None)
        seed = gr.Number(0, precision=0, label="seed (the generator's own noise)", elem_id="seed")
    button = gr.Button("Translate", variant="primary", elem_id="translate")
    output = gr.Gallery(label="translation", format="png", columns=4, fit_columns=False, height=300, elem_id="translation", buttons=["download", "fullscreen"])

    def from_upload(path: str | None, way: str | None, seed: int):
        if path is None:
            return gr.skip(), gr.skip()
        source = read_upload(path, config.channels, config.resolution)
        return playground.translate(source, way, seed, Path(path).name), source

    def again(source: Tensor | None, way: str | None, seed: int):
        if source is None:
            raise ServeError("upload an image first (or pick one of the examples)")
        return playground.translate(source, way, seed), source

    def pick(selected, seed: int):
        image, way = playground.examples[selected.index]
        return playground.translate(image, way, seed, f"example {selected.index + 1}"), image, *((way,) if ways else ())

    pick.__annotations__["selected"] = gr.SelectData  # the class itself: this module imports Gradio lazily
    upload.upload(shown(from_upload), [upload, direction, seed], [output, current])
    button.click(shown(again), [current, direction, seed], [output, current])
    if playground.examples:
        examples.select(shown(pick), [seed], [output, current, *((direction,) if ways else ())])


def launch(blocks: "gradio.Blocks", host: str, port: int, root_path: str | None = None) -> str:
    """Start serving ``blocks`` in the background; returns its local address."""
    try:
        _, url, _ = blocks.launch(server_name=host, server_port=port, root_path=root_path, max_file_size=MAX_UPLOAD_BYTES,
                                  prevent_thread_lock=True, quiet=True, css=CSS, footer_links=["api"])
    except OSError as error:
        raise ServeError(f"--port {port}: cannot listen on {host}:{port} ({first_line(error)}); choose another --port") from None
    return url


# ----------------------------------------------------------------------------------------------
# A Hugging Face Space
# ----------------------------------------------------------------------------------------------

APP = f'''{SPACE_MARK}: the page of `ganzoo serve`, for model.safetensors beside it.
from pathlib import Path

from ganzoo.serve import Playground, launch, page

blocks = page(Playground.open(Path(__file__).with_name("model.safetensors")))
launch(blocks, host="0.0.0.0", port=7860)
blocks.block_thread()
'''


def write_space(model: str | Path, folder: Path) -> Path:
    """A folder that runs the page of ``model`` as a Hugging Face Space: app.py, requirements.txt,
    README.md (the Space's settings) and the model as an export (generator weights only)."""
    writable_folder(folder, "--space")
    app = folder / "app.py"
    if any((folder / name).exists() for name in SPACE_FILES) and not (app.is_file() and app.read_text(encoding="utf-8").startswith(SPACE_MARK)):
        raise ServeError(f"--space {folder}: it holds {', '.join(n for n in SPACE_FILES if (folder / n).exists())} not written by "
                         "`ganzoo serve --space`; choose a new or empty folder")
    gradio = require_gradio()
    loaded = load(model, device="cpu", parts="generator")  # refuses what cannot be served before anything is written
    model = loaded.source
    write_text(app, APP)  # first: it marks the folder as this command's, so a rerun (after a failure too) may rewrite it
    target = folder / "model.safetensors"
    if model.suffix == ".safetensors":
        data = model.read_bytes()
        atomic_write(target, lambda handle: handle.write(data))
    else:
        export_run(model, target)
    plugins = sorted({(c["distribution"], c["version"]) for c in loaded.meta.get("components", []) if c.get("distribution") not in (CORE_DISTRIBUTION, *FORMER_CORE_DISTRIBUTIONS)})
    requirements = [f"{CORE_DISTRIBUTION}[serve]>={__version__}", *(f"{name}>={version}" for name, version in plugins)]
    write_text(folder / "requirements.txt", "\n".join(requirements) + "\n")
    write_text(folder / "README.md", f"---\ntitle: {title(loaded, model)}\nsdk: gradio\nsdk_version: {gradio.__version__}\napp_file: app.py\n---\n\n"
                                      "A ganzoo model: `ganzoo serve model.safetensors` shows this page on your own machine.\n")
    return folder


def write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda handle: handle.write(text.encode()))
