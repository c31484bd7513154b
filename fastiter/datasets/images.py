"""Image-folder datasets: Tiny ImageNet and LFW, decoded by Pillow into ``[N, C, H, W]``.

The class of an image is the name of its folder (DL4J's ParentPathLabelGenerator).
Each batch decodes its files independently, so ``_batch_at`` is thread-safe and an
async wrapper's workers decode in parallel (Pillow releases the GIL while decoding and
resizing).  Per-image arrays are stacked into one ``[b, H, W, C]`` uint8 block, which a
single numpy copy turns into float32 ``[b, C, H, W]``: no per-pixel Python.
Pixel values stay 0..255, as DL4J's ImageRecordReader gives them (``pixel_mode="scale"``
divides by 255).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from fastiter import kernels
from fastiter._validate import SeedLike, is_int, seed_key
from fastiter.datasets.base import PIXEL_MODES, BaseDatasetIterator, pixels_to_float
from fastiter.datasets.download import Resource, ensure_files, extract_archive
from fastiter.datasets.home import dataset_dir
from fastiter.errors import FormatError

__all__ = [
    "ImageFolderIterator",
    "TinyImageNetDataSetIterator",
    "LFWDataSetIterator",
    "TINY_IMAGENET_ARCHIVE",
    "LFW_ARCHIVE",
    "LFW_SUBSET_ARCHIVE",
    "decode_image",
]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".ppm", ".pgm", ".tif", ".tiff")

# MD5s as published by the dataset pages and pinned by torchvision; the LFW subset
# archive DL4J uses has no published digest.
TINY_IMAGENET_ARCHIVE = Resource(
    "tiny-imagenet-200.zip",
    "http://cs231n.stanford.edu/tiny-imagenet-200.zip",
    "md5:90528d7ca1a48142e341f4ef8d21d0de",
)
LFW_ARCHIVE = Resource(
    "lfw.tgz", "http://vis-www.cs.umass.edu/lfw/lfw.tgz", "md5:a17d05bd522c52d84eca14327a23d494"
)
LFW_SUBSET_ARCHIVE = Resource("lfw-a.tgz", "http://vis-www.cs.umass.edu/lfw/lfw-a.tgz")


def _pillow():
    try:
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - pillow is in the test extra
        raise ImportError(
            "the image-folder datasets decode with Pillow, which is not "
            "installed: pip install 'fastiter[images]'"
        ) from exc
    return Image


def decode_image(path: str | os.PathLike, height: int, width: int, channels: int) -> np.ndarray:
    """Decode one image file to uint8 ``[height, width, channels]`` (resized if needed)."""
    image_mod = _pillow()
    with image_mod.open(path) as im:
        im = im.convert("RGB" if channels == 3 else "L")
        if im.size != (width, height):
            im = im.resize((width, height), image_mod.Resampling.BILINEAR)
        arr = np.asarray(im, dtype=np.uint8)
    return arr.reshape(height, width, channels)


def _check_dim(img_dim: Sequence[int]) -> tuple[int, int, int]:
    dims = tuple(img_dim)
    if len(dims) != 3 or any(not is_int(d) or d < 1 for d in dims) or dims[2] not in (1, 3):
        raise ValueError(
            f"img_dim must be (height, width, channels) with positive sizes "
            f"and 1 or 3 channels, got {img_dim!r}"
        )
    return int(dims[0]), int(dims[1]), int(dims[2])


def list_class_folders(root: Path) -> tuple[list[Path], list[str]]:
    """Image files under ``root/<class>/...`` (sorted) and each file's class folder name."""
    files, classes = [], []
    for cls in sorted(p for p in root.iterdir() if p.is_dir()):
        for f in sorted(cls.rglob("*")):
            if f.suffix.lower() in IMAGE_SUFFIXES and f.is_file():
                files.append(f)
                classes.append(cls.name)
    return files, classes


