"""ganzoo plugin: the pix2pix family."""
