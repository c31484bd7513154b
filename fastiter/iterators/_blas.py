"""Cap the BLAS and OpenMP thread pools while producer threads run, so the cores are not
oversubscribed.

OpenBLAS (numpy's BLAS) starts one worker per core and lets those workers busy-wait
after each call; MKL, BLIS and the OpenMP runtimes (libgomp, libomp, libiomp: torch,
numba's OpenMP layer, OpenMP-threaded BLAS) do the same.  A consumer doing a matmul
while a producer thread also runs then puts ``cores + 1`` busy threads on ``cores``
cores: in the demo (2 cores, one producer) the idle-spinning BLAS worker burned
0.55 CPU-s of a 1.9 s pipelined epoch, and the pipelined epoch was slower than running
producer and consumer back to back.  While at least one pipeline is live, each pool is
limited to the CPUs the producers leave free (at least one; the CPUs counted by
:func:`fastiter._cpus.available_cpus`); the original sizes come back when the last
pipeline stops.

The libraries are found and driven by threadpoolctl.  Finding them walks the loaded
shared objects (about 1-2 ms), so the result is kept and looked up again only when a
module was imported since (``import torch`` brings its OpenMP runtime).  Set
``FASTITER_BLAS_CAP=0`` to leave every pool alone.

An OpenMP runtime's limit belongs to the thread that sets it: the cap is set (and
lifted) on the thread that starts (and stops) the pipeline, the consumer's, which is
where its compute runs.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

from threadpoolctl import ThreadpoolController

from fastiter import _env
from fastiter._cpus import available_cpus

__all__ = ["acquire", "release", "controlled"]

_lock = threading.Lock()
# live pipelines, their producers, and while capped: [(library controller, original)]
_state: dict[str, Any] = {"live": 0, "producers": 0, "saved": None}
_found: list[Any] = [-1, []]  # [len(sys.modules) when looked up, library controllers]


def _libraries() -> list[Any]:
    if _found[0] != len(sys.modules):
        _found[:] = [len(sys.modules), ThreadpoolController().lib_controllers]
    return _found[1]


def controlled() -> list[dict[str, Any]]:
    """threadpoolctl's description of every pool currently capped (empty when none)."""
    with _lock:
        return [dict(lib.info(), original=n) for lib, n in (_state["saved"] or [])]


def _set(lib: Any, n: int) -> None:
    # OpenBLAS's pthreads pool answers only the thread threadpoolctl last let set it;
    # fastiter is the one changing it here (and gives it back), so it takes the turn
    clear = getattr(type(lib), "clear_controlling_thread", None)
    if clear is not None:
        clear(force=True)
    lib.set_num_threads(n)
    if clear is not None:
        clear()


def _apply_cap() -> None:
    cap = max(1, available_cpus() - _state["producers"])
    for lib, original in _state["saved"]:
        _set(lib, min(original, cap))


def acquire(producers: int) -> None:
    """A pipeline with ``producers`` threads starts: shrink the pools to fit."""
    with _lock:
        _state["live"] += 1
        _state["producers"] += producers
        if _state["saved"] is None:
            if not _env.get("FASTITER_BLAS_CAP"):
                return  # FASTITER_BLAS_CAP=0: leave the pools alone
            _state["saved"] = [
                (lib, lib.num_threads)
                for lib in _libraries()
                if isinstance(lib.num_threads, int) and lib.num_threads > 0
            ]
        _apply_cap()


def release(producers: int) -> None:
    """That pipeline stopped: give the pools back their sizes when none is left."""
    with _lock:
        if _state["live"] <= 0:
            return  # a pipeline inherited across fork, already forgotten here
        _state["live"] -= 1
        _state["producers"] -= producers
        if _state["saved"] is None:
            return
        if _state["live"] == 0:
            saved, _state["saved"] = _state["saved"], None
            for lib, original in saved:
                _set(lib, original)
        else:
            _apply_cap()


def _after_fork_in_child() -> None:
    # The parent's pipelines have no threads in the child and are never stopped there
    # (see _pipeline._after_fork_in_child), so their cap would otherwise stay forever.
    global _lock
    _lock = threading.Lock()  # the parent's may have been held across the fork
    saved = _state["saved"]
    _state.update(live=0, producers=0, saved=None)
    for lib, original in saved or []:
        _set(lib, original)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
