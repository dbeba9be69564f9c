"""The base of every user-facing error: the CLI shows its message as one line, without a traceback."""


class GanzooError(ValueError):
    """A problem with the user's input (names, presets, data, files); the message says the way out."""
