"""MNIST from IDX files to batches: ``MnistDataSetIterator`` against a plain numpy reader
(bench/bench_datasets.py runs it).

The data is 60,000 random 28x28 images (pixels 1..255, so no all-zero pages) and labels
written as real (uncompressed) IDX files in a temporary folder.  Both sides produce, for
every batch of a shuffled epoch, float32 features scaled to [0, 1] and float32 one-hot
labels; the ceiling copies the same float32 feature bytes batch by batch.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from itertools import count
from pathlib import Path

import numpy as np

from fastiter.bench._sizes import pick
from fastiter.bench.core import Case

__all__ = ["cases", "numpy_reader", "numpy_epoch", "BATCH", "SEED"]

BATCH, SEED = 128, 123


def numpy_reader(folder: Path, n: int) -> tuple[np.ndarray, np.ndarray]:
    """What one writes without a library: read the IDX payloads."""
    x = np.fromfile(folder / "train-images-idx3-ubyte", np.uint8, offset=16).reshape(n, 784)
    y = np.fromfile(folder / "train-labels-idx1-ubyte", np.uint8, offset=8)
    return x, y


def numpy_epoch(x: np.ndarray, y: np.ndarray, epoch: int) -> float:
    """A shuffled epoch by fancy indexing, scaled and one-hot like fastiter's batches."""
    order = np.random.default_rng([SEED, epoch]).permutation(len(x))
    eye = np.eye(10, dtype=np.float32)
    total = 0.0
    for lo in range(0, len(x), BATCH):
        idx = order[lo : lo + BATCH]
        feats = x[idx].astype(np.float32) / 255.0
        labels = eye[y[idx]]
        total += feats[0, 0] + labels[0, 0]
    return total


def cases(size: str = "full") -> list[Case]:
    """One shuffled MNIST epoch, batch 128.

    >>> [c.key for c in cases("smoke")]
    ['mnist epoch']
    """
    from fastiter.datasets import MnistDataSetIterator, write_idx

    n = pick(size, 60_000, 60_000, 2_000)
    folder = Path(tempfile.mkdtemp(prefix="fastiter-bench-mnist-"))
    atexit.register(shutil.rmtree, folder, True)
    rng = np.random.default_rng(2026)
    write_idx(folder / "train-images-idx3-ubyte", rng.integers(1, 256, (n, 28, 28), dtype=np.uint8))
    write_idx(folder / "train-labels-idx1-ubyte", rng.integers(0, 10, n).astype(np.uint8))
    it = MnistDataSetIterator(BATCH, train=True, seed=SEED, data_dir=folder)
    x, y = numpy_reader(folder, n)
    epochs = count(1)
    src = np.random.default_rng(1).random((n, 784), dtype=np.float32) + 0.5
    out = np.empty((BATCH, 784), np.float32)

    def fastiter_epoch() -> float:
        total = 0.0
        for ds in it:  # a new epoch (reshuffled) each time
            bx, by = ds.features, ds.labels
            assert bx is not None and by is not None  # MNIST batches carry both
            total += bx[0, 0] + by[0, 0]
        return total

    def copy_epoch() -> None:
        for lo in range(0, n - BATCH + 1, BATCH):
            np.copyto(out, src[lo : lo + BATCH])

    def check() -> None:  # every image once per epoch, scaled to [0, 1], one-hot labels
        batches = list(it)
        seen = np.concatenate([ds.features for ds in batches])
        labels = np.concatenate([ds.labels for ds in batches])
        assert seen.shape == (n, 784) and seen.dtype == np.float32
        np.testing.assert_array_equal(labels.sum(1), 1)
        np.testing.assert_array_equal(np.sort(labels.argmax(1)), np.sort(y))
        np.testing.assert_allclose(
            np.sort(seen[:, 0]), np.sort(x[:, 0].astype(np.float32) / 255), rtol=1e-6
        )

    return [
        Case(
            f"MNIST epoch, {n} IDX images, batch {BATCH}, shuffled",
            fastiter_epoch,
            {"numpy fancy indexing": lambda: numpy_epoch(x, y, next(epochs))},
            n * 784 * 4,
            ceiling=copy_epoch,
            key="mnist epoch",
            check=check,
        )
    ]
