"""Data-object and in-memory iterator cases: a shuffled epoch and an HDF5 DataSet round
trip (bench/bench_dataset.py runs them)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from typing import Any

import numpy as np

from fastiter.bench._sizes import pick
from fastiter.bench.core import Case, optional

__all__ = ["cases"]


def _shuffled_epoch_case(size: str) -> Case:
    from fastiter.iterators.array import ArrayDataSetIterator

    n, f, batch = pick(size, 1_000_000, 100_000, 15_625), 64, 1024
    rng = np.random.default_rng(2026)
    x = rng.normal(1.0, 1.0, (n, f)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, n)]
    it = ArrayDataSetIterator(x, y, batch_size=batch, shuffle=True, seed=1)
    perm = rng.permutation(n)
    dx, dy = np.empty_like(x), np.empty_like(y)
    torch = optional("torch")

    def numpy_epoch() -> None:
        for lo in range(0, n, batch):
            x[perm[lo : lo + batch]], y[perm[lo : lo + batch]]

    def torch_epoch() -> None:
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        order = torch.randperm(n, generator=torch.Generator().manual_seed(1))
        for lo in range(0, n, batch):
            idx = order[lo : lo + batch]
            tx.index_select(0, idx), ty.index_select(0, idx)

    def copy_both() -> None:
        np.copyto(dx, x)
        np.copyto(dy, y)

    return Case(
        f"shuffled epoch {n}x{f} f32, batch {batch}",
        lambda: sum(len(b) for b in it),
        {"numpy fancy index": numpy_epoch, "torch index_select": torch_epoch if torch else None},
        x.nbytes + y.nbytes,
        ceiling=copy_both,
        key="shuffled epoch",
        check=lambda: _check_epoch(it, x, n),
    )


def _check_epoch(it: Any, x: np.ndarray, n: int) -> None:
    """One epoch visits every row once, in an order that is not the stored one."""
    got = np.concatenate([b.features for b in it])
    assert got.shape == x.shape and not np.array_equal(got, x)
    np.testing.assert_array_equal(np.sort(got[:, 0]), np.sort(x[:, 0]))


def _save_load_case(size: str, folder: str) -> Case:
    from fastiter.dataset import DataSet

    n = pick(size, 200_000, 20_000, 3_000)
    rng = np.random.default_rng(2027)
    features = rng.normal(1.0, 1.0, (n, 128)).astype(np.float32)
    labels = np.eye(10, dtype=np.float32)[rng.integers(0, 10, n)]
    ds = DataSet(features, labels)
    h5, npz, raw = (os.path.join(folder, name) for name in ("ds.h5", "ds.npz", "raw.bin"))

    def fastiter_round_trip() -> None:
        ds.save(h5, overwrite=True)
        DataSet.load(h5)

    def npz_round_trip() -> None:
        np.savez(npz, features=features, labels=labels)
        with np.load(npz) as z:
            z["features"], z["labels"]

    def raw_round_trip() -> None:
        with open(raw, "wb") as fh:
            fh.write(features.data)
            fh.write(labels.data)
        with open(raw, "rb") as fh:
            fh.read()

    return Case(
        f"DataSet save+load {n}x128 f32",
        fastiter_round_trip,
        {"numpy savez+load": npz_round_trip},
        2 * ds.memory_footprint(),
        ceiling=raw_round_trip,
        notes=["HDF5 via h5py, atomic rename, no pickle"],
        key="DataSet save+load",
        check=lambda: _check_round_trip(ds, h5),
    )


def _check_round_trip(ds: Any, path: str) -> None:
    from fastiter.dataset import DataSet

    ds.save(path, overwrite=True)
    assert DataSet.load(path) == ds


def cases(size: str = "full") -> list[Case]:
    """A shuffled in-memory epoch and an HDF5 DataSet round trip, against their peers.

    >>> [c.key for c in cases("smoke")]
    ['shuffled epoch', 'DataSet save+load']
    """
    folder = tempfile.mkdtemp(prefix="fastiter-bench-")
    atexit.register(shutil.rmtree, folder, True)
    return [_shuffled_epoch_case(size), _save_load_case(size, folder)]
