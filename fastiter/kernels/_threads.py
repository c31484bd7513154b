"""The native thread pool's controls (csrc/threads.c).

Large kernel calls split their work across a persistent pool of native threads that
run without the GIL.  The thread count (the calling thread included) comes from
:func:`set_num_threads`, else the ``FASTITER_NUM_THREADS`` environment variable, else
the CPUs this process may use (its affinity mask, capped by its cgroup's CPU quota; see
:mod:`fastiter._cpus`).  Results never depend on it.
"""

from __future__ import annotations

import os
import sys

from fastiter import _env
from fastiter._core import kernels as _kernels
from fastiter._validate import check_int

__all__ = ["set_num_threads", "get_num_threads", "pool_live_threads", "pool_shutdown"]


def set_num_threads(n: int) -> None:
    """Use ``n`` threads (the caller included) for large kernel calls; 1 disables the pool.

    The pool's workers are joined now and restarted lazily at the new size.

    >>> import fastiter
    >>> old = fastiter.get_num_threads()
    >>> fastiter.set_num_threads(1); fastiter.get_num_threads()
    1
    >>> fastiter.set_num_threads(old)
    """
    _kernels.set_num_threads(check_int("n", n, 1, 1024))
    global _chosen_in
    _chosen_in = os.getpid()


#: the process that last called set_num_threads(): a DataLoader worker keeps a count its
#: own code chose, and otherwise gets one thread (fastiter.torch)
_chosen_in: int | None = None


def chosen_here() -> bool:
    """Whether this process chose its thread count (set_num_threads or the environment)."""
    if _chosen_in == os.getpid():
        return True
    raw = os.environ.get("FASTITER_NUM_THREADS", "")
    try:  # a value the pool ignores (unset, or bad and warned about) chose nothing
        return bool(raw.strip()) and _env.parse("FASTITER_NUM_THREADS", raw) >= 1
    except ValueError:
        return False


def set_default_num_threads(n: int) -> None:
    """Use ``n`` threads unless this process chose a count itself (:func:`set_num_threads`
    or ``FASTITER_NUM_THREADS``); unlike :func:`set_num_threads` it records no choice, so
    a later choice of the user's still wins.  For libraries: the torch wrapper sets 1 in
    each ``DataLoader`` worker so that the workers do not oversubscribe the cores.

    >>> from fastiter.kernels import get_num_threads, set_default_num_threads
    >>> before = get_num_threads()
    >>> set_default_num_threads(before)
    """
    n = check_int("n", n, 1, 1024)
    if not chosen_here():
        _kernels.set_num_threads(n)


def get_num_threads() -> int:
    """The thread count large kernel calls use (see :func:`set_num_threads`).

    >>> import fastiter
    >>> fastiter.get_num_threads() >= 1
    True
    """
    return _kernels.get_num_threads()


def pool_live_threads() -> int:
    """How many native worker threads the pool owns right now (0 before first use,
    after :func:`pool_shutdown`, and in a freshly forked child).

    >>> from fastiter.kernels import pool_live_threads
    >>> pool_live_threads() >= 0
    True
    """
    return _kernels.pool_live_threads()


def pool_shutdown() -> None:
    """Join the pool's workers now; the next large call restarts them.

    Also runs at interpreter exit.

    >>> from fastiter.kernels import pool_shutdown, pool_live_threads
    >>> pool_shutdown(); pool_live_threads()
    0
    """
    _kernels.pool_shutdown()


def _configure_pool() -> None:
    """Size the pool from FASTITER_NUM_THREADS, else the CPUs this process may use
    (affinity mask and cgroup quota): the C core alone would count every online core.

    A bad value warns and falls back (never fails the import, even under ``-W error``).
    """
    try:
        n = _env.get("FASTITER_NUM_THREADS")
    except Warning as exc:  # warnings turned into errors: report and go on
        sys.stderr.write(f"fastiter: {exc}\n")
        n = _env.default("FASTITER_NUM_THREADS")
    _kernels.set_num_threads(n)


_configure_pool()
