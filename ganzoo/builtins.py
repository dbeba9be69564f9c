"""ganzoo's own components (datasets, conditioners, tasks, the default losses, metrics), registered like any plugin's."""

from __future__ import annotations

from ganzoo.hookspecs import hookimpl
from ganzoo.registry import Component, collect


@hookimpl
def ganzoo_components() -> list[Component]:
    # imported here so that `import ganzoo` stays light; one module per line
    from ganzoo import conditioning, losses, tasks
    from ganzoo.data import captions, cifar, folder, known, mnist, paired, shapes, unpaired
    from ganzoo.metrics import extractors, pixel, sets

    return collect(
        mnist,
        folder,
        shapes,
        tasks,
        paired,
        unpaired,
        pixel,
        sets,
        extractors,
        conditioning,
        captions,
        known,
        cifar,
        losses,
    )
