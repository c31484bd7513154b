"""EmnistDataSetIterator: the six EMNIST sets, from their IDX files.

EMNIST ships as one zip (``gzip.zip``) of gzipped IDX files named
``emnist-<set>-<train|test>-<images-idx3|labels-idx1>-ubyte.gz``.  Its images are stored
transposed relative to MNIST (column-major); they are transposed back once at load.
The LETTERS set numbers its classes from 1; they are shifted to start at 0.
"""

from __future__ import annotations

import enum
import functools
import os
import shutil
import string
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from fastiter._validate import SeedLike
from fastiter.datasets.base import BaseDatasetIterator
from fastiter.datasets.download import DatasetNotFoundError, Resource, ensure_files
from fastiter.datasets.home import dataset_dir
from fastiter.datasets.mnist import load_idx_pair

__all__ = ["EmnistDataSetIterator", "EMnistSet", "EMNIST_ZIP"]

#: NIST's distribution of EMNIST.  NIST publishes no digest for it, so it is unpinned.
EMNIST_ZIP = Resource("gzip.zip", "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip")


class EMnistSet(str, enum.Enum):
    """The six EMNIST sets (DL4J's names; the file names are in :attr:`file_key`)."""

    COMPLETE = "complete"
    MERGE = "merge"
    BALANCED = "balanced"
    LETTERS = "letters"
    DIGITS = "digits"
    MNIST = "mnist"

    @property
    def file_key(self) -> str:
        return {"complete": "byclass", "merge": "bymerge"}.get(self.value, self.value)


_MERGED_LOWER = "abdefghnqrt"  # the lowercase letters that keep their own class
_LABELS = {
    EMnistSet.COMPLETE: string.digits + string.ascii_uppercase + string.ascii_lowercase,
    EMnistSet.MERGE: string.digits + string.ascii_uppercase + _MERGED_LOWER,
    EMnistSet.BALANCED: string.digits + string.ascii_uppercase + _MERGED_LOWER,
    EMnistSet.LETTERS: string.ascii_uppercase,
    EMnistSet.DIGITS: string.digits,
    EMnistSet.MNIST: string.digits,
}
# Counts of the published files (Cohen et al. 2017).  DL4J's constants list 88,800 /
# 14,800 for LETTERS, which is not what the files hold; these match the files.
_COUNTS = {
    EMnistSet.COMPLETE: (697_932, 116_323),
    EMnistSet.MERGE: (697_932, 116_323),
    EMnistSet.BALANCED: (112_800, 18_800),
    EMnistSet.LETTERS: (124_800, 20_800),
    EMnistSet.DIGITS: (240_000, 40_000),
    EMnistSet.MNIST: (60_000, 10_000),
}
_BALANCED = {EMnistSet.BALANCED, EMnistSet.DIGITS, EMnistSet.MNIST}


def _as_set(value: EMnistSet | str) -> EMnistSet:
    if isinstance(value, EMnistSet):
        return value
    aliases = {"byclass": "complete", "bymerge": "merge"}
    key = aliases.get(str(value).lower(), str(value).lower())
    try:
        return EMnistSet(key)
    except ValueError:
        raise ValueError(
            f"set must be one of {[s.value for s in EMnistSet]} (or byclass, "
            f"bymerge), got {value!r}"
        ) from None


def _file_names(s: EMnistSet, train: bool) -> tuple[str, str]:
    part = "train" if train else "test"
    stem = f"emnist-{s.file_key}-{part}"
    return f"{stem}-images-idx3-ubyte.gz", f"{stem}-labels-idx1-ubyte.gz"


def _extract(zip_path: Path, names: tuple[str, ...], folder: Path) -> None:
    """Copy ``names`` out of NIST's zip (they sit under ``gzip/``) atomically into folder."""
    with zipfile.ZipFile(zip_path) as zf:
        members = {Path(m).name: m for m in zf.namelist()}
        for name in names:
            if name not in members:
                raise DatasetNotFoundError(
                    f"{zip_path} holds no {name}; it is not NIST's EMNIST gzip.zip"
                )
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=name, suffix=".tmp")
            with os.fdopen(fd, "wb") as out, zf.open(members[name]) as src:
                shutil.copyfileobj(src, out)
            os.replace(tmp, folder / name)


