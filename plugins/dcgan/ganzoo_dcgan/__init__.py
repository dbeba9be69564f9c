"""ganzoo plugin: the dcgan family."""
