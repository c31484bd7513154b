"""Where the allocating kernel calls get their outputs.

A fresh output of tens of megabytes costs more in page faults than the kernel's own
writes (one-hot 1M x 10 f32: 1.8 ms into an existing buffer, 5.4 ms into np.empty).
Large outputs therefore come from one process-wide block cache (csrc/blockcache.c):
when a caller drops the previous batch, its pages, still mapped, serve the next call of
the same size, so a loop of allocating calls runs at its ``out=`` twin's speed.  The
cache holds at most ``MAX_BLOCKS`` freed outputs and ``MAX_BYTES`` in all (the memory
the caller itself just held); :func:`release_output_cache` gives it back.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from fastiter._core._alloc import BlockCache

__all__ = ["empty_output", "zeros_or_recycled", "release_output_cache", "output_cache_stats"]

MIN_BYTES = 1 << 20  # smaller outputs: malloc's own free lists already recycle them
MAX_BLOCKS = 4       # e.g. a padded batch and its mask, twice over
MAX_BYTES = 1 << 30

_cache = BlockCache(MIN_BYTES, MAX_BLOCKS, MAX_BYTES)


def _nbytes(shape: tuple[int, ...], dt: np.dtype) -> int:
    n = dt.itemsize
    for d in shape:
        n *= d
    return n


def empty_output(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """``np.empty(shape, dtype)``, from the output cache when it is large."""
    dt = np.dtype(dtype)
    if _nbytes(shape, dt) < MIN_BYTES:
        return np.empty(shape, dt)
    return _cache.empty(shape, dt)


def zeros_or_recycled(shape: tuple[int, ...], dtype: Any) -> tuple[np.ndarray, bool]:
    """``(array, zeroed)``: a recycled output block as it was left (``zeroed`` False:
    the kernel must write every byte), else fresh zero pages (``zeroed`` True: the
    kernel may write only the non-zeros, and the untouched pages are never faulted
    in by a write)."""
    dt = np.dtype(dtype)
    if _nbytes(shape, dt) < MIN_BYTES:
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
    _cache.set_limits(0, 0)
    _cache.set_limits(MAX_BLOCKS, MAX_BYTES)


def output_cache_stats() -> dict[str, int]:
    """The output cache's ``hits``, ``misses``, ``cached_blocks`` and ``cached_bytes``."""
    return _cache.stats()
