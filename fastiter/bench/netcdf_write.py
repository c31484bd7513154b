"""Writer cases: the rasm-like data written as one netCDF file per 12 months, against
xarray's ways of writing it, and the limit of issue 19 (bench/bench_netcdf.py runs them).

- pure write of a numpy-backed Dataset, uncompressed, integrity record on (the default);
  ceiling: the same bytes written as raw ``.npy`` files (page cache, one process);
- compute included (``sqrt(sin(ds)**2 + cos(ds)**2)`` on the source chunked by 12, built
  untimed) at 16 MB and 216 MB; peers: ``xr.save_mfdataset``, ``compute=False`` + one
  ``dask.compute``, one ``to_netcdf``; limit: max(compute alone with dask's threads,
  page-cache write of the same bytes as raw ``.npy``);
- zlib level 1 + shuffle, against ``xr.save_mfdataset`` with the same encoding.

Every timed call writes into a fresh folder (cleared untimed); best of 3 single calls,
best of 9 at 16 MB.
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
#: The 16 MB case: one call takes ~0.06 s, so load spikes of a few tens of ms decided
#: best of 3 (identical roles differed 1.18-1.9x within one run); 9 interleaved rounds
#: cost ~10 s more.
SMALL_ROUNDS = 9
CHUNK = 12
WORKERS = 2
ZLIB1 = {"zlib": True, "complevel": 1, "shuffle": True}


def _lazy(d: Any) -> Any:
    return np.sqrt(np.sin(d) ** 2 + np.cos(d) ** 2)


def _months(size: str, full: int, quick: int = 36) -> tuple[int, int, int]:
    """(months, ny, nx): the rasm grid, or a tiny one for the smoke run."""
    from fastiter import _env

    months = _env.get("FASTITER_BENCH_NETCDF_MONTHS")
    scale = _env.get("FASTITER_BENCH_NETCDF_SCALE")
    if size == "full" and (months or scale):
        return months or 36 * scale, 205, 275
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


def _write_variants(ds: Any, out: _Folder) -> dict[str, Any]:
    """fastiter's own variants of the pure write: without the integrity record, with the
    other record algorithms (xxh3, the default, is the case itself), with fsync."""
    from fastiter.netcdf import save_chunks

    def write(**kw: Any) -> Any:
        return lambda: save_chunks(
            ds, out.path, chunks={"time": CHUNK}, workers=WORKERS, progress=False, **kw
        )

    return {
        "fastiter, no integrity record": write(checksum=None),
        "fastiter, crc32 record": write(checksum="crc32"),
        "fastiter, sha256 record": write(checksum="sha256"),
        "fastiter, fsync, no record": write(checksum=None, fsync=True),
    }


_PIECES: list[Any] = []


def _npy_one(i: int, path: str) -> int:
    np.save(path, np.asarray(_PIECES[i]["Tair"].values))
    return i


def _npy_pool(pieces: list[Any], folder: str) -> None:
    """The raw ``.npy`` write by as many forked processes as fastiter's, which inherit
    the pieces as fastiter's children do."""
    import concurrent.futures as cf
    import multiprocessing

    _PIECES[:] = pieces
    ctx = multiprocessing.get_context("fork")
    with cf.ProcessPoolExecutor(WORKERS, mp_context=ctx) as ex:
        paths = [os.path.join(folder, f"p{i}.npy") for i in range(len(pieces))]
        list(ex.map(_npy_one, range(len(pieces)), paths))


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
            ),
            **_write_variants(ds, out),
            "raw .npy by 2 processes": lambda: _npy_pool(pieces, out.path),
        },
        ds.nbytes,
        ceiling={"raw .npy write": raw_npy},
        setup=out.fresh,
        rounds=ROUNDS,
        key="netcdf write",
        check=lambda: _check(ds, os.path.join(root, "check-write")),
    )


def _compute(
    size: str, root: str, full_months: int, key: str, quick_months: int = 36, rounds: int = ROUNDS
) -> Case:
    return compute_case(_months(size, full_months, quick_months), root, key, rounds)


