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
    """Pure write of a numpy-backed rasm-shaped Dataset, chunked by 12 along time, and the
    write with its compute against the pipeline limit (:func:`_compute_case`).

    Peers: ``xr.save_mfdataset`` on the same pieces; ceiling: the same bytes written as
    raw ``.npy`` files (one process, page cache).

    >>> [c.group.split()[0] for c in cases(quick=True)]
    ['save_chunks', 'save_chunks']
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
                     pieces, xr_paths)}, ds.nbytes, ceiling=raw_npy),
            _compute_case(36 if quick else 480, root)]


def _compute_case(months: int, root: str) -> Any:
    """Issue 19 item 1: the writer with compute against its pipeline limit.

    fastiter as a user calls it (``parallel='auto'``, integrity record on); peers: one
    ``to_netcdf`` and ``xr.save_mfdataset`` of the same lazy expression; ceiling: the
    compute alone (every chunk with dask's threads).  The limit is the larger of the
    ceiling and the "page-cache write" row (the computed bytes written raw, one
    process).  ``bench/netcdf_limit.py`` runs these alternating, per runner.
    """
    import dask
    import xarray as xr

    from fastiter.benchmark import Case
    from fastiter.netcdf import chunk_paths, make_rasm, save_chunks, split_by_chunks

    chunked = make_rasm(n_time=months, seed=2026).chunk({"time": 12})

    def lazy() -> Any:
        return np.sqrt(np.sin(chunked) ** 2 + np.cos(chunked) ** 2)

    done = [np.ascontiguousarray(p["Tair"].values)
            for p in split_by_chunks(lazy().compute(), {"time": 12})]

    def folder(name: str) -> str:
        path = os.path.join(root, name)
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        return path

    def mfdataset() -> None:
        pieces = list(split_by_chunks(lazy(), {"time": 12}))
        xr.save_mfdataset(pieces, chunk_paths(pieces, root=folder("c_mf")))

    def page_cache() -> None:
        out = folder("c_raw")
        for i, a in enumerate(done):
            with open(os.path.join(out, f"p{i}.bin"), "wb") as f:
                f.write(memoryview(a).cast("B"))

    return Case(f"save_chunks + compute rasm {months} months ({len(done)} files)",
                lambda: save_chunks(lazy(), folder("c_fi"), progress=False),
                {"xr.to_netcdf (one file)": lambda: lazy().to_netcdf(
                    os.path.join(folder("c_one"), "one.nc")),
                 "xr.save_mfdataset": mfdataset,
                 "page-cache write (limit part)": page_cache},
                int(chunked.nbytes), ceiling=lambda: dask.persist(lazy()),
                notes=["limit = max(ceiling: compute alone, page-cache write row)"])
