"""A lean pool of forked writer processes for :func:`run_jobs` (Linux ``fork``).

Why not ``ProcessPoolExecutor``: per file it pickles a call and a result through a
queue fed by a thread and routed by a management thread, which cost more than
writing a 5 MB file from the page cache.  Here the jobs are inherited by ``fork`` (the
pieces are never pickled), children take job numbers from one shared pipe (so a
slow file never holds up the others), and report one JSON line per event on their
own pipe; the parent sleeps in ``poll`` until a child reports.

Failure handling: a job's exception comes back as its message (file, chunk and the
worker traceback) and is raised as :class:`ChunkWriteError` once the running files
are done; a child that dies without reporting (killed, crashed) is detected from its
pipe closing and reported with the file it was writing.  On any exception in the
caller (``KeyboardInterrupt`` included) or when the generator is closed early, the
children are killed and reaped before control returns; their temporary files are
cleared by the writer.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import struct
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from fastiter.netcdf._heap import MMAP_MAX, set_thresholds
from fastiter.netcdf.filejob import HDF5_LOCK, ChunkWriteError, FileJob, FileResult, run_job

__all__ = ["run_forked"]

_INDEX = struct.Struct("<i")
#: Let children keep freed memory for reuse (see _keep_freed_memory).
TUNE_MALLOC = True
#: Child pids of the most recent pool (tests check that none is left running).
last_children: list[int] = []


def _child(jobs: Sequence[FileJob], tasks: int, report: int) -> None:
    """Body of a forked child: take job numbers until the pipe is empty, report each."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides on Ctrl-C
    if TUNE_MALLOC:
        _keep_freed_memory()
    code = 0
    try:
        from fastiter.netcdf._xarray_private import HDF5_LOCK as XR_HDF5
        from fastiter.netcdf._xarray_private import NETCDFC_LOCK as XR_NETCDFC

        for lock in (XR_HDF5, XR_NETCDFC, HDF5_LOCK):  # held by the parent across fork
            if lock.locked():
                lock.release()
        while True:
            raw = _next_index(tasks)
            if not raw:
                break
            (pos,) = _INDEX.unpack(raw)
            _send(report, {"start": pos})
            try:
                r = run_job(jobs[pos])
            except ChunkWriteError as err:
                _send(report, {"error": str(err), "path": err.path, "chunk": err.chunk})
                code = 1
                break
            _send(
                report,
                {
                    "done": pos,
                    "size": r.size,
                    "checksum": r.checksum,
                    "algorithm": r.algorithm,
                    "seconds": r.seconds,
                    "nbytes": r.nbytes,
                    "record": r.record,
                },
            )
    except BaseException:  # noqa: BLE001 - anything else still reaches the parent
        try:
            _send(
                report,
                {
                    "error": f"worker process failed:\n{traceback.format_exc()}",
                    "path": "",
                    "chunk": "",
                },
            )
        except BaseException:  # noqa: BLE001 - the pipe is gone; exit code 1 still tells the parent
            pass
        code = 1
    finally:
        os._exit(code)


def _keep_freed_memory() -> None:
    """glibc: serve chunk-sized buffers from the heap and keep freed memory for reuse.

    Computing a piece allocates several chunk-sized temporaries; by default each is a
    fresh ``mmap`` whose pages fault in and are zeroed again (~1600 faults per 5 MB
    piece of ``sqrt(sin**2 + cos**2)``; 32 -> 28 ms per piece measured).  A child lives
    for one call, so not returning freed memory to the OS early costs nothing; its peak
    stays the same.
    """
    set_thresholds(MMAP_MAX, 1 << 30)  # trim only what exceeds 1 GiB


def _next_index(fd: int) -> bytes:
    """The next job number, or b"" at end of input.

    The pipe is non-blocking (the flag is shared with the parent, which must not block
    when draining it), so an empty pipe is waited on with select.
    """
    while True:
        try:
            return os.read(fd, _INDEX.size)
        except BlockingIOError:
            select.select([fd], [], [])


def _send(fd: int, msg: dict[str, Any]) -> None:
    data = (json.dumps(msg) + "\n").encode()
    while data:
        data = data[os.write(fd, data) :]


