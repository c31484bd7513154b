"""Running file jobs: serial, on threads, on a process pool or on a dask cluster.

Whatever the runner, at most ``max_in_flight`` jobs are submitted at a time, so memory
stays near one piece per worker, and results are yielded as files finish.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import sys
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any, Protocol

from fastiter._core import BlockCache
from fastiter._cpus import available_cpus
from fastiter.netcdf.filejob import ChunkWriteError, FileJob, FileResult, run_job
from fastiter.netcdf.forkpool import run_forked

__all__ = ["run_jobs", "default_workers", "PARALLEL_MODES"]

PARALLEL_MODES = ("processes", "threads", "serial")


def default_workers() -> int:
    """The CPUs this process may use (affinity mask and cgroup quota, see
    :func:`fastiter._cpus.available_cpus`)."""
    return available_cpus()


def _process_context(start_method: str | None) -> Any:
    """``fork`` on Linux by default, so workers inherit the pieces instead of unpickling them.

    A numpy-backed piece, or a dask piece whose graph holds an in-memory source
    (``from_array``), would otherwise be pickled per file, and such a graph carries the
    whole source array.  ``fork`` runs on the lean pool of :mod:`fastiter.netcdf.forkpool`
    (children fork while the library locks are held and only ever run :func:`run_job`).
    ``'forkserver'`` or ``'spawn'`` start clean processes in a ``ProcessPoolExecutor`` and
    pickle each job instead (then the calling script needs an
    ``if __name__ == '__main__':`` guard).
    """
    methods = multiprocessing.get_all_start_methods()
    method = start_method or (
        "fork" if sys.platform.startswith("linux") and "fork" in methods else "spawn"
    )
    if method not in multiprocessing.get_all_start_methods():
        raise ValueError(
            f"start_method must be one of {multiprocessing.get_all_start_methods()}, got {method!r}"
        )
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(["fastiter.netcdf.filejob"])
    return ctx


#: Arrays from this size on are recycled between files by the in-process runners.
RECYCLE_MIN_BYTES = 256 << 10
#: Freed blocks kept for reuse at most (the cache holds only what a file's compute freed).
RECYCLE_MAX_BYTES = 1 << 30
#: Set to False to let the in-process runners allocate through numpy's default allocator.
RECYCLE = True


def _recycling_cache() -> BlockCache | None:
    """A numpy allocator for the threads that compute and write files in this process.

    Computing a piece makes several chunk-sized temporaries; glibc returns such blocks to
    the kernel when they are freed, so every file faulted its pages in again, zeroed
    (about 1.7 chunks of fresh pages per file at 5.4 MB chunks; at 217 MB on 2 threads,
    63,000 faults and 1.03 s of CPU against 3,300 and 0.81 s recycled).  The forked
    children get the same effect from glibc's thresholds (:mod:`fastiter.netcdf._heap`),
    which are process-wide and so not ours to change in the caller's process; numpy's
    allocator is per thread context (NEP 49), installed only on the writing threads (or
    around each job on the calling thread) and emptied when the run ends.
    """
    return BlockCache(RECYCLE_MIN_BYTES, 64, RECYCLE_MAX_BYTES) if RECYCLE else None


def _run_serial(jobs: Iterator[FileJob]) -> Iterator[FileResult]:
    """Each job on the calling thread, with the recycling allocator around the job only
    (the caller's own arrays keep the caller's allocator, between jobs too)."""
    cache = _recycling_cache()
    if cache is None:
        yield from map(run_job, jobs)
        return
    try:
        for job in jobs:
            previous = cache.install()
            try:
                result = run_job(job)
            finally:
                BlockCache.restore(previous)
            yield result
    finally:
        cache.set_limits(0, 0)


def _died(jobs: Iterable[FileJob], cause: BaseException) -> ChunkWriteError:
    jobs = list(jobs)
    names = ", ".join(f"{j.path} (chunk {j.index}: {j.chunk})" for j in jobs)
    first = jobs[0] if jobs else None
    return ChunkWriteError(
        f"a worker process died (killed or crashed) while writing one "
        f"of: {names}; no partial file was left under a final name "
        f"({type(cause).__name__}: {cause}). If it happened at start-up, "
        f"the calling script may lack the `if __name__ == '__main__':` "
        f"guard that the forkserver/spawn start methods need.",
        first.path if first else "",
        first.chunk if first else "",
    )


def _child_init() -> None:
    """In a forked worker: free the library locks the parent held while forking.

    The parent holds xarray's HDF5/netCDF locks across the fork (so no parent thread is
    inside HDF5 at that instant); the child, single-threaded, releases its copies.
    """
    from fastiter.netcdf._xarray_private import HDF5_LOCK as XR_HDF5
    from fastiter.netcdf._xarray_private import NETCDFC_LOCK as XR_NETCDFC
    from fastiter.netcdf.filejob import HDF5_LOCK

    for lock in (XR_HDF5, XR_NETCDFC, HDF5_LOCK):
        if lock.locked():
            lock.release()


def _submit_first(executor: cf.Executor, fn: Callable, *args: Any) -> cf.Future:
    """The first submit forks every worker: do it while no thread is inside HDF5.

    The writing libraries are imported here first, so forked workers inherit them
    instead of each importing them again on every call (~20 ms per worker per call).
    """
    try:
        import netCDF4  # noqa: F401 - imported before the fork: the workers inherit it
    except ImportError:  # pragma: no cover - engine='h5netcdf' without netCDF4
        pass
    import h5py  # noqa: F401 - before the fork too (layout.py reads the first file's layout)

    from fastiter.netcdf._xarray_private import HDF5_LOCK as XR_HDF5
    from fastiter.netcdf._xarray_private import NETCDFC_LOCK as XR_NETCDFC

    with XR_HDF5, XR_NETCDFC:
        return executor.submit(fn, *args)


def _run_executor(
    executor: cf.Executor, jobs: Iterator[FileJob], limit: int
) -> Iterator[FileResult]:
    """Threads, or processes started by ``spawn``/``forkserver`` (jobs are pickled)."""
    pending: dict[cf.Future, FileJob] = {}
    try:
        for pos, job in enumerate(jobs):
            fut = (
                _submit_first(executor, run_job, job) if pos == 0 else executor.submit(run_job, job)
            )
            pending[fut] = job
            while len(pending) >= limit:
                yield from _drain(pending, cf.FIRST_COMPLETED)
        while pending:
            yield from _drain(pending, cf.FIRST_COMPLETED)
    except cf.process.BrokenProcessPool as err:
        raise _died(pending.values(), err) from None
    finally:
        for fut in pending:
            fut.cancel()
        executor.shutdown(wait=True, cancel_futures=True)


def _drain(pending: dict, how: str) -> Iterator[FileResult]:
    done, _ = cf.wait(list(pending), return_when=how)
    for fut in done:
        pending.pop(fut)
        yield fut.result()


def run_jobs(
    jobs: Iterable[FileJob],
    parallel: Any = "processes",
    workers: int | None = None,
    start_method: str | None = None,
) -> Generator[FileResult, None, None]:
    """Yield a :class:`FileResult` per job as files finish; raise the first failure."""
    jobs = iter(jobs)
    if parallel == "serial":
        yield from _run_serial(jobs)
        return
    if parallel in ("processes", "threads"):
        n = workers or default_workers()
        if parallel == "processes":
            ctx = _process_context(start_method)
            if ctx.get_start_method() == "fork":
                yield from run_forked(list(jobs), n, _died)
                return
        cache = None
        if parallel == "threads":
            cache = _recycling_cache()
            ex: cf.Executor = cf.ThreadPoolExecutor(
                n,
                thread_name_prefix="fastiter-nc",
                initializer=cache.install if cache is not None else None,
            )
        else:
            ex = cf.ProcessPoolExecutor(n, mp_context=ctx, initializer=_child_init)
        try:
            yield from _run_executor(ex, jobs, 2 * n)
        finally:
            if cache is not None:
                cache.set_limits(0, 0)  # give the kept blocks back now, not at GC
        return
    if hasattr(parallel, "submit") and hasattr(parallel, "scheduler_info"):
        from fastiter.netcdf.cluster import run_distributed

        yield from run_distributed(parallel, jobs, 2 * workers if workers else None)
        return
    raise ValueError(
        f"parallel must be one of {PARALLEL_MODES} or a distributed.Client, got {parallel!r}"
    )


class Progress(Protocol):
    """What the writer uses of a tqdm bar (and of the no-op stand-in)."""

    def update(self, n: int = 1) -> Any: ...

    def close(self) -> None: ...

    def set_postfix_str(self, s: str) -> Any: ...


def make_progress(total: int, enabled: bool, desc: str) -> Progress:
    """A tqdm bar counting files (a no-op when disabled)."""
    if not enabled:
        return _Null()
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="file", desc=desc, leave=True)


class _Null:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass

    def set_postfix_str(self, s: str) -> None:
        pass
