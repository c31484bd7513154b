"""CifarDataSetIterator: CIFAR-10 from its binary batches (the "version for C programs").

Each record of ``data_batch_{1..5}.bin`` / ``test_batch.bin`` is one label byte and
3,072 pixel bytes: the red, green and blue 32x32 planes in row-major order.  That is
already DL4J's ``[C, H, W]`` layout, so a file is read with one ``fromfile`` and a batch
is a row gather plus a float conversion; nothing is decoded per pixel.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from fastiter._validate import SeedLike
from fastiter.datasets.base import PIXEL_MODES, BaseDatasetIterator
from fastiter.datasets.download import Resource, ensure_files, extract_archive
from fastiter.datasets.home import dataset_dir
from fastiter.errors import FormatError

__all__ = ["CifarDataSetIterator", "CIFAR10_ARCHIVE", "CIFAR10_LABELS", "read_cifar_batch"]

#: The official archive; its MD5 is the one printed on the CIFAR page.
CIFAR10_ARCHIVE = Resource(
    "cifar-10-binary.tar.gz",
    "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
    "md5:c32a1d4ab5d03f1284b67883e8d87530",
)
CIFAR10_LABELS = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]
_SUBDIR = "cifar-10-batches-bin"
_TRAIN_FILES = [f"data_batch_{i}.bin" for i in range(1, 6)]
_TEST_FILES = ["test_batch.bin"]
_RECORD = 1 + 3 * 32 * 32


def read_cifar_batch(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """One binary batch file as ``(pixels [N, 3072] uint8, labels [N] uint8)``.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "b.bin")
    >>> rec = np.zeros(3073, np.uint8); rec[0] = 7; rec[1:] = 9
    >>> rec.tofile(p)
    >>> x, y = read_cifar_batch(p)
    >>> x.shape, y.tolist()
    ((1, 3072), [7])
    """
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size == 0 or raw.size % _RECORD:
        raise FormatError(
            f"{path} holds {raw.size} bytes, not a whole number of {_RECORD}-byte CIFAR-10 records"
        )
    table = raw.reshape(-1, _RECORD)
    labels = np.ascontiguousarray(table[:, 0])
    if labels.max() >= 10:
        raise FormatError(f"{path} has label {int(labels.max())}; CIFAR-10 labels are 0..9")
    return np.ascontiguousarray(table[:, 1:]), labels


def _batch_files(folder: Path, train: bool, download: bool) -> list[Path]:
    names = _TRAIN_FILES if train else _TEST_FILES
    sub = folder / _SUBDIR
    if not all((sub / n).is_file() for n in names):
        (archive,) = ensure_files("CIFAR-10", folder, [CIFAR10_ARCHIVE], download=download)
        extract_archive(archive, folder)
    missing = [n for n in names if not (sub / n).is_file()]
    if missing:
        raise FormatError(f"{sub} lacks {missing} after extracting {CIFAR10_ARCHIVE.filename}")
    return [sub / n for n in names]


class CifarDataSetIterator(BaseDatasetIterator):
    """CIFAR-10: features ``[b, 3, 32, 32]`` float32, one-hot labels ``[b, 10]``.

    Parameters
    ----------
    batch : int
        Examples per batch.
    num_examples : int, optional
        Examples per epoch (default all: 50,000 train, 10,000 test).
    train : bool
        The five training batches, or the test batch.
    shuffle : bool
        Shuffle from ``seed`` (default True; a reset reshuffles).
    seed : int
        Default 123, as DL4J.
    pixel_mode : {"raw", "scale"}
        ``"raw"`` keeps 0..255 as DL4J's image record reader does; ``"scale"`` divides by 255.
    data_dir, download
        Folder holding ``cifar-10-batches-bin/`` (default ``FASTITER_DATA_HOME/cifar10``);
        whether to fetch the archive when it is missing.

    Examples
    --------
    >>> it = CifarDataSetIterator(32, train=False)     # doctest: +SKIP
    >>> it.next().features.shape, it.get_labels()[0]   # doctest: +SKIP
    ((32, 3, 32, 32), 'airplane')
    """

    def __init__(
        self,
        batch: int,
        num_examples: int | None = None,
        train: bool = True,
        shuffle: bool = True,
        seed: SeedLike = 123,
        *,
        pixel_mode: str = "raw",
        data_dir: str | os.PathLike | None = None,
        download: bool = True,
    ) -> None:
        if pixel_mode not in PIXEL_MODES:
            raise ValueError(f"pixel_mode must be one of {PIXEL_MODES}, got {pixel_mode!r}")
        folder = dataset_dir("cifar10", data_dir)
        parts = [read_cifar_batch(p) for p in _batch_files(folder, bool(train), download)]
        pixels = np.concatenate([p[0] for p in parts]) if len(parts) > 1 else parts[0][0]
        labels = np.concatenate([p[1] for p in parts]) if len(parts) > 1 else parts[0][1]
        self.train = bool(train)
        super().__init__(
            batch,
            num_examples,
            pixels,
            labels,
            10,
            shuffle=shuffle,
            seed=seed,
            pixel_mode=pixel_mode,
            label_names=list(CIFAR10_LABELS),
            feature_shape=(3, 32, 32),
        )
