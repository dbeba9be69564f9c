"""Where the development datasets live (``../shared/datasets`` beside the checkout); tests that
read them skip when the folder is absent, as on a user's fresh clone."""

from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
