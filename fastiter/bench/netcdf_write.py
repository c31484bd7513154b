"""``fastiter bench`` case for the writer (the pytest twin is bench/bench_netcdf.py)."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from typing import Any

import numpy as np

__all__ = ["cases"]


def cases(quick: bool = False) -> list[Any]:
    """Pure write of a numpy-backed rasm-shaped Dataset, chunked by 12 along time.

    Peers: ``xr.save_mfdataset`` on the same pieces; ceiling: the same bytes written as
    raw ``.npy`` files (one process, page cache).

    >>> [c.group.split()[0] for c in cases(quick=True)]
    ['save_chunks']
    """
    import xarray as xr

    from fastiter.benchmark import Case
    from fastiter.netcdf import make_rasm, save_chunks, split_by_chunks

    years = 3 if quick else 12
    ds = make_rasm(n_time=12 * years).load()
    pieces = list(split_by_chunks(ds, {"time": 12}))
    root = tempfile.mkdtemp(prefix="fastiter-bench-")
    atexit.register(shutil.rmtree, root, True)
    xr_paths = [os.path.join(root, f"xr_{i}.nc") for i in range(len(pieces))]

    def fastiter_write() -> None:
        save_chunks(ds, os.path.join(root, "fi"), chunks={"time": 12}, overwrite=True,
                    progress=False)

    def raw_npy() -> None:
        for i, p in enumerate(pieces):
            np.save(os.path.join(root, f"raw_{i}.npy"), p["Tair"].values)

    return [Case(f"save_chunks rasm {years}y ({len(pieces)} files) uncompressed",
                 fastiter_write, {"xr.save_mfdataset": lambda: xr.save_mfdataset(
                     pieces, xr_paths)}, ds.nbytes, ceiling=raw_npy)]
