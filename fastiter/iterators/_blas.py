"""Cap the BLAS thread pool while producer threads run, so the cores are not oversubscribed.

OpenBLAS (numpy's BLAS) starts one worker per core and lets those workers busy-wait
after each call.  A consumer doing a matmul while a producer thread also runs then puts
``cores + 1`` busy threads on ``cores`` cores: in the demo (2 cores, one producer) the
idle-spinning BLAS worker burned 0.55 CPU-s of a 1.9 s pipelined epoch, and the
pipelined epoch was slower than running producer and consumer back to back.  While at
least one pipeline is live, the pool is limited to the cores the producers leave free
(at least one); the original size comes back when the last pipeline stops.

Set ``FASTITER_BLAS_CAP=0`` to leave the pool alone.  Only a BLAS already loaded by
this process is touched (found through its exported
``*set_num_threads*`` symbol); without one, everything here is a no-op.
"""
from __future__ import annotations

import ctypes
import os
import threading

__all__ = ["acquire", "release"]

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
            "openblas_set_num_threads64_", "openblas_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
            "openblas_get_num_threads64_", "openblas_get_num_threads")

_lock = threading.Lock()
_state = {"live": 0, "producers": 0, "saved": None}
_api: list = []  # [(get, set)] once looked up, [] before, [None] if absent


def _lookup():
    """(get, set) of the process's OpenBLAS, or None."""
    if _api:
        return _api[0]
    found = None
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower()}
    except OSError:
        paths = set()
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        get = next((getattr(lib, n) for n in _GETTERS if hasattr(lib, n)), None)
        put = next((getattr(lib, n) for n in _SETTERS if hasattr(lib, n)), None)
        if get is not None and put is not None:
            get.restype, get.argtypes = ctypes.c_int, []
            put.restype, put.argtypes = None, [ctypes.c_int]
            found = (get, put)
            break
    _api.append(found)
    return found


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def acquire(producers: int) -> None:
    """A pipeline with ``producers`` threads starts: shrink the BLAS pool to fit."""
    with _lock:
        _state["live"] += 1
        _state["producers"] += producers
        api = _lookup()
        if api is None or os.environ.get("FASTITER_BLAS_CAP", "1").strip() == "0":
            return  # FASTITER_BLAS_CAP=0: leave the BLAS pool alone
        get, put = api
        if _state["saved"] is None:
            _state["saved"] = get()
        cap = max(1, _cores() - _state["producers"])
        if cap < _state["saved"]:
            put(cap)


def release(producers: int) -> None:
    """That pipeline stopped: give the BLAS pool back its size when none is left."""
    with _lock:
        if _state["live"] <= 0:
            return  # a pipeline inherited across fork, already forgotten here
        _state["live"] -= 1
        _state["producers"] -= producers
        api = _api[0] if _api else None
        if api is None or _state["saved"] is None:
            return
        if _state["live"] == 0:
            api[1](_state["saved"])
            _state["saved"] = None
        else:
            api[1](max(1, min(_state["saved"], _cores() - _state["producers"])))


def _after_fork_in_child() -> None:
    # The parent's pipelines have no threads in the child and are never stopped there
    # (see _pipeline._after_fork_in_child), so their cap would otherwise stay forever.
    global _lock
    _lock = threading.Lock()  # the parent's may have been held across the fork
    saved, api = _state["saved"], (_api[0] if _api else None)
    _state.update(live=0, producers=0, saved=None)
    if api is not None and saved is not None:
        api[1](saved)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
