"""The ganzoo command line with only the tiny test plugin, for tests that need a real process
(kills, signals, two writers): ``python -m tests.reliability.tinyrun train tiny ...``.

With ``GANZOO_TEST_DIE_IN_SAVE=N`` the process kills itself (SIGKILL) halfway through writing its
N-th checkpoint: the moment an atomic write must survive. With ``GANZOO_TEST_DIE_BEFORE_RENAME=N``
it kills itself when the N-th atomic write of any file is complete but not yet renamed into place.
"""

from __future__ import annotations

import os
import signal

import torch

from ganzoo import plugins
from ganzoo.cli import main
from tests.conftest import make_tiny_host


def die_in_save(count: int) -> None:
    real_save = torch.save
    calls = 0

    def save(obj, handle, *args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == count:
            handle.write(b"\0" * 4096)  # half a file on disk, then gone
            handle.flush()
            os.fsync(handle.fileno())
            os.kill(os.getpid(), signal.SIGKILL)
        return real_save(obj, handle, *args, **kwargs)

    torch.save = save


def die_before_rename(count: int) -> None:
    real_replace = os.replace
    calls = 0

    def replace(source, target, *args, **kwargs):
        nonlocal calls
        if str(source).endswith(".tmp"):
            calls += 1
            if calls == count:
                os.kill(os.getpid(), signal.SIGKILL)
        return real_replace(source, target, *args, **kwargs)

    os.replace = replace


if __name__ == "__main__":
    if os.environ.get("GANZOO_TEST_DIE_IN_SAVE"):
        die_in_save(int(os.environ["GANZOO_TEST_DIE_IN_SAVE"]))
    if os.environ.get("GANZOO_TEST_DIE_BEFORE_RENAME"):
        die_before_rename(int(os.environ["GANZOO_TEST_DIE_BEFORE_RENAME"]))
    torch.set_num_threads(1)
    plugins.reset(make_tiny_host())
    main()
