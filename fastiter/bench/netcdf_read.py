"""The reading workloads of issue 20, defined once for ``fastiter bench`` and bench/
(bench/bench_netcdf_read.py).

Data: rasm-shaped files from :func:`make_rasm` + :func:`save_chunks` (30 files of 12
monthly steps on the 205 x 275 grid in a real run).  Two workloads, each with the peers
a climate-ML user would pick, every peer's batches checked against fastiter's bit for
bit (:meth:`ReadBench.check`) before anything is timed:

- **steps**: per-step batches ``[32, y*x]`` float32, ``drop_last`` (11 per epoch);
- **windows**: windows of 6 steps, stride 1, batch 8, ``drop_nan_columns=True``,
  ``[8, F, 6]`` float32, windows crossing file boundaries (355 per epoch).

Peers: an h5py ``read_direct`` hand loop (files opened once, outside the timing, as
fastiter's handle cache does), a netCDF4 hand loop (steps), xbatcher's
``BatchGenerator`` over a tuned ``open_mfdataset`` (``compat='override'``,
``coords='minimal'``, ``join='override'``), and a dask ``isel`` loop over the same
dataset.  Ceiling: ``np.copyto`` of the epoch's output bytes.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

__all__ = ["ReadBench", "evict", "resident_pages", "cases", "cold_cases", "raw_read"]

STEPS_BATCH, WIN, WIN_BATCH = 32, 6, 8


def evict(paths: list[str]) -> None:
    """Drop the files' pages from the page cache (fsync first: dirty pages stay)."""
    for p in paths:
        fd = os.open(p, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def resident_pages(paths: list[str]) -> int | None:
    """Pages of ``paths`` in the page cache, from ``fincore`` (None if it is missing)."""
    import shutil
    import subprocess

    if shutil.which("fincore") is None:
        return None
    out = subprocess.run(
        ["fincore", "-n", "-b", "-o", "PAGES", *paths], capture_output=True, text=True, check=True
    ).stdout
    return sum(int(x) for x in out.split())


def raw_read(paths: list[str], buf: np.ndarray) -> int:
    """Read every byte of ``paths`` into ``buf`` (reused), as a disk-read ceiling."""
    view, total = buf.data.cast("B"), 0
    for p in paths:
        with open(p, "rb", buffering=0) as f:
            while n := f.readinto(view):
                total += n
    return total


class ReadBench:
    """The files, fastiter's iterators, the peers and the ceilings of both workloads."""

    def __init__(self, root: str, n_files: int = 30, ny: int = 205, nx: int = 275) -> None:
        from fastiter.netcdf import make_rasm, save_chunks

        paths = sorted(glob.glob(os.path.join(root, "*.nc")))
        if len(paths) != n_files:
            ds = make_rasm(n_time=12 * n_files, ny=ny, nx=nx, seed=2026)
            paths = save_chunks(
                ds, root, chunks={"time": 12}, parallel="serial", progress=False, overwrite=True
            )
        self.paths, self.ny, self.nx = paths, ny, nx
        self.steps = 12 * n_files
        self._h5: list[Any] | None = None
        self._xr: Any = None
        self.steps_iter = self.windows_iter = None
        self.columns = self.new_iterator("windows").feature_columns
        f = ny * nx
        self.nbytes = {
            "steps": (self.steps // STEPS_BATCH) * STEPS_BATCH * f * 4,
            "windows": (self.steps - WIN + 1) * WIN * self.columns.size * 4,
        }
        self._ceiling_src = {
            k: np.random.default_rng(1).random(v // 4, np.float32) + 1
            for k, v in self.nbytes.items()
        }
        self._ceiling_dst = {k: np.empty_like(v) for k, v in self._ceiling_src.items()}

    # --- fastiter ---------------------------------------------------------------------
    def new_iterator(self, workload: str, **kw: Any) -> Any:
        """A new iterator for ``workload`` (``kw``: extra options, e.g. ``read_size``)."""
        from fastiter.netcdf import NetCDFDataSetIterator

        if workload == "steps":
            return NetCDFDataSetIterator(
                self.paths, "Tair", batch_size=STEPS_BATCH, drop_last=True, **kw
            )
        return NetCDFDataSetIterator(
            self.paths,
            "Tair",
            batch_size=WIN_BATCH,
            window=WIN,
            stride=1,
            drop_nan_columns=True,
            **kw,
        )

    def iterator(self, workload: str) -> Any:
        """fastiter's iterator for ``workload``, kept (with its open files) across runs."""
        name = f"{workload}_iter"
        if getattr(self, name) is None:
            setattr(self, name, self.new_iterator(workload))
        return getattr(self, name)

    def fastiter(self, workload: str, sink: Callable[[np.ndarray], Any] = len) -> None:
        it = self.iterator(workload)
        it.reset()
        while it.has_next():
            sink(it.next().features)

    # --- peers ------------------------------------------------------------------------
    def _files(self) -> list[Any]:
        import h5py

        if self._h5 is None:
            self._h5 = [h5py.File(p, "r") for p in self.paths]
        return self._h5

    def _dataset(self) -> Any:
        import xarray as xr

        if self._xr is None:
            self._xr = xr.open_mfdataset(
                self.paths,
                combine="by_coords",
                compat="override",
                coords="minimal",
                data_vars="minimal",
                join="override",
            )[["Tair"]]
        return self._xr

    def h5py_loop(self, workload: str, sink: Callable[[np.ndarray], Any] = len) -> None:
        files, f = self._files(), self.ny * self.nx
        if workload == "steps":
            for i in range(self.steps // STEPS_BATCH):
                out, at, lo = np.empty((STEPS_BATCH, f), np.float32), 0, i * STEPS_BATCH
                while at < STEPS_BATCH:
                    k, a = divmod(lo + at, 12)
                    b = min(12, a + STEPS_BATCH - at)
                    files[k]["Tair"].read_direct(
                        out[at : at + b - a].reshape(b - a, self.ny, self.nx), np.s_[a:b]
                    )
                    at += b - a
                sink(out)
            return
        series = np.empty((self.steps, self.columns.size), np.float32)
        buf = np.empty((12, self.ny, self.nx), np.float32)
        for k, h in enumerate(files):
            h["Tair"].read_direct(buf)
            np.take(buf.reshape(12, -1), self.columns, axis=1, out=series[12 * k : 12 * k + 12])
        self._windows_of(series, 0, sink)

    def _windows_of(self, series: np.ndarray, first: int, sink: Callable) -> None:
        view = np.lib.stride_tricks.sliding_window_view(series, WIN, axis=0)
        for s in range(0, len(view), WIN_BATCH):
            sink(np.ascontiguousarray(view[s : s + WIN_BATCH]))

    def netcdf4_loop(self, workload: str, sink: Callable[[np.ndarray], Any] = len) -> None:
        import netCDF4

        f = self.ny * self.nx
        with_files = [netCDF4.Dataset(p) for p in self.paths]
        try:
            for d in with_files:
                d.set_auto_maskandscale(False)
            for i in range(self.steps // STEPS_BATCH):
                out, at, lo = np.empty((STEPS_BATCH, f), np.float32), 0, i * STEPS_BATCH
                while at < STEPS_BATCH:
                    k, a = divmod(lo + at, 12)
                    b = min(12, a + STEPS_BATCH - at)
                    out[at : at + b - a] = with_files[k]["Tair"][a:b].reshape(b - a, f)
                    at += b - a
                sink(out)
        finally:
            for d in with_files:
                d.close()

    def xbatcher(self, workload: str, sink: Callable[[np.ndarray], Any] = len) -> None:
        import xbatcher

        ds, dims = self._dataset(), {"y": self.ny, "x": self.nx}
        if workload == "steps":
            gen = xbatcher.BatchGenerator(ds, input_dims={"time": STEPS_BATCH, **dims})
            for b in gen:
                sink(b["Tair"].values.reshape(STEPS_BATCH, -1).astype(np.float32))
            return
        gen = xbatcher.BatchGenerator(
            ds, input_dims={"time": WIN, **dims}, input_overlap={"time": WIN - 1}
        )
        group: list[np.ndarray] = []
        for w in gen:
            group.append(w["Tair"].values.reshape(WIN, -1)[:, self.columns].T)
            if len(group) == WIN_BATCH:
                sink(np.stack(group).astype(np.float32))
                group = []
        if group:
            sink(np.stack(group).astype(np.float32))

    def dask_isel(self, workload: str, sink: Callable[[np.ndarray], Any] = len) -> None:
        tair = self._dataset()["Tair"]
        if workload == "steps":
            for i in range(self.steps // STEPS_BATCH):
                v = tair.isel(time=slice(i * STEPS_BATCH, (i + 1) * STEPS_BATCH)).values
                sink(v.reshape(STEPS_BATCH, -1).astype(np.float32))
            return
        n = self.steps - WIN + 1
        for s in range(0, n, WIN_BATCH):
            e = min(s + WIN_BATCH, n)
            v = tair.isel(time=slice(s, e + WIN - 1)).values.reshape(e - s + WIN - 1, -1)
            block = np.ascontiguousarray(v[:, self.columns], dtype=np.float32)
            view = np.lib.stride_tricks.sliding_window_view(block, WIN, axis=0)
            sink(np.ascontiguousarray(view))

    def ceiling(self, workload: str) -> None:
        np.copyto(self._ceiling_dst[workload], self._ceiling_src[workload])

    def peers(self, workload: str) -> dict[str, Callable[[], Any]]:
        out = {
            "h5py read_direct loop": lambda: self.h5py_loop(workload),
            "xbatcher (tuned)": lambda: self.xbatcher(workload),
            "dask isel loop": lambda: self.dask_isel(workload),
        }
        if workload == "steps":
            out["netCDF4 loop"] = lambda: self.netcdf4_loop(workload)
        return out

    def check(self, workload: str) -> None:
        """Every peer's batches equal fastiter's, bit for bit (NaN where NaN)."""
        want: list[np.ndarray] = []
        self.fastiter(workload, want.append)
        want = [w.copy() for w in want]
        for name in ("h5py_loop", "netcdf4_loop", "xbatcher", "dask_isel"):
            if name == "netcdf4_loop" and workload != "steps":
                continue
            got: list[np.ndarray] = []
            try:
                getattr(self, name)(workload, lambda a, got=got: got.append(a.copy()))
            except ImportError:  # an optional peer (xbatcher) that is not installed
                continue
            if len(got) != len(want):
                raise AssertionError(f"{name} gave {len(got)} batches, fastiter {len(want)}")
            for i, (g, w) in enumerate(zip(got, want)):
                if g.shape != w.shape or not np.array_equal(g, w, equal_nan=True):
                    raise AssertionError(f"{name} batch {i} differs from fastiter's")

    def close(self) -> None:
        for f in self._h5 or []:
            f.close()
        self._h5 = None
        if self._xr is not None:
            self._xr.close()
            self._xr = None
        for it in (self.steps_iter, self.windows_iter):
            if it is not None:
                it.close()


def _bench(size: str) -> ReadBench:
    import atexit
    import shutil
    import tempfile

    from fastiter.bench._sizes import pick

    root = tempfile.mkdtemp(prefix="fastiter-read-bench-")
    atexit.register(shutil.rmtree, root, True)
    bench = ReadBench(
        root,
        **pick(size, {}, {"n_files": 6, "ny": 41, "nx": 55}, {"n_files": 3, "ny": 20, "nx": 30}),
    )
    atexit.register(bench.close)
    return bench


def cases(size: str = "full") -> list[Any]:
    """Both workloads with their peers, warm page cache (every peer's batches checked
    against fastiter's first), and the async case with its overlap controls
    (:mod:`fastiter.bench.netcdf_read_async`).

    >>> import fastiter.bench.netcdf_read as m; callable(m.cases)
    True
    """
    from fastiter.bench.core import Case

    bench = _bench(size)
    out = []
    for workload in ("steps", "windows"):
        peers = _checked_peers(bench, workload)
        out.append(
            Case(
                f"NetCDFDataSetIterator {workload} ({len(bench.paths)} rasm files)",
                partial(bench.fastiter, workload),
                peers,
                bench.nbytes[workload],
                ceiling=partial(bench.ceiling, workload),
                key=f"netcdf read {workload}",
                rounds=3,
                check=partial(bench.check, workload),
            )
        )
    from fastiter.bench.netcdf_read_async import async_case

    out.append(async_case(bench))
    return out


def _checked_peers(bench: ReadBench, workload: str) -> dict[str, Any]:
    """The workload's peers after checking that every one gives fastiter's batches;
    xbatcher as None (reported as not installed) when it is missing."""
    from fastiter.bench.core import optional

    bench.check(workload)
    peers: dict[str, Any] = bench.peers(workload)
    if optional("xbatcher") is None:
        peers["xbatcher (tuned)"] = None
    return peers


def _rates(batches: int, row: dict[str, Any]) -> str:
    """batches/s and MB/s (of batches delivered) of fastiter and every peer in ``row``."""
    mb = row["gbps"] * row["fastiter_s"] * 1e3  # the batches' bytes, in MB
    times = {"fastiter": row["fastiter_s"]}
    times.update({k: v["seconds"] for k, v in row["peers"].items()})
    return "; ".join(
        f"{k} {batches / t:.1f} batches/s, {mb / t:.0f} MB/s" for k, t in times.items()
    )


def cold_cases(size: str = "full") -> list[Any]:
    """Both workloads with their peers, cold page cache: before every timed call of every
    role the files are evicted (fsync + ``posix_fadvise(DONTNEED)``).  The eviction is
    checked with ``fincore`` (the note gives the pages left); the ceiling is a plain
    ``readinto`` of every file byte (all variables, so more bytes than a workload
    needs), cold too.  The summary gives every role's batches/s and MB/s of batches.

    >>> import fastiter.bench.netcdf_read as m; callable(m.cold_cases)
    True
    """
    from fastiter.bench.core import Case

    bench = _bench(size)
    file_bytes = sum(os.path.getsize(p) for p in bench.paths)
    buf = np.empty(file_bytes, np.uint8)
    evict(bench.paths)
    left = resident_pages(bench.paths)
    note = (
        "fincore not installed: eviction unchecked"
        if left is None
        else f"{left} of {-(-file_bytes // 4096)} file pages resident after eviction (fincore)"
    )
    out = []
    for workload in ("steps", "windows"):
        peers = _checked_peers(bench, workload)
        out.append(
            Case(
                f"NetCDFDataSetIterator {workload}, cold cache ({len(bench.paths)} rasm files)",
                partial(bench.fastiter, workload),
                peers,
                bench.nbytes[workload],
                ceiling=partial(raw_read, bench.paths, buf),
                notes=[note, f"ceiling: read {file_bytes / 1e6:.0f} MB of files cold"],
                key=f"netcdf read {workload} cold",
                setup=partial(evict, bench.paths),
                rounds=3,
                summary=partial(_rates, bench.iterator(workload).num_batches()),
                check=partial(bench.check, workload),
            )
        )
    return out
