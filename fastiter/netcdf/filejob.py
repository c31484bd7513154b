"""One file, written by whichever process or cluster worker runs the job.

A :class:`FileJob` carries the piece (numpy data, or a lazy dask graph that the worker
computes itself), the fixed encoding plan and the target path.  :func:`run_job` encodes
the piece, writes it with netCDF4 (or h5netcdf) directly to a temporary name in the
target folder, closes it, optionally fsyncs, records its integrity regions and the
digest of each variable's data (:mod:`fastiter.netcdf.integrity`) and ``os.replace``-s it
into place.  Any failure removes the temporary file and is re-raised as a
:class:`ChunkWriteError` naming the file and the chunk and carrying the traceback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from fastiter.netcdf import layout
from fastiter.netcdf._cleanup import also
from fastiter.netcdf.encoding import EncodedPiece, encode_piece, h5netcdf_kwargs
from fastiter.netcdf.integrity import content_digests, file_regions, summary_digest

__all__ = [
    "FileJob",
    "FileResult",
    "ChunkWriteError",
    "run_job",
    "temp_path_for",
    "fault_hook",
    "TEMP_MARK",
]

TEMP_MARK = ".tmp-"

#: netCDF-C and HDF5 are not thread-safe: threads in one process take turns on them.
HDF5_LOCK = threading.Lock()


@contextlib.contextmanager
def library_lock() -> Iterator[None]:
    """Hold every lock under which this process enters netCDF-C/HDF5.

    Ours, and xarray's own two: a lazy piece read from netCDF files is read by xarray
    on the other threads while this one writes, and netCDF-C crashed (a segmentation
    fault) when the two ran at once.  xarray's two are taken together or not at all
    (never one held while waiting for the other), because xarray's readers take them
    in orders of their own: holding one while waiting deadlocked a reader.
    """
    from fastiter.netcdf._xarray_private import HDF5_LOCK as XR_HDF5
    from fastiter.netcdf._xarray_private import NETCDFC_LOCK as XR_NETCDFC

    with HDF5_LOCK:
        while True:
            XR_NETCDFC.acquire()
            if XR_HDF5.acquire(blocking=False):
                break
            XR_NETCDFC.release()
            time.sleep(0.0005)  # a reader holds HDF5's: let it finish, then try again
        try:
            yield
        finally:
            XR_HDF5.release()
            XR_NETCDFC.release()


class ChunkWriteError(RuntimeError):
    """Writing one file failed; the message names the file, the chunk and the cause."""

    def __init__(self, message: str, path: str = "", chunk: str = "") -> None:
        super().__init__(message)
        self.path = path
        self.chunk = chunk

    def __reduce__(self) -> Any:  # keep path/chunk across process boundaries
        return (type(self), (self.args[0], self.path, self.chunk))


@dataclass
class FileJob:
    """Everything one worker needs to write one file (small unless data is numpy)."""

    index: int
    path: str
    chunk: str
    piece: xr.Dataset
    plan: dict[str, dict[str, Any]]
    engine: str = "netcdf4"
    unlimited_dims: tuple[str, ...] = ()
    checksum: str | None = "xxh3"
    fsync: bool = False
    use_lock: bool = False
    fault: tuple[int, str] | None = field(default=None, repr=False)
    #: The piece already encoded with ``plan`` (the parent encodes once for all pieces);
    #: when None the worker encodes ``piece`` itself.
    encoded: EncodedPiece | None = field(default=None, repr=False)


@dataclass
class FileResult:
    """What the manifest records for a finished file.

    ``record`` holds the integrity regions (``[[length, digest], ...]``) and the
    ``content`` digest of each variable's data; None when no checksum was asked for.
    """

    index: int
    path: str
    size: int
    checksum: str | None
    algorithm: str | None
    seconds: float
    nbytes: int
    record: dict[str, Any] | None = None


def temp_path_for(path: str) -> str:
    """A unique hidden temporary name next to ``path`` (same folder, so rename is atomic)."""
    folder, name = os.path.split(path)
    return os.path.join(folder, f".{name}{TEMP_MARK}{os.getpid()}-{uuid.uuid4().hex[:8]}")


def _note(job: FileJob, content: dict[str, str] | None, name: str, data: np.ndarray) -> None:
    """Record the digest of one variable's data while it is in memory."""
    if job.checksum and content is not None:
        content.update(content_digests({name: data}, job.checksum))


