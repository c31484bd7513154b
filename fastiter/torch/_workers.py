"""fastiter's native thread pool inside DataLoader worker processes.

Each DataLoader worker is a process of its own; with fastiter's default (one pool thread
per core) ``num_workers`` workers would start ``num_workers x cores`` threads on the
same cores.  So, as torch does for its own intra-op threads, a worker uses one pool
thread unless its own code chose a count: ``fastiter.set_num_threads`` called in that
process (for example from :func:`worker_init_fn`) or ``FASTITER_NUM_THREADS``.
"""

from __future__ import annotations

import os

from fastiter import _env
from fastiter.interop import require
from fastiter.kernels import set_default_num_threads, set_num_threads

_torch = require("torch")

__all__ = ["worker_init_fn", "configure_worker_threads"]

_checked_in: int | None = None


def configure_worker_threads() -> None:
    """In a DataLoader worker whose code chose no thread count, use one pool thread.

    Called by fastiter's datasets on entry (cheap after the first call per process);
    does nothing in the main process.
    """
    global _checked_in
    pid = os.getpid()
    if _checked_in == pid:
        return
    _checked_in = pid
    if _torch.utils.data.get_worker_info() is None:
        return
    set_default_num_threads(1)  # records no choice: the user's own count still wins


def worker_init_fn(worker_id: int, num_threads: int | None = None) -> None:
    """``DataLoader(worker_init_fn=...)``: set fastiter's pool size in each worker.

    Parameters
    ----------
    worker_id : int
        Passed by the DataLoader (unused: every worker gets the same count).
    num_threads : int, optional
        Pool threads per worker (the calling thread included); default
        ``FASTITER_NUM_THREADS`` if set, else 1.  Bind it with ``functools.partial``.

    Examples
    --------
    >>> import functools, fastiter
    >>> from fastiter.torch import worker_init_fn
    >>> old = fastiter.get_num_threads()
    >>> init = functools.partial(worker_init_fn, num_threads=2)
    >>> init(0); fastiter.get_num_threads()    # what each worker runs first
    2
    >>> fastiter.set_num_threads(old)
    >>> # then: DataLoader(ds, num_workers=2, worker_init_fn=init)
    """
    if num_threads is None:
        raw = os.environ.get("FASTITER_NUM_THREADS", "").strip()
        num_threads = _env.parse("FASTITER_NUM_THREADS", raw) if raw else 1
    set_num_threads(num_threads)