def _ensure(s: EMnistSet, train: bool, folder: Path, download: bool) -> tuple[Path, Path]:
    names = _file_names(s, train)
    plain = [folder / n.removesuffix(".gz") for n in names]
    paths = [folder / n if (folder / n).is_file() else p for n, p in zip(names, plain)]
    if all(p.is_file() for p in paths):
        return paths[0], paths[1]
    try:
        (zip_path,) = ensure_files("EMNIST", folder, [EMNIST_ZIP], download=download)
    except DatasetNotFoundError as exc:
        raise DatasetNotFoundError(
            f"EMNIST {s.value} needs {names[0]} and {names[1]} in "
            f"{folder} (or NIST's gzip.zip there, which holds them)."
            f"\n{exc}"
        ) from exc
    _extract(zip_path, names, folder)
    return folder / names[0], folder / names[1]


class _per_set:
    """A static helper taking a set, which an instance calls with no argument for its own."""

    def __init__(self, fn):
        self._fn = fn
        self.__doc__ = fn.__doc__

    def __get__(self, obj, cls=None):
        if obj is None:
            return self._fn
        return functools.partial(self._fn, obj.set)


class EmnistDataSetIterator(BaseDatasetIterator):
    """EMNIST letters and digits: features ``[b, 784]`` float32, one-hot labels.

    Parameters
    ----------
    set : EMnistSet or str
        ``complete`` (ByClass, 62 classes), ``merge`` (ByMerge, 47), ``balanced`` (47),
        ``letters`` (26), ``digits`` (10) or ``mnist`` (10).
    batch : int
        Examples per batch.
    train : bool
        Training or test split.
    seed : int
        Shuffle seed (default 123).
    binarize, shuffle, num_examples, flatten, data_dir, download
        As for :class:`MnistDataSetIterator` (shuffle defaults to True, as DL4J's).

    Examples
    --------
    >>> EmnistDataSetIterator.num_labels("balanced"), EmnistDataSetIterator.is_balanced("letters")
    (47, False)
    >>> EmnistDataSetIterator.get_labels_for("letters")[:3]
    ['A', 'B', 'C']
    >>> it = EmnistDataSetIterator("digits", 32, train=False)       # doctest: +SKIP
    >>> it.num_labels(), it.num_examples_test(), it.get_labels()[:2]  # doctest: +SKIP
    (10, 40000, ['0', '1'])
    """

    # ``set`` shadows the builtin on purpose: it is DL4J's parameter name, which users pass
    # as a keyword here and to the per-set methods below
    def __init__(
        self,
        set: EMnistSet | str,
        batch: int,
        train: bool = True,
        seed: SeedLike = 123,
        *,
        binarize: bool = False,
        shuffle: bool = True,
        num_examples: int | None = None,
        flatten: bool = True,
        data_dir: str | os.PathLike | None = None,
        download: bool = True,
    ) -> None:
        s = _as_set(set)
        folder = dataset_dir("emnist", data_dir)
        img, lab = _ensure(s, bool(train), folder, download)
        images, labels = load_idx_pair(img, lab)
        # stored column-major: one vectorised transpose of the whole table
        images = np.ascontiguousarray(images.transpose(0, 2, 1))
        if s is EMnistSet.LETTERS:
            labels = (labels - 1).astype(np.uint8)
        self.set, self.train = s, bool(train)
        h, w = images.shape[1:]
        super().__init__(
            batch,
            num_examples,
            images.reshape(len(images), -1),
            labels,
            self.num_labels(),
            shuffle=shuffle,
            seed=seed,
            pixel_mode="binarize" if binarize else "scale",
            label_names=self.get_labels_for(),
            feature_shape=(h * w,) if flatten else (1, h, w),
        )

    @_per_set
    def num_labels(set: EMnistSet | str) -> int:
        """Number of classes of ``set``."""
        return len(_LABELS[_as_set(set)])

    @_per_set
    def num_examples_train(set: EMnistSet | str) -> int:
        """Training examples in ``set``'s published files."""
        return _COUNTS[_as_set(set)][0]

    @_per_set
    def num_examples_test(set: EMnistSet | str) -> int:
        """Test examples in ``set``'s published files."""
        return _COUNTS[_as_set(set)][1]

    @_per_set
    def get_labels_for(set: EMnistSet | str) -> list[str]:
        """The character of each class index of ``set``."""
        return list(_LABELS[_as_set(set)])

    @_per_set
    def is_balanced(set: EMnistSet | str) -> bool:
        """Whether every class of ``set`` has the same number of examples."""
        return _as_set(set) in _BALANCED

    def total_examples(self) -> int:
        """Examples in the chosen split's files (DL4J's totalExamples)."""
        return len(self._class_ids)  # one per example, checked at construction
