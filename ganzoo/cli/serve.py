"""``ganzoo serve``: a web page to play with a trained model (Gradio), or a Space folder running it."""

from __future__ import annotations

from pathlib import Path

import click

from ganzoo.cli.common import ModelArgument, console, report_broken_plugins
from ganzoo.serve import Playground, launch, page, require_gradio, write_space


@click.command("serve")
@click.argument("model", type=ModelArgument())
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 opens the page to every machine that can reach this one.")
@click.option("--port", type=click.IntRange(1, 65535), default=7860, show_default=True, help="Port to listen on.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--share-path", metavar="PREFIX", help="URL path the page is served under behind a reverse proxy (e.g. /ganzoo).")
@click.option("--space", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Serve nothing: write DIR with app.py, requirements.txt, README.md and the model, a Hugging Face Space running this page.")
def serve_command(model: Path | str, host: str, port: int, device: str, share_path: str | None, space: Path | None) -> None:
    """Open a page to play with MODEL (a run folder, checkpoint, .safetensors export or hf://owner/name[@rev]).

    Models that draw from noise: seed, count, truncation, class or caption, and a walk between
    two seeds. Translators: upload an image or pick a held-out example; the output comes with the
    model's extra outputs (UGATIT's attention maps). Every image downloads as PNG; the model's card
    and saved evaluation are beside it. Needs Gradio: pip install 'ganzoo-core[serve]'.

    \b
    Examples:
      ganzoo serve runs/dcgan-class-000
      ganzoo serve pix2pix.safetensors --port 8000
      ganzoo serve hf://me/pix2pix-demo
      ganzoo serve runs/stackgan-000 --space my-space && cd my-space && python app.py
    """
    report_broken_plugins()
    require_gradio()
    if space is not None:
        write_space(model, space)
        console.print(f"Space: {space} (app.py, requirements.txt, README.md, model.safetensors); push it to a Gradio Space")
        return
    blocks = page(Playground.open(model, device=device))
    url = launch(blocks, host, port, share_path)
    console.print(f"serving {model} at {url} (Ctrl-C stops)", soft_wrap=True)
    blocks.block_thread()


COMMANDS = [serve_command]
