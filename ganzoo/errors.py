"""The base of every user-facing error: the CLI shows its message as one line, without a traceback."""


class GanzooError(ValueError):
    """A problem with the user's input (names, presets, data, files); the message says the way out."""


def first_line(error: BaseException, limit: int = 200) -> str:
    """The first line of an exception's message (its type name when empty), for one-line errors."""
    text = str(error).strip()
    return (text.splitlines()[0] if text else type(error).__name__)[:limit]
