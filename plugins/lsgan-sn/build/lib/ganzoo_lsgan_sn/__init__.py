"""ganzoo plugin: the lsgan-sn family."""
