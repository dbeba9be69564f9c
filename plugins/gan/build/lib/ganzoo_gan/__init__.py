"""ganzoo plugin: the gan family."""