def _materialise(data: Any) -> np.ndarray:
    if hasattr(data, "compute") and not isinstance(data, np.ndarray):
        from dask.local import get_sync

        # This process writes one file: compute its piece here, not on a shared pool.
        # The scheduler is passed as a callable: a name ('synchronous') makes dask
        # import distributed to look for a client, which cost every freshly forked
        # worker 0.4-0.7 s per call (cProfile of a worker's first file).
        data = data.compute(scheduler=get_sync)
    return np.asarray(data)


#: Test hook (never a public argument): ``(index, 'raise' | 'exit' | 'sleep')`` makes the
#: write of file ``index`` raise, kill its process or stall mid-file.  ``save_chunks``
#: reads it when it starts and hands it to the jobs (forked, threaded or on a cluster).
FAULT: tuple[int, str] | None = None


def fault_hook() -> tuple[int, str] | None:
    """The fault tests asked to inject (:data:`FAULT`); None normally."""
    return FAULT


def _maybe_fault(job: FileJob, stage: str) -> None:
    """Test hook: die or raise at a given stage of a given file's write."""
    if job.fault is None or job.fault[0] != job.index:
        return
    mode = job.fault[1]
    if mode == "exit" and stage == "mid-write":
        os._exit(3)
    if mode == "raise" and stage == "mid-write":
        raise OSError(f"injected failure while writing chunk {job.index}")
    if mode == "sleep" and stage == "mid-write":  # hold the file open (a Ctrl-C test)
        time.sleep(120)


def _write_netcdf4(
    path: str, enc: EncodedPiece, job: FileJob, content: dict[str, str] | None = None
) -> int:
    import netCDF4

    nbytes = 0
    with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
        for dim, size in enc.dims.items():
            nc.createDimension(dim, None if dim in enc.unlimited else size)
        for v in enc.variables:
            var = nc.createVariable(v.name, v.datatype, v.dims, fill_value=v.fill_value, **v.create)
            var.setncatts(v.attrs)
            var.set_auto_maskandscale(False)
            data = _materialise(v.data)
            _note(job, content, v.name, data)
            nbytes += data.nbytes
            if data.ndim == 0:
                var.assignValue(data)
            elif data.size:
                var[...] = data
            _maybe_fault(job, "mid-write")
        nc.setncatts(enc.attrs)
    return nbytes


def _write_h5netcdf(
    path: str, enc: EncodedPiece, job: FileJob, content: dict[str, str] | None = None
) -> int:
    import h5netcdf

    nbytes = 0
    with h5netcdf.File(path, "w") as f:
        f.dimensions = {d: (None if d in enc.unlimited else s) for d, s in enc.dims.items()}
        for v in enc.variables:
            data = _materialise(v.data)
            _note(job, content, v.name, data)
            nbytes += data.nbytes
            var = f.create_variable(
                v.name, v.dims, dtype=v.datatype, fillvalue=v.fill_value, **h5netcdf_kwargs(v)
            )
            if data.size:
                var[...] = data
            for k, val in v.attrs.items():
                var.attrs[k] = val
            _maybe_fault(job, "mid-write")
        for k, val in enc.attrs.items():
            f.attrs[k] = val
    return nbytes


_ENGINES = {"netcdf4": _write_netcdf4, "h5netcdf": _write_h5netcdf}


def _write_with_library(tmp: str, enc: EncodedPiece, job: FileJob, content: dict[str, str]) -> int:
    """netCDF4/h5netcdf write; the first file of a structure also records its layout."""
    key = layout.layout_key(enc, job.engine) if layout.ENABLED else None
    if job.use_lock:
        # Compute outside the lock so threads overlap compute with the writes.
        for v in enc.variables:
            v.data = _materialise(v.data)
            _note(job, content, v.name, v.data)  # hashed outside the lock too
        with library_lock():
            nbytes = _ENGINES[job.engine](tmp, enc, job)
            if key is not None and layout.lookup(key) is False:
                layout.remember(key, tmp, _shapes(enc))
        return nbytes
    nbytes = _ENGINES[job.engine](tmp, enc, job, content)
    if key is not None and layout.lookup(key) is False:
        layout.remember(key, tmp, _shapes(enc))
    return nbytes


