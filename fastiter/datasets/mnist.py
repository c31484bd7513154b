"""MnistDataSetIterator: the MNIST digits from their IDX files (gzipped or not)."""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from fastiter._validate import SeedLike, is_int, seed_key
from fastiter.datasets.base import BaseDatasetIterator
from fastiter.datasets.download import Resource, ensure_files
from fastiter.datasets.home import dataset_dir
from fastiter.datasets.idx import read_idx
from fastiter.errors import FormatError

__all__ = ["MnistDataSetIterator", "MNIST_RESOURCES", "load_idx_pair"]

# torchvision's mirror of yann.lecun.com/exdb/mnist (which now refuses most clients);
# the MD5s are the ones published with the files and pinned by torchvision.
_MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
MNIST_RESOURCES = {
    True: (
        Resource(
            "train-images-idx3-ubyte.gz",
            _MNIST_URL + "train-images-idx3-ubyte.gz",
            "md5:f68b3c2dcbeaaa9fbdd348bbdeb94873",
        ),
        Resource(
            "train-labels-idx1-ubyte.gz",
            _MNIST_URL + "train-labels-idx1-ubyte.gz",
            "md5:d53e105ee54ea40749a09fcbcd1e9432",
        ),
    ),
    False: (
        Resource(
            "t10k-images-idx3-ubyte.gz",
            _MNIST_URL + "t10k-images-idx3-ubyte.gz",
            "md5:9fb629c4189551a2d022fa330f9573f3",
        ),
        Resource(
            "t10k-labels-idx1-ubyte.gz",
            _MNIST_URL + "t10k-labels-idx1-ubyte.gz",
            "md5:ec29112dd5afa0611ce80d1b7f02629c",
        ),
    ),
}
NUM_TRAIN, NUM_TEST = 60_000, 10_000


def _find_or_fetch(
    name: str, folder: Path, resources: Sequence[Resource], download: bool
) -> list[Path]:
    """Each resource's path, preferring a gunzipped copy (the name without .gz), which is
    made once from the .gz (as DL4J's fetcher extracts its downloads)."""
    found: list[Path | None] = []
    for r in resources:
        plain = folder / r.filename.removesuffix(".gz")
        found.append(
            plain
            if plain.is_file()
            else folder / r.filename
            if (folder / r.filename).is_file()
            else None
        )
    fetched: Iterator[Path] = iter(())
    if not all(p is not None for p in found):
        fetched = iter(
            ensure_files(
                name, folder, [r for r, p in zip(resources, found) if p is None], download=download
            )
        )
    return [_extracted(p if p is not None else next(fetched)) for p in found]


def _extracted(path: Path) -> Path:
    """The plain copy of a .gz file, written beside it atomically on first use.

    A plain IDX file opens by memory-mapping (about 1 ms for MNIST's 47 MB) where the
    .gz must be decompressed on every open (about 100 ms).  When the folder is read-only
    or the .gz is damaged, the .gz itself is returned (reading it then names the damage).
    """
    if path.suffix != ".gz":
        return path
    plain = path.with_suffix("")
    fd, tmp = -1, None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=plain.name, suffix=".tmp")
        with os.fdopen(fd, "wb") as out, gzip.open(path, "rb") as src:
            fd = -1
            shutil.copyfileobj(src, out, 1 << 20)
        os.replace(tmp, plain)
        return plain
    except (OSError, EOFError, zlib.error):
        if fd >= 0:
            os.close(fd)
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        return path


def load_idx_pair(
    images: str | os.PathLike, labels: str | os.PathLike
) -> tuple[np.ndarray, np.ndarray]:
    """Read an images IDX ``[N, H, W]`` uint8 and its labels IDX ``[N]``; check they agree."""
    x, y = read_idx(images), read_idx(labels)
    if x.dtype != np.uint8 or x.ndim != 3:
        raise FormatError(
            f"{images} must hold uint8 images [N, H, W], got {x.dtype} of shape {x.shape}"
        )
    if y.ndim != 1 or y.dtype != np.uint8:
        raise FormatError(f"{labels} must hold uint8 labels [N], got {y.dtype} {y.shape}")
    if len(x) != len(y):
        raise FormatError(f"{images} holds {len(x)} images but {labels} holds {len(y)} labels")
    return x, y


