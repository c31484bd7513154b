"""UciSequenceDataSetIterator: the UCI synthetic control chart time series.

The UCI file ``synthetic_control.data`` holds 600 lines of 60 numbers; lines
``100k .. 100k+99`` are class ``k`` (normal, cyclic, increasing trend, decreasing trend,
upward shift, downward shift).  DL4J shuffles the 600 lines once with
``java.util.Collections.shuffle(list, new Random(12345))``, writes them as files
``0.csv .. 599.csv`` and uses files 0-449 for training and 450-599 for testing.  That
shuffle is reproduced here exactly (Java's LCG and its ``nextInt`` rejection rule), so
the split holds the same series as DL4J's.

Layout (DL4J's SequenceRecordReaderDataSetIterator): features ``[b, 1, 60]``; the class
is repeated at every step, so labels are ``[b, 6, 60]``, i.e. "one label per series"
written out per time step, with no mask.
"""

from __future__ import annotations

import os

import numpy as np

from fastiter import kernels
from fastiter._validate import SeedLike
from fastiter.datasets.base import BaseDatasetIterator
from fastiter.datasets.download import Resource, ensure_files
from fastiter.datasets.home import dataset_dir
from fastiter.errors import FormatError

__all__ = [
    "UciSequenceDataSetIterator",
    "UCI_RESOURCE",
    "UCI_LABELS",
    "java_shuffle",
    "load_synthetic_control",
]

#: Pinned by the Adler-32 value DL4J's UciSequenceDataFetcher expects for this URL.
UCI_RESOURCE = Resource(
    "synthetic_control.data",
    "https://archive.ics.uci.edu/ml/machine-learning-databases/"
    "synthetic_control-mld/synthetic_control.data",
    "adler32:104392751",
)
UCI_LABELS = [
    "normal",
    "cyclic",
    "increasing_trend",
    "decreasing_trend",
    "upward_shift",
    "downward_shift",
]
NUM_SERIES, NUM_STEPS, NUM_TRAIN = 600, 60, 450
SPLIT_SEED = 12345

_MULT, _ADD, _MASK = 0x5DEECE66D, 0xB, (1 << 48) - 1


class _JavaRandom:
    """java.util.Random's 48-bit LCG: just enough for Collections.shuffle."""

    def __init__(self, seed: int) -> None:
        self._state = (seed ^ _MULT) & _MASK

    def next_bits(self, bits: int) -> int:
        self._state = (self._state * _MULT + _ADD) & _MASK
        value = self._state >> (48 - bits)
        return value - (1 << bits) if bits == 32 and value >= 1 << 31 else value

    def next_int(self, bound: int) -> int:
        if bound & -bound == bound:
            return (bound * self.next_bits(31)) >> 31
        while True:
            bits = self.next_bits(31)
            val = bits % bound
            if bits - val + (bound - 1) < 1 << 31:  # Java rejects when this overflows int
                return val


def java_shuffle(n: int, seed: int) -> np.ndarray:
    """The order ``Collections.shuffle(range(n), new Random(seed))`` produces.

    Examples
    --------
    >>> java_shuffle(5, 12345).tolist() == java_shuffle(5, 12345).tolist()
    True
    >>> sorted(java_shuffle(5, 1).tolist())
    [0, 1, 2, 3, 4]
    """
    rnd, order = _JavaRandom(seed), list(range(n))
    for i in range(n, 1, -1):
        j = rnd.next_int(i)
        order[i - 1], order[j] = order[j], order[i - 1]
    return np.asarray(order, dtype=np.int64)


def load_synthetic_control(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """The raw file as ``(series [600, 60] float32, classes [600] uint8)``, file order."""
    try:
        table = np.loadtxt(path, dtype=np.float32, ndmin=2)
    except ValueError as exc:
        raise FormatError(f"{path} is not whitespace-separated numbers: {exc}") from exc
    if table.shape != (NUM_SERIES, NUM_STEPS):
        raise FormatError(
            f"{path} holds a {table.shape} table; the synthetic control "
            f"data is {NUM_SERIES} lines of {NUM_STEPS} values"
        )
    return table, (np.arange(NUM_SERIES) // 100).astype(np.uint8)


def _sequence_labels(ids: np.ndarray) -> np.ndarray:
    steps = np.repeat(ids[:, None], NUM_STEPS, axis=1)
    return kernels.one_hot(steps, len(UCI_LABELS), dtype=np.float32, axis=1)


class UciSequenceDataSetIterator(BaseDatasetIterator):
    """Synthetic control charts: features ``[b, 1, 60]``, labels ``[b, 6, 60]`` float32.

    Parameters
    ----------
    batch : int
        Series per batch.
    train : bool
        DL4J's files 0-449 (450 series) or 450-599 (150 series).
    shuffle : bool
        Reshuffle the split every epoch from ``seed`` (default False: DL4J's file order).
    seed : int
        Shuffle seed (default 123); the train/test split itself is DL4J's fixed one.
    data_dir, download
        Folder of ``synthetic_control.data`` (default ``FASTITER_DATA_HOME/uci``).

    Examples
    --------
    >>> it = UciSequenceDataSetIterator(32, train=True)     # doctest: +SKIP
    >>> ds = it.next(); ds.features.shape, ds.labels.shape  # doctest: +SKIP
    ((32, 1, 60), (32, 6, 60))
    """

    def __init__(
        self,
        batch: int,
        train: bool = True,
        shuffle: bool = False,
        seed: SeedLike = 123,
        *,
        data_dir: str | os.PathLike | None = None,
        download: bool = True,
    ) -> None:
        folder = dataset_dir("uci", data_dir)
        (path,) = ensure_files("UCI synthetic control", folder, [UCI_RESOURCE], download=download)
        series, classes = load_synthetic_control(path)
        order = java_shuffle(NUM_SERIES, SPLIT_SEED)
        rows = order[:NUM_TRAIN] if train else order[NUM_TRAIN:]
        self.train = bool(train)
        super().__init__(
            batch,
            None,
            series[rows],
            classes[rows],
            len(UCI_LABELS),
            shuffle=shuffle,
            seed=seed,
            label_names=list(UCI_LABELS),
            feature_shape=(1, NUM_STEPS),
            label_fn=_sequence_labels,
        )