@contextlib.contextmanager
def _ctrl_c_after_the_forks() -> Iterator[None]:
    """Hold a Ctrl-C that arrives during the forks and raise it once they are done.

    Python runs at-fork callbacks in the parent (logging releases its lock there); a
    KeyboardInterrupt raised inside one is printed as "Exception ignored" and dropped, so
    the user's Ctrl-C would be lost.  Here the signal is only noted, then handed to the
    handler that was installed before.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers live in the main thread; nothing to hold here
        return
    pressed: list[Any] = []
    previous = signal.signal(signal.SIGINT, lambda _sig, frame: pressed.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if pressed and callable(previous):
            previous(signal.SIGINT, pressed[0])  # Python's default raises KeyboardInterrupt
        elif pressed and previous == signal.SIG_DFL:
            os.kill(os.getpid(), signal.SIGINT)


def _fork_children(
    jobs: Sequence[FileJob], n: int, pipe: _TaskPipe, children: dict[int, int]
) -> None:
    """Fork ``n`` children into ``children`` ({report fd: pid}), filled as they start, so
    that the caller reaps every one even when a Ctrl-C ends the forking.

    The writing libraries are imported first so children inherit them, and the fork
    happens while the library locks are held, so no parent thread is inside HDF5.
    """
    try:
        import netCDF4  # noqa: F401 - imported before the fork: the children inherit it
    except ImportError:  # pragma: no cover - engine='h5netcdf' without netCDF4
        pass
    import h5py  # noqa: F401 - imported before the fork: the children inherit it

    from fastiter.netcdf._xarray_private import HDF5_LOCK as XR_HDF5
    from fastiter.netcdf._xarray_private import NETCDFC_LOCK as XR_NETCDFC

    with _ctrl_c_after_the_forks(), XR_HDF5, XR_NETCDFC, HDF5_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
        for _ in range(n):
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child, which never returns
                os.close(r)
                if pipe.w >= 0:
                    os.close(pipe.w)
                for fd in children:
                    os.close(fd)
                _child(jobs, pipe.r, w)
            os.close(w)
            children[r] = pid


class _TaskPipe:
    """Job numbers for the children; the parent keeps the read end to drain it."""

    def __init__(self, count: int) -> None:
        self.r, self.w = os.pipe()
        os.set_blocking(self.w, False)
        os.set_blocking(self.r, False)  # shared with the children: they wait in select
        self.todo = list(range(count))
        self.feed()

    def feed(self) -> None:
        """Write as many job numbers as the pipe takes without blocking."""
        while self.todo and self.w >= 0:
            chunk = b"".join(_INDEX.pack(i) for i in self.todo[:1024])
            try:
                n = os.write(self.w, chunk)
            except BlockingIOError:
                return
            del self.todo[: n // _INDEX.size]  # writes of <= PIPE_BUF: whole or nothing
        self.close_writer()

    def drain(self) -> None:
        """After a failure: take back the numbers not yet started, feed no more."""
        self.todo.clear()
        while True:
            try:
                if not os.read(self.r, 1 << 16):
                    break
            except BlockingIOError:
                break
        self.close_writer()

    def close_writer(self) -> None:
        if self.w >= 0 and not self.todo:
            os.close(self.w)  # children read end-of-input once the pipe is empty
            self.w = -1

    def close(self) -> None:
        self.todo.clear()
        self.close_writer()
        if self.r >= 0:
            os.close(self.r)
            self.r = -1


def run_forked(
    jobs: Sequence[FileJob], n: int, died: Callable[[list[FileJob], BaseException], ChunkWriteError]
) -> Iterator[FileResult]:
    """Run ``jobs`` on ``n`` forked children; yield results as files finish."""
    jobs = list(jobs)
    if not jobs:
        return
    pipe = _TaskPipe(len(jobs))
    children: dict[int, int] = {}
    try:
        _fork_children(jobs, max(1, min(n, len(jobs))), pipe, children)
        yield from _collect(jobs, children, pipe, died)
    finally:
        last_children[:] = list(children.values())
        pipe.close()
        _reap(children)


def _collect(
    jobs: list[FileJob],
    children: dict[int, int],
    pipe: _TaskPipe,
    died: Callable[[list[FileJob], BaseException], ChunkWriteError],
) -> Iterator[FileResult]:
    poller = select.poll()
    for fd in children:
        poller.register(fd, select.POLLIN)
    if pipe.w >= 0:
        poller.register(pipe.w, select.POLLOUT)
    buffers = {fd: b"" for fd in children}
    running: dict[int, int] = {}
    finished: set[int] = set()
    failure: BaseException | None = None
    open_fds = set(children)
    drained = False
    while open_fds:
        for fd, _ev in poller.poll():
            if fd not in buffers:  # the task pipe has room again
                _feed(pipe, poller)
                continue
            data = os.read(fd, 1 << 16)
            if not data:  # the child exited: its end of the pipe closed
                poller.unregister(fd)
                open_fds.discard(fd)
                if fd in running and failure is None:
                    failure = died(
                        [jobs[running[fd]]],
                        ChildProcessError(f"worker pid {children[fd]} exited while writing"),
                    )
                continue
            *lines, buffers[fd] = (buffers[fd] + data).split(b"\n")
            for line in lines:
                msg = json.loads(line)
                if "start" in msg:
                    running[fd] = msg["start"]
                elif "done" in msg:
                    running.pop(fd, None)
                    finished.add(msg["done"])
                    yield _result(jobs[msg["done"]], msg)
                else:
                    running.pop(fd, None)
                    failure = failure or ChunkWriteError(msg["error"], msg["path"], msg["chunk"])
        if failure is not None and not drained:
            w = pipe.w
            pipe.drain()
            drained = True
            if w >= 0:
                poller.unregister(w)
    if failure is None and len(finished) < len(jobs):
        # A child died between taking a job and announcing it.
        lost = [jobs[i] for i in range(len(jobs)) if i not in finished]
        failure = died(lost, ChildProcessError("a worker process exited early"))
    if failure is not None:
        raise failure


def _feed(pipe: _TaskPipe, poller: select.poll) -> None:
    """Hand the children more tasks; stop polling the pipe once every task is in it."""
    w = pipe.w
    pipe.feed()
    if pipe.w < 0:
        poller.unregister(w)


def _result(job: FileJob, msg: dict[str, Any]) -> FileResult:
    """The FileResult a child's "done" message reports for ``job``."""
    return FileResult(
        job.index,
        job.path,
        msg["size"],
        msg["checksum"],
        msg["algorithm"],
        msg["seconds"],
        msg["nbytes"],
        msg.get("record"),
    )


def _reap(children: dict[int, int]) -> None:
    """Kill children still running (early close, caller's exception) and wait for all."""
    for fd, pid in children.items():
        try:
            done, _status = os.waitpid(pid, os.WNOHANG)
            if done == 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        os.close(fd)
