"""numba peers for the kernel benchmarks (bench/ and ``fastiter bench``).

These are the strongest peers the issue names: numba loops into preallocated buffers,
compiled once with ``parallel=True`` (``prange``) and once serially (the same source:
``prange`` is ``range`` without ``parallel``).  They exist only to be timed against the
C kernels; fastiter never calls them.  ``fill`` (parallel) is a ceiling: the output's
bytes written on every thread with ordinary stores, no input read; ``copy`` (parallel)
another: contiguous rows copied on every thread, no index read.  Compilation happens
in :func:`peers` and a first call in each case's set-up, outside any timed region.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["peers", "flat_with_offsets"]

_COMPILED: dict[bool, dict[str, Any]] = {}


def _sources(numba: Any) -> dict[str, Any]:
    prange = numba.prange

    def one_hot(lab, o):
        for i in prange(lab.size):
            row = o[i]
            row[:] = 0
            row[lab[i]] = 1

    def pad_mask_nft(vals, offs, out, mask, align_end):
        n, nf, steps = out.shape
        for i in prange(n):
            s = offs[i]
            c = offs[i + 1] - s
            st = steps - c if align_end else 0
            for f in range(nf):
                row = out[i, f]
                row[:st] = 0
                for t in range(c):
                    row[st + t] = vals[s + t, f]
                row[st + c :] = 0
            m = mask[i]
            m[:st] = 0
            m[st : st + c] = 1
            m[st + c :] = 0

    def gather(src, idx, o):
        for i in prange(idx.size):
            o[i, :] = src[idx[i]]

    def fill(o, v):
        flat = o.reshape(-1)
        for i in prange(flat.size):
            flat[i] = v

    def copy(src, o):
        for i in prange(src.shape[0]):
            o[i, :] = src[i]

    return {
        "one_hot": one_hot,
        "pad_mask_nft": pad_mask_nft,
        "gather": gather,
        "fill": fill,
        "copy": copy,
    }


def peers(parallel: bool) -> dict[str, Any] | None:
    """The numba peers compiled with ``parallel`` (prange) or serially; None without numba."""
    if parallel not in _COMPILED:
        try:
            import numba
        except ImportError:
            return None
        _COMPILED[parallel] = {
            k: numba.njit(parallel=parallel, cache=False)(f) for k, f in _sources(numba).items()
        }
    return _COMPILED[parallel]


def flat_with_offsets(seqs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """A list of ``[T_i, F]`` arrays as ``(values, offsets)``: the layout numba reads best
    (a reflected list of arrays is slow in numba), built outside the timed region."""
    offs = np.zeros(len(seqs) + 1, np.int64)
    np.cumsum([len(s) for s in seqs], out=offs[1:])
    return np.concatenate(seqs), offs
