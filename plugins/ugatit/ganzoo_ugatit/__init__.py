"""ganzoo plugin: the ugatit family."""