def compute_case(shape: tuple[int, int, int], root: str, key: str, rounds: int = ROUNDS) -> Case:
    """The writer, compute included, on ``shape`` = (months, ny, nx) of the rasm-like data
    (issue 19 item 1): ``parallel='auto'`` with the integrity record against each runner
    forced, without the record, xarray's ways and one ``to_netcdf``; limit max(compute
    alone with dask threads, page-cache write of the same bytes).  Outputs go under
    ``root`` (bench/netcdf_limit_profile.py reuses the case's limit parts)."""
    import dask
    import xarray as xr

    from fastiter.netcdf import chunk_paths, make_rasm, save_chunks, split_by_chunks

    n, ny, nx = shape
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

    def fastiter(**kw: Any) -> Any:
        return lambda: save_chunks(_lazy(chunked), out.path, progress=False, **kw)

    return Case(
        f"netCDF compute included {source.nbytes / 1e6:.0f} MB ({len(arrays)} files)",
        fastiter(),
        {
            **{
                f"fastiter parallel={r!r}": fastiter(parallel=r, workers=WORKERS)
                for r in ("processes", "threads", "serial")
            },
            "fastiter, no integrity record": fastiter(checksum=None, workers=WORKERS),
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
        rounds=rounds,
        key=key,
        notes=[
            "limit = max(compute alone with dask threads, page-cache write of "
            "the same bytes) (issue 19); integrity record on; parallel='auto' unless "
            f"named; best of {rounds} interleaved rounds"
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
        _compute(size, root, 36, "netcdf compute 16MB", rounds=SMALL_ROUNDS),
        _compute(size, root, 480, "netcdf compute 216MB", 72),
        _zlib(size, root),
    ]


def large_cases(size: str = "full") -> list[Case]:
    """The opt-in 1 GB row (``fastiter bench --large``): compute included at 2220 months,
    the size of issue 19's 1 GB figures, with the same peers, runners and limit.

    >>> [c.key for c in large_cases("smoke")]
    ['netcdf compute 1GB']
    """
    root = tempfile.mkdtemp(prefix="fastiter-bench-")
    atexit.register(shutil.rmtree, root, True)
    return [
        compute_case(
            pick(size, (2220, 205, 275), (480, 205, 275), (24, 20, 30)), root, "netcdf compute 1GB"
        )
    ]


class _Cluster:
    """A ``LocalCluster(2 workers x 1 thread)`` started on first use, closed with the case.

    Its client is not made the default scheduler (``set_as_default=False``): dask work
    of the other cases keeps dask's threads."""

    def __init__(self) -> None:
        self.cluster: Any = None
        self.client: Any = None

    def get(self) -> Any:
        if self.client is None:
            import distributed

            self.cluster = distributed.LocalCluster(
                n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=":0"
            )
            self.client = distributed.Client(self.cluster, set_as_default=False)
        return self.client

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.cluster.close()
            self.client = self.cluster = None


def cluster_cases(size: str = "full") -> list[Case]:
    """fastiter on a ``LocalCluster(2x1)`` against ``xr.save_mfdataset`` on the same
    cluster; the data is generated lazily, so the workers produce their own pieces.  The
    cluster starts untimed at the first setup, and every role is warmed once first, so
    the workers' first imports are not timed.

    >>> [c.key for c in cluster_cases("smoke")]
    ['netcdf cluster']
    """
    import xarray as xr

    from fastiter.netcdf import chunk_paths, make_rasm, save_chunks, split_by_chunks

    n, ny, nx = _months(size, 480)
    root = tempfile.mkdtemp(prefix="fastiter-bench-")
    atexit.register(shutil.rmtree, root, True)
    out = _Folder(root, "cluster")
    cluster = _Cluster()
    atexit.register(cluster.close)

    def generated() -> Any:
        return _lazy(make_rasm(n_time=n, ny=ny, nx=nx, seed=2026, chunks={"time": CHUNK}))

    def setup() -> None:
        cluster.get()
        out.fresh()

    def mfdataset() -> None:
        with cluster.get().as_current():  # xarray picks its file locks for the scheduler
            pieces = list(split_by_chunks(generated(), {"time": CHUNK}))
            xr.save_mfdataset(pieces, chunk_paths(pieces, root=out.path))

    def fastiter() -> None:
        client = cluster.get()
        # current for this call only: the writer's as_completed() looks up the current
        # client, and fails with "No clients found" on one that is not the default
        with client.as_current():
            save_chunks(generated(), out.path, parallel=client, progress=False)

    nbytes = int(generated().nbytes)
    return [
        Case(
            f"netCDF on LocalCluster(2x1), compute included {nbytes / 1e6:.0f} MB "
            f"({-(-n // CHUNK)} files)",
            fastiter,
            {"xr.save_mfdataset on the cluster": mfdataset},
            nbytes,
            setup=setup,
            rounds=ROUNDS,
            key="netcdf cluster",
            close=cluster.close,
            notes=["integrity record on; the client is passed, not made the default"],
        )
    ]