class ImageFolderIterator(BaseDatasetIterator):
    """Batches of decoded image files: features ``[b, C, H, W]`` float32, one-hot labels.

    Parameters
    ----------
    batch : int
        Images per batch.
    files : sequence of paths
        The images, in the epoch's base order.
    class_ids : sequence of int
        Class of each file.
    label_names : list of str
        Name of each class.
    img_dim : (height, width, channels)
        Output size; images are resized (bilinear) and converted to RGB or grey.
    shuffle, seed, num_examples, pixel_mode
        As for :class:`BaseDatasetIterator`.

    Examples
    --------
    >>> it = ImageFolderIterator(2, ["a.png", "b.png"], [0, 1], ["a", "b"], (8, 8, 3))
    >>> it.num_batches(), it.total_outcomes()
    (1, 2)
    """

    def __init__(
        self,
        batch: int,
        files: Sequence[str | os.PathLike],
        class_ids: Sequence[int],
        label_names: Sequence[str],
        img_dim: Sequence[int],
        *,
        shuffle: bool = False,
        seed: SeedLike = 123,
        num_examples: int | None = None,
        pixel_mode: str = "raw",
    ) -> None:
        if pixel_mode not in PIXEL_MODES:
            raise ValueError(f"pixel_mode must be one of {PIXEL_MODES}, got {pixel_mode!r}")
        h, w, c = _check_dim(img_dim)
        self._files = [os.fspath(f) for f in files]
        self._img_dim = (h, w, c)
        ids = np.asarray(class_ids, dtype=np.int64)
        super().__init__(
            batch,
            num_examples,
            None,
            ids,
            len(label_names),
            shuffle=shuffle,
            seed=seed,
            pixel_mode=pixel_mode,
            label_names=list(label_names),
            feature_shape=(c, h, w),
        )

    def _features_for(self, index: np.ndarray) -> np.ndarray:
        h, w, c = self._img_dim
        block = kernels.collate([decode_image(self._files[i], h, w, c) for i in index])
        out = np.empty((len(index), c, h, w), np.float32)
        return pixels_to_float(block.transpose(0, 3, 1, 2), self._pixel_mode, out=out)

    def files(self) -> list[str]:
        """The image files of this iterator, in base (unshuffled) order."""
        return list(self._files)


def _read_wnids(root: Path) -> list[str]:
    listing = root / "wnids.txt"
    if listing.is_file():
        return sorted(line.strip() for line in listing.read_text().splitlines() if line.strip())
    return sorted(p.name for p in (root / "train").iterdir() if p.is_dir())


def _tiny_val(root: Path, index: dict[str, int]) -> tuple[list[Path], list[int]]:
    val = root / "val"
    notes = val / "val_annotations.txt"
    if notes.is_file():  # the published layout: val/images/*.JPEG + a table of classes
        files, ids = [], []
        for line in notes.read_text().splitlines():
            parts = line.split("\t")
            if len(parts) >= 2 and parts[1] in index:
                files.append(val / "images" / parts[0])
                ids.append(index[parts[1]])
        return files, ids
    found, names = list_class_folders(val)
    return found, [index[n] for n in names]


class TinyImageNetDataSetIterator(ImageFolderIterator):
    """Tiny ImageNet (200 classes, 64x64x3): features ``[b, 3, 64, 64]``, one-hot ``[b, 200]``.

    Parameters
    ----------
    batch : int
        Images per batch.
    train : bool
        ``train/<wnid>/images/*.JPEG`` (500 per class), or the validation set (``val/``,
        classes from ``val_annotations.txt``), which DL4J uses as its test split.
    seed : int
        Shuffle seed (default 123); ``shuffle`` reshuffles every epoch.
    img_dim : (height, width, channels)
        Default ``(64, 64, 3)``.
    num_examples, pixel_mode, data_dir, download
        As for :class:`CifarDataSetIterator`; data lives in
        ``FASTITER_DATA_HOME/tinyimagenet/tiny-imagenet-200``.

    Examples
    --------
    >>> it = TinyImageNetDataSetIterator(32)           # doctest: +SKIP
    >>> it.next().features.shape                       # doctest: +SKIP
    (32, 3, 64, 64)
    """

    def __init__(
        self,
        batch: int,
        train: bool = True,
        seed: SeedLike = 123,
        *,
        shuffle: bool = True,
        img_dim: Sequence[int] = (64, 64, 3),
        num_examples: int | None = None,
        pixel_mode: str = "raw",
        data_dir: str | os.PathLike | None = None,
        download: bool = True,
    ) -> None:
        folder = dataset_dir("tinyimagenet", data_dir)
        root = folder / "tiny-imagenet-200"
        if not (root / "train").is_dir():
            (archive,) = ensure_files(
                "Tiny ImageNet", folder, [TINY_IMAGENET_ARCHIVE], download=download
            )
            extract_archive(archive, folder)
        wnids = _read_wnids(root)
        index = {w: i for i, w in enumerate(wnids)}
        if train:
            files, names = list_class_folders(root / "train")
            ids = [index[n] for n in names]
        else:
            files, ids = _tiny_val(root, index)
        if not files:
            raise FormatError(
                f"no images found for the {'train' if train else 'val'} split under {root}"
            )
        self.train = bool(train)
        super().__init__(
            batch,
            files,
            ids,
            wnids,
            img_dim,
            shuffle=shuffle,
            seed=seed,
            num_examples=num_examples,
            pixel_mode=pixel_mode,
        )


