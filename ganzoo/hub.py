"""Models on the Hugging Face Hub: ``hf://owner/name[@revision]`` names the export a ``ganzoo
push`` uploaded (``model.safetensors``), fetched through ``hf_hub_download`` and its cache.

Offline (``GANZOO_OFFLINE=1`` or ``HF_HUB_OFFLINE=1``) only the cache is read. Every failure is one
line naming the reference and the way out; huggingface_hub is the optional ``hub`` extra.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

from ganzoo.errors import GanzooError, first_line
from ganzoo.fetch import OFFLINE_ENV, offline
from ganzoo.version import HUB_EXTRA

PREFIX = "hf://"
#: the export's file name in a pushed repository.
EXPORT_FILE = "model.safetensors"
REPO_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*")


class HubError(GanzooError):
    """A Hub reference that cannot be resolved or pushed; the message says how to go on."""


def is_reference(model: str | Path) -> bool:
    return isinstance(model, str) and model.startswith(PREFIX)


def import_hub() -> ModuleType:
    try:
        import huggingface_hub
    except ImportError:
        raise HubError(f"the Hugging Face Hub needs huggingface_hub: pip install '{HUB_EXTRA}'") from None
    return huggingface_hub


def check_repo_id(repo_id: str, what: str) -> str:
    if not REPO_ID.fullmatch(repo_id):
        raise HubError(f"{what} {repo_id!r}: expected owner/name (letters, digits, '.', '_', '-')")
    return repo_id


def parse(reference: str) -> tuple[str, str | None]:
    """``hf://owner/name@rev`` -> ``("owner/name", "rev")``; the revision is None when absent."""
    repo_id, _, revision = reference.removeprefix(PREFIX).partition("@")
    check_repo_id(repo_id, f"{PREFIX}... model")
    if "@" in reference and not revision:
        raise HubError(f"{reference}: nothing after '@'; give a branch, tag or commit (hf://owner/name@v1)")
    return repo_id, revision or None


def download(reference: str) -> Path:
    """The local path of the export ``reference`` names: from the Hub cache, fetched when online."""
    repo_id, revision = parse(reference)
    hub = import_hub()
    try:
        return Path(hub.hf_hub_download(repo_id, EXPORT_FILE, revision=revision, local_files_only=offline(), library_name="ganzoo"))
    except (OSError, ValueError) as error:  # huggingface_hub's errors: HTTP, not cached offline, not found, bad ids
        cached = " and it is not in the Hugging Face cache" if offline() or "offline" in str(error).lower() else ""
        raise HubError(f"{reference}: cannot get {EXPORT_FILE}{cached} ({type(error).__name__}: {first_line(error)}). "
                       f"Run once online (without {OFFLINE_ENV}/HF_HUB_OFFLINE), or download the export and pass its path") from None
