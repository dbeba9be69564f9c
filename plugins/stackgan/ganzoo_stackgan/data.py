"""StackGAN's data: CUB-200 birds and Oxford-102 flowers with the captions of Reed et al. (2016).

``captions-reed`` reads their layout (images, and ``text_c10/<class>/<image stem>.txt`` with ten
captions each) with the core's caption-file reader; ``split`` keeps StackGAN's train/test file
lists (``filenames.pickle`` of its embeddings archive, or a ``filenames.txt``). ``cub200-reed``
and ``flowers102-reed`` read the data home's copies: registered here, they enter the catalog of
``ganzoo data list|get`` through this plugin's ``ganzoo_components`` hook, as any plugin's would.
"""

from __future__ import annotations

from pathlib import Path

from ganzoo.data.base import DataError, InMemoryDataset
from ganzoo.data.captions import TEXT_PORTS, caption_folder
from ganzoo.data.catalog import BROWSER_ONLY, Archive, Checksum, Expect, KnownDataset
from ganzoo.data.home import home_copy
from ganzoo.registry import component
from ganzoo_stackgan.pickles import load_numpy_pickle


def split_names(root: Path, split: str, what: str) -> set[str]:
    """The image stems of ``split``: ``{root}/{split}/filenames.txt``, else StackGAN's ``filenames.pickle``."""
    folder = root / split
    listing, pickled = folder / "filenames.txt", folder / "filenames.pickle"
    if listing.is_file():
        names = listing.read_text(encoding="utf-8").split()
    elif pickled.is_file():
        names = load_numpy_pickle(pickled)
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise DataError(f"{what}: {pickled} is not a list of file names")
    else:
        raise DataError(f"{what}: split {split!r} needs {listing} (one image name per line) or StackGAN's {pickled} "
                        "(`ganzoo data get NAME --part embeddings`)")
    return {Path(n).stem for n in names}


@component("dataset", "captions-reed", ports=TEXT_PORTS)
def captions_reed(
    root: str,
    split: str | None = None,
    images: str = "images",
    text: str = "text_c10",
    resolution: int = 64,
    load_size: int | None = None,
    channels: int = 3,
    condition: str = "text",
    skip_bad: bool = False,
) -> InMemoryDataset:
    """Images with caption files in the Reed et al. / StackGAN layout (``text_c10/<class>/<image>.txt``)."""
    base = Path(root).expanduser()
    return caption_folder(base, what=f"captions-reed {base}", name=f"captions-reed:{base.name}", split=split, images=images,
                          text=text, resolution=resolution, load_size=load_size, channels=channels, condition=condition,
                          skip_bad=skip_bad, split_names=split_names)


def _reed_text(dataset: str, captions_id: str, stackgan: str, embeddings_id: str, images: int) -> tuple[Archive, Archive]:
    """Reed et al.'s captions (``cvpr2016_<dataset>``) and StackGAN's optional embeddings
    (``<stackgan>.zip``) of one dataset: both on Google Drive, so browser-only and unchecksummed."""
    captions = Archive(
        part="captions",
        filename=f"cvpr2016_{dataset}.tar.gz",
        urls=(f"https://drive.google.com/open?id={captions_id}",),
        checksum=None,
        place=((f"cvpr2016_{dataset}/text_c10", "text_c10"),),
        expect=Expect(counts=(("text_c10/*/*.txt", images),)),
        note=BROWSER_ONLY,
    )
    embeddings = Archive(
        part="embeddings",
        filename=f"{stackgan}.zip",
        urls=(f"https://drive.google.com/open?id={embeddings_id}",),
        checksum=None,
        place=((f"{stackgan}/train", "train"), (f"{stackgan}/test", "test")),
        expect=Expect(counts=(("*/char-CNN-RNN-embeddings.pickle", 2), ("*/filenames.pickle", 2))),
        optional=True,
        note=BROWSER_ONLY + " (StackGAN's char-CNN-RNN embeddings and its train/test file lists)",
    )
    return captions, embeddings




CUB200_REED = KnownDataset(
    name="cub200-reed",
    title="Caltech-UCSD Birds-200-2011 (11,788 photos, 200 species) with the ten captions per image of Reed et al. (2016)",
    size="1.1 GB images + 0.3 GB captions (+ optional StackGAN embeddings)",
    licence="CUB-200-2011: research use, images from Flickr under their owners' terms; captions: Reed et al. 2016, research use",
    homepage="https://www.vision.caltech.edu/datasets/cub_200_2011/",
    archives=(
        Archive(
            part="images",
            filename="CUB_200_2011.tgz",
            urls=("https://data.caltech.edu/records/65de6-vp158/files/CUB_200_2011.tgz",),
            checksum=Checksum("md5", "97eceeb196236b17998738112f37df78", "CaltechDATA"),
            place=(("CUB_200_2011/images", "images"), ("CUB_200_2011/bounding_boxes.txt", "bounding_boxes.txt"),
                   ("CUB_200_2011/images.txt", "images.txt"), ("CUB_200_2011/train_test_split.txt", "train_test_split.txt")),
            expect=Expect(counts=(("images/*/*.jpg", 11788), ("images.txt", 1))),
        ),
        *_reed_text("cub", "0B0ywwgffWnLLZW9uVHNjb2JmNlE", "birds", "0B3y_msrWZaXLT1BZdVdycDY5TEE", 11788),
    ),
    notes="Captions and embeddings are on Google Drive (no published checksums): fetch them in a browser, then --from.",
)

FLOWERS102_REED = KnownDataset(
    name="flowers102-reed",
    title="Oxford-102 flowers (8,189 photos, 102 classes) with the ten captions per image of Reed et al. (2016)",
    size="330 MB images + 0.2 GB captions (+ optional StackGAN embeddings)",
    licence="Oxford-102 (Nilsback & Zisserman 2008): research use; captions: Reed et al. 2016, research use",
    homepage="https://www.robots.ox.ac.uk/~vgg/data/flowers/102/",
    archives=(
        Archive(
            part="images",
            filename="102flowers.tgz",
            urls=("https://www.robots.ox.ac.uk/~vgg/data/flowers/102/102flowers.tgz",),
            checksum=Checksum("md5", "52808999861908f626f3c1f4e79d11fa", "torchvision"),
            place=(("jpg", "jpg"),),
            expect=Expect(counts=(("jpg/*.jpg", 8189),)),
        ),
        *_reed_text("flowers", "0B0ywwgffWnLLcms2WWJQRFNSWXM", "flowers", "0B3y_msrWZaXLaUc0UXpmcnhaVmM", 8189),
    ),
    notes="Captions and embeddings are on Google Drive (no published checksums): fetch them in a browser, then --from.",
)


cub200_reed = home_copy(captions_reed, "cub200-reed", CUB200_REED,
                        "CUB-200-2011 birds with Reed et al.'s captions; ``split`` needs StackGAN's file lists (part embeddings).",
                        images="images", text="text_c10")
flowers102_reed = home_copy(captions_reed, "flowers102-reed", FLOWERS102_REED,
                            "Oxford-102 flowers with Reed et al.'s captions; ``split`` needs StackGAN's file lists (part embeddings).",
                            images="jpg", text="text_c10")
