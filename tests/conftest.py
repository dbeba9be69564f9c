"""Shared fixtures: a plugin host with only the core and the tiny test plugin, and quiet threads."""

from __future__ import annotations

import os

import pytest
import torch

from ganzoo import plugins

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


def make_tiny_host() -> plugins.PluginHost:
    """A fresh host with the built-ins, the pix2pix plugin (its ``paired`` task, which ``tiny-paired``
    uses as a third party would) and the tiny plugin (no entry points)."""
    from ganzoo_pix2pix import plugin as pix2pix

    from tests import tinyplugin

    host = plugins.PluginHost(autoload=False)
    assert host.register(pix2pix, "pix2pix", "ganzoo-pix2pix", "0.1.0"), host.broken
    assert host.register(tinyplugin, "tiny", "tiny-plugin", "1.0"), host.broken
    return host


@pytest.fixture
def tiny_host():
    """:func:`make_tiny_host`, made process-wide for the test."""
    host = make_tiny_host()
    plugins.reset(host)
    yield host
    plugins.reset(None)


@pytest.fixture(autouse=True)
def private_feature_cache(tmp_path_factory, monkeypatch):
    """Reference statistics go to a per-test folder, never to the user's cache."""
    from ganzoo.metrics.reference import CACHE_ENV

    monkeypatch.setenv(CACHE_ENV, str(tmp_path_factory.mktemp("fid-stats")))


@pytest.fixture(autouse=True)
def private_caption_cache(tmp_path_factory, monkeypatch):
    """Prepared captions go to a per-test folder, never to the user's cache."""
    from ganzoo.conditioning.base import CACHE_ENV

    monkeypatch.setenv(CACHE_ENV, str(tmp_path_factory.mktemp("captions")))


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run in an empty working directory (no ./zoo.toml, runs/ goes to tmp)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """Tests never touch the network: downloads are off unless a test serves them on loopback
    (and turns this off with ``monkeypatch.delenv(OFFLINE_ENV)``)."""
    from ganzoo.fetch import OFFLINE_ENV

    monkeypatch.setenv(OFFLINE_ENV, "1")
