"""``fastiter bench`` cases for the data objects and in-memory iterators (the pytest twin
is bench/bench_dataset.py)."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from typing import Any

import numpy as np

__all__ = ["cases"]


def _shuffled_epoch_case(quick: bool) -> Any:
    from fastiter.benchmark import Case, _optional
    from fastiter.iterators.array import ArrayDataSetIterator

    n, f, batch = (100_000 if quick else 1_000_000), 64, 1024
    rng = np.random.default_rng(2026)
    x = rng.normal(1.0, 1.0, (n, f)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, n)]
    it = ArrayDataSetIterator(x, y, batch_size=batch, shuffle=True, seed=1)
    perm = rng.permutation(n)
    dx, dy = np.empty_like(x), np.empty_like(y)
    torch = _optional("torch")

    def numpy_epoch() -> None:
        for lo in range(0, n, batch):
            x[perm[lo:lo + batch]], y[perm[lo:lo + batch]]

    def torch_epoch() -> None:
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        order = torch.randperm(n, generator=torch.Generator().manual_seed(1))
        for lo in range(0, n, batch):
            idx = order[lo:lo + batch]
            tx.index_select(0, idx), ty.index_select(0, idx)

    return Case(f"shuffled epoch {n}x{f} f32, batch {batch}",
                lambda: sum(len(b) for b in it),
                {"numpy fancy index": numpy_epoch,
                 "torch index_select": torch_epoch if torch else None},
                x.nbytes + y.nbytes, ceiling=lambda: (np.copyto(dx, x), np.copyto(dy, y)))


def _save_load_case(quick: bool, folder: str) -> Any:
    from fastiter.benchmark import Case
    from fastiter.dataset import DataSet

    n = 20_000 if quick else 200_000
    rng = np.random.default_rng(2027)
    ds = DataSet(rng.normal(1.0, 1.0, (n, 128)).astype(np.float32),
                 np.eye(10, dtype=np.float32)[rng.integers(0, 10, n)])
    h5, npz, raw = (os.path.join(folder, name) for name in ("ds.h5", "ds.npz", "raw.bin"))

    def fastiter_round_trip() -> None:
        ds.save(h5, overwrite=True)
        DataSet.load(h5)

    def npz_round_trip() -> None:
        np.savez(npz, features=ds.features, labels=ds.labels)
        with np.load(npz) as z:
            z["features"], z["labels"]

    def raw_round_trip() -> None:
        with open(raw, "wb") as fh:
            fh.write(ds.features.data)
            fh.write(ds.labels.data)
        with open(raw, "rb") as fh:
            fh.read()

    return Case(f"DataSet save+load {n}x128 f32", fastiter_round_trip,
                {"numpy savez+load": npz_round_trip}, 2 * ds.memory_footprint(),
                ceiling=raw_round_trip, notes=["HDF5 via h5py, atomic rename, no pickle"])


def cases(quick: bool = False) -> list[Any]:
    """A shuffled in-memory epoch, an HDF5 DataSet round trip, the ring's hand-offs and a
    consumer-bound async epoch, against their peers.

    >>> [c.group.split()[0] for c in cases(quick=True)]
    ['shuffled', 'DataSet', 'hand-off', 'hand-off', 'async']
    """
    from fastiter.iterators import _bench_async_cases

    folder = tempfile.mkdtemp(prefix="fastiter-bench-")
    atexit.register(shutil.rmtree, folder, True)
    return [_shuffled_epoch_case(quick), _save_load_case(quick, folder),
            *_bench_async_cases.cases(quick)]
