"""Writer cases: the rasm-like data written as one netCDF file per 12 months, against
xarray's ways of writing it, and the limit of issue 19 (bench/bench_netcdf.py runs them).

- pure write of a numpy-backed Dataset, uncompressed, integrity record on (the default);
  ceiling: the same bytes written as raw ``.npy`` files (page cache, one process);
- compute included (``sqrt(sin(ds)**2 + cos(ds)**2)`` on the source chunked by 12, built
  untimed) at 16 MB and 216 MB; peers: ``xr.save_mfdataset``, ``compute=False`` + one
  ``dask.compute``, one ``to_netcdf``; limit: max(compute alone with dask's threads,
  page-cache write of the same bytes as raw ``.npy``);
- zlib level 1 + shuffle, against ``xr.save_mfdataset`` with the same encoding.

Every timed call writes into a fresh folder (cleared untimed); best of 3 single calls.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from typing import Any

import numpy as np

from fastiter.bench._sizes import pick
from fastiter.bench.core import Case

__all__ = ["cases", "ROUNDS"]

ROUNDS = 3
CHUNK = 12
ZLIB1 = {"zlib": True, "complevel": 1, "shuffle": True}


def _lazy(d: Any) -> Any:
    return np.sqrt(np.sin(d) ** 2 + np.cos(d) ** 2)


def _months(size: str, full: int, quick: int = 36) -> tuple[int, int, int]:
    """(months, ny, nx): the rasm grid, or a tiny one for the smoke run."""
    from fastiter import _env

    scale = _env.get("FASTITER_BENCH_NETCDF_SCALE")
    if size == "full" and scale:
        return 36 * scale, 205, 275
    return pick(size, (full, 205, 275), (quick, 205, 275), (24, 20, 30))


class _Folder:
    """A new, empty output folder before every timed call (the last one removed).

    A new name each time: xarray's file cache may still hold a handle on a file that a
    previous peer wrote, and HDF5 refuses to create a file of that name again."""

    def __init__(self, root: str, name: str) -> None:
        self.base, self.count = os.path.join(root, name), 0
        self.path = self.base

    def fresh(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        self.count += 1
        self.path = f"{self.base}-{self.count}"
        os.makedirs(self.path)


def _check(ds: Any, folder: str) -> None:
    """fastiter's files hold the source's values, in order."""
    import xarray as xr

    from fastiter.netcdf import save_chunks

    shutil.rmtree(folder, ignore_errors=True)
    paths = save_chunks(ds, folder, chunks={"time": CHUNK}, progress=False)
    with xr.open_mfdataset(paths, combine="by_coords") as back:
        np.testing.assert_array_equal(back["Tair"].values, ds["Tair"].values)


def _pure_write(size: str, root: str) -> Case:
    import xarray as xr

    from fastiter.netcdf import chunk_paths, make_rasm, save_chunks, split_by_chunks

    n, ny, nx = _months(size, 480)
    ds = make_rasm(n_time=n, ny=ny, nx=nx, seed=2026).load()
    out = _Folder(root, "write")
    pieces = list(split_by_chunks(ds, {"time": CHUNK}))

    def raw_npy() -> None:
        for i, p in enumerate(pieces):
            np.save(os.path.join(out.path, f"raw_{i}.npy"), p["Tair"].values)

    return Case(
        f"netCDF pure write {ds.nbytes / 1e6:.0f} MB ({len(pieces)} files), integrity record on",
        lambda: save_chunks(ds, out.path, chunks={"time": CHUNK}, overwrite=True, progress=False),
        {
            "xr.save_mfdataset": lambda: xr.save_mfdataset(
                pieces, chunk_paths(pieces, root=out.path)
            )
        },
        ds.nbytes,
        ceiling={"raw .npy write": raw_npy},
        setup=out.fresh,
        rounds=ROUNDS,
        key="netcdf write",
        check=lambda: _check(ds, os.path.join(root, "check-write")),
    )


def _compute(size: str, root: str, full_months: int, key: str, quick_months: int = 36) -> Case:
    import dask
    import xarray as xr

    from fastiter.netcdf import chunk_paths, make_rasm, save_chunks, split_by_chunks

    n, ny, nx = _months(size, full_months, quick_months)
    source = make_rasm(n_time=n, ny=ny, nx=nx, seed=2026)
    chunked = source.chunk({"time": CHUNK})  # hashing and copying: untimed preparation
    out = _Folder(root, key.replace(" ", "_"))

    def split() -> tuple[list[Any], list[str]]:
        pieces = list(split_by_chunks(_lazy(chunked), {"time": CHUNK}))
        return pieces, chunk_paths(pieces, root=out.path)

    computed = _lazy(source)  # the same bytes, for the write half of the limit
    arrays = [computed["Tair"].values[i : i + CHUNK] for i in range(0, n, CHUNK)]

    def write_alone() -> None:
        for i, a in enumerate(arrays):
            np.save(os.path.join(out.path, f"raw_{i}.npy"), a)

    return Case(
        f"netCDF compute included {source.nbytes / 1e6:.0f} MB ({len(arrays)} files)",
        lambda: save_chunks(_lazy(chunked), out.path, progress=False),
        {
            "xr.save_mfdataset": lambda: xr.save_mfdataset(*split()),
            "compute=False + dask.compute": lambda: dask.compute(
                xr.save_mfdataset(*split(), compute=False)
            ),
            "one to_netcdf": lambda: _lazy(chunked).to_netcdf(f"{out.path}/one.nc"),
        },
        source.nbytes,
        # persist computes every chunk without assembling one array: the smaller,
        # so the stricter, compute figure
        ceiling={
            "compute alone (dask threads)": lambda: dask.persist(_lazy(chunked)),
            "page-cache write of the bytes": write_alone,
        },
        setup=out.fresh,
        rounds=ROUNDS,
        key=key,
        notes=[
            "limit = max(compute alone with dask threads, page-cache write of "
            "the same bytes) (issue 19); integrity record on"
        ],
    )


def _zlib(size: str, root: str) -> Case:
    import xarray as xr

    from fastiter.netcdf import chunk_paths, make_rasm, save_chunks, split_by_chunks

    n, ny, nx = _months(size, 216)
    ds = make_rasm(n_time=n, ny=ny, nx=nx, seed=2026).load()
    zsrc = ds.copy(deep=False)
    zsrc["Tair"].encoding = dict(ZLIB1)  # travels with every piece, as users set it
    pieces = list(split_by_chunks(zsrc, {"time": CHUNK}))
    out = _Folder(root, "zlib")
    return Case(
        f"netCDF zlib 1 + shuffle {ds.nbytes / 1e6:.0f} MB ({len(pieces)} files)",
        lambda: save_chunks(ds, out.path, chunks={"time": CHUNK}, compression=1, progress=False),
        {
            "xr.save_mfdataset": lambda: xr.save_mfdataset(
                pieces, chunk_paths(pieces, root=out.path)
            )
        },
        ds.nbytes,
        setup=out.fresh,
        rounds=ROUNDS,
        key="netcdf zlib1",
    )


def cases(size: str = "full") -> list[Case]:
    """Pure write, compute included at 16 MB and 216 MB, and zlib 1.

    >>> [c.key for c in cases("smoke")]
    ['netcdf write', 'netcdf compute 16MB', 'netcdf compute 216MB', 'netcdf zlib1']
    """
    root = tempfile.mkdtemp(prefix="fastiter-bench-")
    atexit.register(shutil.rmtree, root, True)
    return [
        _pure_write(size, root),
        _compute(size, root, 36, "netcdf compute 16MB"),
        _compute(size, root, 480, "netcdf compute 216MB", 72),
        _zlib(size, root),
    ]
