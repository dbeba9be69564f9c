"""The catalog of known datasets: what each one is, where it comes from, and what it must hold.

A :class:`KnownDataset` is a name with its archives as distributed (URLs, the checksum their
publisher gives, how each unpacks) and what a good copy holds (file counts, image sizes). It
enters the catalog through the registry: a dataset component decorated with
:func:`ganzoo.data.home.reads` (or made by :func:`ganzoo.data.home.home_copy`) loads the data
home's copy of the entry when its ``root`` is ``None``, and ``ganzoo data`` lists every entry
some registered component reads. A plugin adds a dataset to the catalog the same way, from its
``ganzoo_components`` hook (the stackgan plugin's ``cub200-reed`` and ``flowers102-reed`` do).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ganzoo.errors import GanzooError
from ganzoo.registry import Registry, unknown_message

#: where file hosts only serve a browser (Google Drive's confirmation page), ``--from FILE`` is the way.
BROWSER_ONLY = "the host serves it to a browser only: download it there, then pass the file with --from"


@dataclass(frozen=True)
class Checksum:
    """A digest of an archive as its publisher (or a well-kept mirror record) gives it."""

    algorithm: str  # a hashlib name: "md5" or "sha256"
    digest: str
    published_by: str  # who gives this digest, e.g. "torchvision" or "the dataset page"


@dataclass(frozen=True)
class Expect:
    """What a good copy holds: files per glob (relative to the dataset folder) and image size.

    ``optional`` globs may match nothing at all (a split the presets never read); when they match,
    the count must still be right. ``size`` is the (width, height) of every image counted.
    """

    counts: tuple[tuple[str, int], ...]
    optional: tuple[str, ...] = ()
    size: tuple[int, int] | None = None


@dataclass(frozen=True)
class Archive:
    """One file of a dataset as distributed and where its contents go in the dataset folder.

    ``place`` maps folders (or files) inside the archive to paths in the dataset folder (``.``:
    the dataset folder itself); ``None`` keeps the downloaded file as it is, unextracted.
    ``checksum`` is ``None`` when no one publishes one: the layout check is then all there is.
    """

    part: str
    filename: str
    urls: tuple[str, ...]
    checksum: Checksum | None
    expect: Expect
    place: tuple[tuple[str, str], ...] | None = None
    optional: bool = False
    note: str = ""  # e.g. BROWSER_ONLY


@dataclass(frozen=True)
class KnownDataset:
    """A dataset the tool can fetch, check and load by name."""

    name: str
    title: str
    size: str  # download size, for people deciding whether to fetch it
    licence: str
    homepage: str
    archives: tuple[Archive, ...]
    notes: str = ""
    #: files (globs in a copy's folder) that mark a folder as this dataset: ``--data PATH`` to such
    #: a folder reads it with this dataset's reader.
    marks: tuple[str, ...] = ()
    #: the side and channels of its images as distributed: a run switched to this dataset trains at
    #: them (the side at the nearest size the networks take) unless a flag or the preset says otherwise.
    resolution: int | None = None
    channels: int | None = None

    def archive(self, part: str) -> Archive:
        for archive in self.archives:
            if archive.part == part:
                return archive
        raise GanzooError(f"dataset {self.name!r} has no part {part!r}; valid: {', '.join(a.part for a in self.archives)}")

    @property
    def required(self) -> tuple[Archive, ...]:
        return tuple(a for a in self.archives if not a.optional)


@dataclass
class Catalog:
    """Every known dataset and the dataset components that read it."""

    entries: dict[str, KnownDataset] = field(default_factory=dict)
    readers: dict[str, list[str]] = field(default_factory=dict)

    def get(self, name: str) -> KnownDataset:
        if name not in self.entries:
            raise GanzooError(unknown_message("dataset", name, sorted(self.entries)) + " (see `ganzoo data list`)")
        return self.entries[name]


#: the attribute :func:`ganzoo.data.home.reads` gives a dataset factory: the entry it loads.
CATALOG_ENTRY = "catalog_entry"


def entry_read_by(factory: Callable[..., Any]) -> KnownDataset | None:
    """The catalog entry a dataset factory loads from the data home (see :func:`ganzoo.data.home.reads`), else ``None``."""
    return getattr(factory, CATALOG_ENTRY, None)


def catalog(registry: Registry) -> Catalog:
    """The catalog from the registered dataset components (one entry may have several readers)."""
    found = Catalog()
    for item in registry.list("dataset"):
        entry = entry_read_by(item.factory)
        if entry is None:
            continue
        if found.entries.setdefault(entry.name, entry) != entry:
            raise GanzooError(f"two different catalog entries are named {entry.name!r} (one read by dataset {item.name!r}); rename one")
        found.readers.setdefault(entry.name, []).append(item.name)
    return found


# ----------------------------------------------------------------------------------------------
# The known datasets. Checksums are the publisher's where one exists; otherwise the record kept by
# a well-known loader (named in ``published_by``); ``None`` where nobody publishes one.
# ----------------------------------------------------------------------------------------------

FACADES = KnownDataset(
    name="facades",
    title="CMP Facades as prepared for pix2pix: 512x256 JPEG pairs, photo (A) left, label map (B) right",
    size="29 MB",
    licence="CMP Facade Database (Tylecek & Sara 2013): research use; cite the authors",
    homepage="https://cmp.felk.cvut.cz/~tylecr1/facade/",
    archives=(
        Archive(
            part="images",
            filename="facades.tar.gz",
            urls=("http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/facades.tar.gz",),
            checksum=None,  # the pix2pix authors publish none
            place=(("facades", "."),),
            expect=Expect(
                counts=(("train/*.jpg", 400), ("val/*.jpg", 100), ("test/*.jpg", 106)),
                optional=("val/*.jpg",),  # no preset reads val
                size=(512, 256),
            ),
        ),
    ),
    notes="No official checksum is published; the layout check (counts, 512x256) is the verification.",
    resolution=256,
    channels=3,
)

HORSE2ZEBRA = KnownDataset(
    name="horse2zebra",
    title="CycleGAN horse2zebra: unpaired 256x256 ImageNet photos of horses (A) and zebras (B)",
    size="112 MB",
    licence="ImageNet images: non-commercial research use (ImageNet terms of access)",
    homepage="https://github.com/junyanz/pytorch-CycleGAN-and-pix2pix",
    archives=(
        Archive(
            part="images",
            filename="horse2zebra.zip",
            urls=(
                "http://efrosgans.eecs.berkeley.edu/cyclegan/datasets/horse2zebra.zip",
                "https://people.eecs.berkeley.edu/~taesung_park/CycleGAN/datasets/horse2zebra.zip",
            ),
            checksum=Checksum("sha256", "a74d9d392eecca9966b51287a76ca126af473d9de4f3e8fc0e9cda08fa1730a1", "TensorFlow Datasets (cycle_gan)"),
            place=(("horse2zebra", "."),),
            expect=Expect(
                counts=(("trainA/*.jpg", 1067), ("trainB/*.jpg", 1334), ("testA/*.jpg", 120), ("testB/*.jpg", 140)),
                size=(256, 256),
            ),
        ),
    ),
    resolution=256,
    channels=3,
)

_MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")


def _mnist_file(part: str, filename: str, md5: str) -> Archive:
    return Archive(
        part=part,
        filename=filename,
        urls=tuple(mirror + filename for mirror in _MNIST_MIRRORS),
        checksum=Checksum("md5", md5, "torchvision"),
        expect=Expect(counts=((filename, 1),)),
    )


MNIST = KnownDataset(
    name="mnist",
    title="MNIST handwritten digits: 60k train + 10k test, 28x28 grey, 10 classes (the original IDX files)",
    size="11 MB",
    licence="Yann LeCun and Corinna Cortes; commonly cited as CC BY-SA 3.0",
    homepage="http://yann.lecun.com/exdb/mnist/",
    archives=(
        _mnist_file("train-images", "train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        _mnist_file("train-labels", "train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        _mnist_file("test-images", "t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        _mnist_file("test-labels", "t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ),
    marks=("train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"),
    resolution=28,
    channels=1,
)

CIFAR10 = KnownDataset(
    name="cifar10",
    title="CIFAR-10: 50k train + 10k test 32x32 colour images, 10 classes (the binary version: no pickles)",
    size="163 MB",
    licence="Alex Krizhevsky (2009): free for research; cite the tech report",
    homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
    archives=(
        Archive(
            part="images",
            filename="cifar-10-binary.tar.gz",
            urls=("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",),
            checksum=Checksum("md5", "c32a1d4ab5d03f1284b67883e8d87530", "the dataset page"),
            place=(("cifar-10-batches-bin", "."),),
            expect=Expect(counts=(("data_batch_*.bin", 5), ("test_batch.bin", 1), ("batches.meta.txt", 1))),
        ),
    ),
    marks=("data_batch_1.bin",),
    resolution=32,
    channels=3,
)