def _shapes(enc: EncodedPiece) -> dict[str, tuple[int, ...]]:
    return {v.name: tuple(np.shape(v.data)) for v in enc.variables}


def _layout_arrays(enc: EncodedPiece, lay: layout.Layout) -> dict[str, np.ndarray] | None:
    """The encoded data as C-contiguous arrays of the file's dtypes; None if a cast is due."""
    arrays = {}
    for v in enc.variables:
        data = v.data = _materialise(v.data)
        if data.dtype != lay.dtypes.get(v.name):
            return None  # netCDF4 would convert: let it
        arrays[v.name] = np.ascontiguousarray(data)
    return arrays


def _write_file(
    tmp: str, enc: EncodedPiece, job: FileJob
) -> tuple[int, list | None, dict[str, str]]:
    """Write ``tmp``; returns (data bytes, regions if hashed while writing, content)."""
    key = layout.layout_key(enc, job.engine) if layout.ENABLED else None
    lay = layout.lookup(key) if key is not None else None
    content: dict[str, str]
    if isinstance(lay, layout.Layout):
        arrays = _layout_arrays(enc, lay)
        if arrays is not None:
            regions = layout.write_with_layout(
                tmp, lay, arrays, job.checksum, between=lambda: _maybe_fault(job, "mid-write")
            )
            # The data regions sit between the header runs: digests of each variable.
            content = (
                {name: regions[2 * i + 1][1] for i, (name, _) in enumerate(lay.extents)}
                if regions
                else {}
            )
            return sum(a.nbytes for a in arrays.values()), regions, content
    content = {}
    return _write_with_library(tmp, enc, job, content), None, content


def _own_copy(enc: EncodedPiece) -> EncodedPiece:
    """A copy of ``enc`` for one write, whose variables may take the computed data.

    The job's own EncodedPiece lives as long as the run (in the parent's list of encoded
    pieces for threads and serial, in every forked child's list of jobs): computed data
    stored back into it stayed in memory until the end, so peak RSS grew with the
    dataset instead of the chunk.  The copy, and the data, go when the file is written.
    """
    return dataclasses.replace(enc, variables=[dataclasses.replace(v) for v in enc.variables])


def _remove_if_there(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _write_and_replace(job: FileJob) -> FileResult:
    t0 = time.perf_counter()
    enc = (
        _own_copy(job.encoded)
        if job.encoded is not None
        else encode_piece(job.piece, job.plan, job.unlimited_dims)
    )
    tmp = temp_path_for(job.path)
    try:
        nbytes, regions, content = _write_file(tmp, enc, job)
        if job.fsync:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        if job.checksum and regions is None:
            regions = file_regions(tmp, job.checksum)
        size = os.path.getsize(tmp)
        os.replace(tmp, job.path)
    except BaseException as err:
        also(err, f"removing the temporary file {tmp}", lambda: _remove_if_there(tmp))
        raise
    record = None
    digest = None
    if job.checksum:
        assert regions is not None  # hashed above whenever a checksum is asked for
        record = {"algorithm": job.checksum, "regions": regions, "content": content}
        digest = summary_digest(regions, job.checksum)
    return FileResult(
        job.index, job.path, size, digest, job.checksum, time.perf_counter() - t0, nbytes, record
    )


def run_job(job: FileJob) -> FileResult:
    """Write ``job.piece`` to ``job.path`` atomically; the worker-side entry point."""
    try:
        return _write_and_replace(job)
    except Exception as err:  # noqa: BLE001 - raised below as ChunkWriteError with the traceback
        tb = traceback.format_exc()
        raise ChunkWriteError(
            f"writing {job.path} (chunk {job.index}: {job.chunk}) failed: "
            f"{type(err).__name__}: {err}\n--- worker traceback ---\n{tb}",
            job.path,
            job.chunk,
        ) from None
