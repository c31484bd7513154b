"""Where the allocating kernel calls get their outputs.

A fresh output of tens of megabytes costs more in page faults than the kernel's own
writes (one-hot 1M x 10 f32: 1.8 ms into an existing buffer, 5.4 ms into np.empty).
Large outputs therefore come from one process-wide block cache (csrc/blockcache.c):
when a caller drops the previous batch, its pages, still mapped, serve the next call of
the same size, so a loop of allocating calls runs at its ``out=`` twin's speed.  The
cache holds at most ``MAX_BLOCKS`` freed outputs and ``MAX_BYTES`` in all (the memory
the caller itself just held); :func:`release_output_cache` gives it back, and
``FASTITER_OUTPUT_CACHE=0`` turns the cache off (every output is then a fresh array).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from fastiter import _env
from fastiter._core import BlockCache

__all__ = ["empty_output", "zeros_or_recycled", "release_output_cache", "output_cache_stats"]

MIN_BYTES = 1 << 20  # smaller outputs: malloc's own free lists already recycle them
MAX_BLOCKS = 4  # e.g. a padded batch and its mask, twice over
MAX_BYTES = 1 << 30


def _enabled() -> bool:
    try:
        return bool(_env.get("FASTITER_OUTPUT_CACHE"))
    except Warning as exc:  # warnings turned into errors: report and go on
        sys.stderr.write(f"fastiter: {exc}\n")
        return bool(_env.default("FASTITER_OUTPUT_CACHE"))


#: no cache at all when the environment turns it off: nothing is kept mapped
_cache = BlockCache(MIN_BYTES, MAX_BLOCKS, MAX_BYTES) if _enabled() else None


def _nbytes(shape: tuple[int, ...], dt: np.dtype) -> int:
    n = dt.itemsize
    for d in shape:
        n *= d
    return n


def empty_output(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """``np.empty(shape, dtype)``, from the output cache when it is large."""
    dt = np.dtype(dtype)
    if _cache is None or _nbytes(shape, dt) < MIN_BYTES:
        return np.empty(shape, dt)
    return _cache.empty(shape, dt)


def zeros_or_recycled(shape: tuple[int, ...], dtype: Any) -> tuple[np.ndarray, bool]:
    """``(array, zeroed)``: a recycled output block as it was left (``zeroed`` False:
    the kernel must write every byte), else fresh zero pages (``zeroed`` True: the
    kernel may write only the non-zeros, and the untouched pages are never faulted
    in by a write)."""
    dt = np.dtype(dtype)
    if _cache is None or _nbytes(shape, dt) < MIN_BYTES:
        return np.zeros(shape, dt), True
    return _cache.zeros_or_recycled(shape, dt)


def release_output_cache() -> None:
    """Free every output block the kernels keep for reuse (arrays alive stay valid).

    Examples
    --------
    >>> from fastiter.kernels import one_hot, release_output_cache
    >>> _ = one_hot([1] * 300_000, 10)
    >>> release_output_cache()
    """
    if _cache is not None:
        _cache.set_limits(0, 0)
        _cache.set_limits(MAX_BLOCKS, MAX_BYTES)


def output_cache_stats() -> dict[str, int]:
    """The output cache's ``hits``, ``misses``, ``cached_blocks`` and ``cached_bytes``
    (all 0 when ``FASTITER_OUTPUT_CACHE=0`` turned it off)."""
    if _cache is None:
        return {"hits": 0, "misses": 0, "cached_blocks": 0, "cached_bytes": 0}
    return _cache.stats()