def _resolve_forms(num_examples, binarize, train, shuffle, seed):
    """DL4J's overloads: (batch, num_examples) unshuffled, (batch, train, seed) shuffled."""
    if isinstance(num_examples, (bool, np.bool_)):
        train = bool(num_examples)
        if is_int(binarize):
            seed = int(binarize)
        num_examples, binarize = None, False
        shuffle = True if shuffle is None else shuffle
    if shuffle is None:
        shuffle = num_examples is None
    if num_examples is not None and not is_int(num_examples):
        raise TypeError(f"num_examples must be an integer or None, got {num_examples!r}")
    return num_examples, bool(binarize), bool(train), bool(shuffle), seed_key("seed", seed)


class MnistDataSetIterator(BaseDatasetIterator):
    """MNIST handwritten digits: features ``[b, 784]`` float32, labels one-hot ``[b, 10]``.

    Parameters
    ----------
    batch : int
        Examples per batch.
    num_examples : int, optional
        Examples per epoch (default all: 60,000 train, 10,000 test).  DL4J's
        ``(batch, train, seed)`` form is accepted too: a bool here is ``train`` and the
        next positional integer is ``seed``.
    binarize : bool
        ``pixel > 30 -> 1, else 0`` (DL4J's MnistDataFetcher); otherwise ``pixel / 255``.
    train : bool
        The 60,000 training images, or the 10,000 test images.
    shuffle : bool, optional
        Default: False when ``num_examples`` is given (DL4J's ``(batch, num_examples)``),
        True otherwise (DL4J's ``(batch, train, seed)``).  A subset is drawn at random
        and each reset reshuffles that same subset.
    seed : int
        Seed of the shuffle (DL4J's default 123).
    flatten : bool
        ``[b, 784]`` (default) or ``[b, 1, 28, 28]``.
    data_dir : path, optional
        Folder of the IDX files; default ``FASTITER_DATA_HOME/mnist``.  ``.gz`` files
        are extracted beside themselves on first use (as DL4J's fetcher does), so later
        opens memory-map the plain files.
    download : bool
        Fetch missing files (checksummed); False raises :class:`DatasetNotFoundError`.

    Examples
    --------
    >>> it = MnistDataSetIterator(64, train=False, seed=123)   # doctest: +SKIP
    >>> it.next().features.shape                               # doctest: +SKIP
    (64, 784)
    """

    def __init__(
        self,
        batch: int,
        num_examples: int | bool | None = None,
        binarize: bool | int = False,
        train: bool = True,
        shuffle: bool | None = None,
        seed: SeedLike = 123,
        *,
        flatten: bool = True,
        data_dir: str | os.PathLike | None = None,
        download: bool = True,
    ) -> None:
        num_examples, binarize, train, shuffle, seed = _resolve_forms(
            num_examples, binarize, train, shuffle, seed
        )
        folder = dataset_dir("mnist", data_dir)
        img_path, lab_path = _find_or_fetch("MNIST", folder, MNIST_RESOURCES[train], download)
        images, labels = load_idx_pair(img_path, lab_path)
        mode = "binarize" if binarize else "scale"
        # Pixels stay uint8 and convert per batch: measured faster than gathering rows
        # of a table converted up front (4x the bytes to fetch from random places).
        table = images.reshape(len(images), -1)
        h, w = images.shape[1:]
        self.train = train
        super().__init__(
            batch,
            num_examples,
            table,
            labels,
            10,
            shuffle=shuffle,
            seed=seed,
            pixel_mode=mode,
            label_names=[str(d) for d in range(10)],
            feature_shape=(h * w,) if flatten else (1, h, w),
        )
