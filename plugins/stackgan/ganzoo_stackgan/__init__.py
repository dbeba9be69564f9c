"""ganzoo plugin: the stackgan family."""
