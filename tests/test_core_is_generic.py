"""The core holds no task, dataset or conditioner that only one family uses.

What counts as use is what the code declares: a preset selecting the component (its task,
dataset or conditioner), and for a dataset of the catalog, every component that reads the same
catalog entry (``facades`` is pix2pix's preset data, and UGATIT's ``facades-unpaired`` reads the
same copy). The users of a component are the distributions providing those presets and readers;
ganzoo's own ``zoo.toml`` counts as one more.

A core component with exactly one user, and that user a family plugin, is family code: it
belongs in that plugin, or it is on :data:`SHARED_BY_PURPOSE` with the reason it serves any
family. Components no preset uses are not flagged: they are the readers of a user's own data
(``image-folder``, ``captions-jsonl``, ...) and the options of ``--set``/``--data``, which no
single family needs; a family's own reader shows up in that family's presets, which is where it
would be caught.
"""

from __future__ import annotations

from ganzoo import plugins
from ganzoo.data.catalog import catalog
from ganzoo.mix import check_mix
from ganzoo.presets import load_book
from ganzoo.version import CORE_DISTRIBUTION

KINDS = ("task", "dataset", "conditioner")

#: (kind, name) of core components one family's presets use, each with why it is not that family's.
SHARED_BY_PURPOSE = {
    # the generic conditional GAN: any family whose networks take a class condition trains with it
    ("task", "class-conditional"): "ganzoo-dcgan",
    # standard benchmarks of the field, read by any unconditional or class-conditional family
    ("dataset", "mnist"): "ganzoo-gan",
    ("dataset", "cifar10"): "ganzoo-dcgan",
    # CycleGAN's unpaired benchmark, for any unpaired translator
    ("dataset", "horse2zebra"): "ganzoo-ugatit",
    # the built-in procedural data, one per layout (shapes, shapes-paired, shapes-unpaired): the offline default
    ("dataset", "shapes-unpaired"): "ganzoo-ugatit",
}


def users_of_core_components() -> dict[tuple[str, str], set[str]]:
    """(kind, name) of every core task, dataset and conditioner -> the distributions using it."""
    plugins.reset(None)
    registry = plugins.registry()
    book = load_book()
    users: dict[tuple[str, str], set[str]] = {
        (kind, item.name): set() for kind in KINDS for item in registry.list(kind) if item.provider and item.provider.distribution == CORE_DISTRIBUTION
    }
    for name in book.names():
        mix = check_mix(book.resolve(name), registry)
        for item in (mix.task, mix.dataset, mix.conditioner):
            if item is not None and (item.component.kind, item.name) in users:
                users[item.component.kind, item.name].add(book.providers[name])
    for readers in catalog(registry).readers.values():
        # one copy on disk: the users of every reader of the entry, and the plugins providing one, use it
        shared = set().union(*(users.get(("dataset", reader), set()) for reader in readers))
        shared |= {registry.get("dataset", reader).provider.distribution for reader in readers} - {CORE_DISTRIBUTION}
        for reader in readers:
            if ("dataset", reader) in users:
                users["dataset", reader] |= shared
    return users


def test_no_core_task_dataset_or_conditioner_serves_a_single_family():
    users = users_of_core_components()
    single = {key: next(iter(found)) for key, found in users.items() if len(found) == 1 and found != {CORE_DISTRIBUTION}}
    unexplained = {key: family for key, family in single.items() if SHARED_BY_PURPOSE.get(key) != family}
    assert not unexplained, (
        f"only one family uses these core components: {unexplained}; move each into that family's plugin, "
        "or add it to SHARED_BY_PURPOSE with the reason any family would use it"
    )
    stale = {key for key in SHARED_BY_PURPOSE if key not in single}
    assert not stale, f"SHARED_BY_PURPOSE lists {stale}, which the core no longer has or several families now use: remove them"
