"""What every conditioner module shares: the user-facing error and the check of the source."""

from __future__ import annotations

from ganzoo.errors import GanzooError
from ganzoo.interfaces import Condition


class ConditionerError(GanzooError):
    """A conditioner cannot be built or fed (missing weights, unknown caption); one line, with the way out."""


def require_text(source: Condition, name: str) -> None:
    if source.kind != "text":
        raise ConditionerError(f"conditioner {name!r} encodes captions, but the dataset provides condition {source}; use a captioned dataset")