class LFWDataSetIterator(ImageFolderIterator):
    """Labeled Faces in the Wild: one class per person, features ``[b, C, H, W]``.

    Parameters
    ----------
    batch : int
        Images per batch.
    num_examples : int, optional
        How many images to draw (default all: 13,233, or 1,054 with ``use_subset``).
    img_dim : (height, width, channels)
        Output size, default ``(250, 250, 3)``; images are resized to it.
    use_subset : bool
        DL4J's small subset (``lfw-a``: 1,054 images of 432 people) instead of the full set.
    train : bool
        Which side of the split to iterate.
    split_train_test : float
        Fraction in the training side, in ``(0, 1]`` (default 1: every image is train).
    seed : int
        Seeds the draw of ``num_examples`` images and the split (default 123), so train
        and test iterators built with the same arguments are disjoint.
    shuffle : bool
        Also reshuffle every epoch (default False, as DL4J's record-reader iterator).
    pixel_mode, data_dir, download
        As for :class:`TinyImageNetDataSetIterator`; data lives in
        ``FASTITER_DATA_HOME/lfw/lfw`` (``lfw-a`` for the subset).

    Notes
    -----
    Labels are the sorted person folders found on disk; DL4J's BalancedPathFilter
    (which evens out images per person) is not reproduced: the draw is uniform.

    Examples
    --------
    >>> it = LFWDataSetIterator(16, 100, (64, 64, 3), split_train_test=0.8)  # doctest: +SKIP
    >>> it.next().features.shape                                             # doctest: +SKIP
    (16, 3, 64, 64)
    """

    NUM_IMAGES, NUM_LABELS = 13_233, 5_749
    SUB_NUM_IMAGES, SUB_NUM_LABELS = 1_054, 432

    def __init__(
        self,
        batch: int,
        num_examples: int | None = None,
        img_dim: Sequence[int] = (250, 250, 3),
        use_subset: bool = False,
        train: bool = True,
        split_train_test: float = 1.0,
        seed: SeedLike = 123,
        *,
        shuffle: bool = False,
        pixel_mode: str = "raw",
        data_dir: str | os.PathLike | None = None,
        download: bool = True,
    ) -> None:
        split = float(split_train_test)
        if not 0.0 < split <= 1.0:
            raise ValueError(f"split_train_test must be in (0, 1], got {split_train_test!r}")
        folder = dataset_dir("lfw", data_dir)
        name, res = ("lfw-a", LFW_SUBSET_ARCHIVE) if use_subset else ("lfw", LFW_ARCHIVE)
        root = folder / name
        if not root.is_dir():
            (archive,) = ensure_files("LFW", folder, [res], download=download)
            extract_archive(archive, folder)
        files, names = list_class_folders(root)
        if not files:
            raise FormatError(f"no images found under {root} (expected <person>/<image>)")
        labels = sorted(set(names))
        index = {n: i for i, n in enumerate(labels)}
        # The draw and the split come from the seed alone, so train and test agree.
        seed = seed_key("seed", seed)  # once: a Generator would give the base another key
        pick = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 7])))
        order = pick.permutation(len(files))
        n = (
            len(files)
            if num_examples is None or num_examples < 0
            else min(int(num_examples), len(files))
        )
        cut = int(round(n * split))
        chosen = order[:cut] if train else order[cut:n]
        self.train, self.use_subset = bool(train), bool(use_subset)
        super().__init__(
            batch,
            [files[i] for i in chosen],
            [index[names[i]] for i in chosen],
            labels,
            img_dim,
            shuffle=shuffle,
            seed=seed,
            pixel_mode=pixel_mode,
        )
