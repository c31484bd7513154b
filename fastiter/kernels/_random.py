"""Counter-based random generation (Philox4x32-10): the Python face of csrc/philox.c.

Every element is a pure function of ``(seed, stream, element index)``, so results are
bit-identical whatever the thread count, the chunking, the SIMD path, or whether an
array is filled whole or in parts (``start=``).  See fastiter/random.h for the exact
element-to-counter layout.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from fastiter._core import kernels as _kernels
from fastiter._validate import SeedLike, check_int, seed_key
from fastiter.kernels._common import FI_DTYPE_CODES, check_out, check_shape
from fastiter.kernels._outputs import empty_output

__all__ = [
    "random_uniform",
    "random_normal",
    "random_integers",
    "random_binary",
    "random_one_hot",
    "random_bits",
]

_U64 = (1 << 64) - 1
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_ONE_HOT_OUT = tuple(
    np.dtype(t) for t in (np.bool_, np.uint8, np.int32, np.float16, np.float32, np.float64)
)


def _prepare(
    shape: Any,
    seed: Any,
    stream: Any,
    start: Any,
    dtype: DTypeLike,
    allowed: tuple[np.dtype, ...],
    out: np.ndarray | None,
    row: int = 0,
) -> tuple[np.ndarray, int, int, int]:
    """The output, and seed (an int, None, SeedSequence or Generator made the Philox
    key), stream and start checked."""
    shp = check_shape(shape) + ((row,) if row else ())
    key = seed_key("seed", seed)
    first = check_int("start", start, 0, (1 << 61) - 1)
    dt = np.dtype(dtype)
    if dt not in allowed:
        raise TypeError(f"dtype must be one of {', '.join(map(str, allowed))}, got {dt}")
    if out is None:
        out = empty_output(shp, dt)
    else:
        check_out(out, shp, dt)
    return out, key, check_int("stream", stream, 0, _U64), first


_DOC_COMMON = """
    shape : int or tuple of int
        Output shape.
    seed : int, None, SeedSequence or Generator
        The Philox key: an int in ``[0, 2**64)`` is the key itself (the same seed always
        gives the same numbers); a ``SeedSequence`` gives its first 64-bit word, a
        ``Generator`` one 64-bit draw, None fresh OS entropy (not reproducible).
    dtype : dtype
    out : ndarray, optional
        Preallocated C-contiguous output of ``shape`` and ``dtype``.
    stream : int
        Independent sub-sequence in ``[0, 2**64)`` (e.g. one per worker or epoch).
    start : int
        Index of the first element in the ``(seed, stream)`` sequence; filling
        ``[0, k)`` then ``[k, n)`` with ``start=k`` equals filling ``[0, n)`` at once.
"""


def random_uniform(
    shape: Any,
    seed: SeedLike,
    dtype: DTypeLike = np.float32,
    out: np.ndarray | None = None,
    stream: int = 0,
    start: int = 0,
) -> np.ndarray:
    """Uniform floats on ``[0, 1)`` (24 random bits for float32, 53 for float64).

    >>> from fastiter.kernels import random_uniform
    >>> a = random_uniform((2, 3), seed=7)
    >>> a.shape, a.dtype, bool(((0 <= a) & (a < 1)).all())
    ((2, 3), dtype('float32'), True)
    """
    out, seed, stream, start = _prepare(shape, seed, stream, start, dtype, _FLOATS, out)
    _kernels.random_fill("uniform", seed, stream, start, out, FI_DTYPE_CODES[out.dtype])
    return out


def random_normal(
    shape: Any,
    seed: SeedLike,
    dtype: DTypeLike = np.float32,
    out: np.ndarray | None = None,
    stream: int = 0,
    start: int = 0,
) -> np.ndarray:
    """Standard normal floats (Box-Muller; elements 2m and 2m+1 form one pair).

    >>> from fastiter.kernels import random_normal
    >>> round(float(random_normal(100_000, seed=1).std()), 1)
    1.0
    """
    out, seed, stream, start = _prepare(shape, seed, stream, start, dtype, _FLOATS, out)
    _kernels.random_fill("normal", seed, stream, start, out, FI_DTYPE_CODES[out.dtype])
    return out


def random_integers(
    shape: Any,
    low: int,
    high: int,
    seed: SeedLike,
    dtype: DTypeLike = np.int64,
    out: np.ndarray | None = None,
    stream: int = 0,
    start: int = 0,
) -> np.ndarray:
    """Integers in ``[low, high)``, one 32-bit word each by multiply-shift.

    ``high - low`` may be at most ``2**32``; the bias of each value is below
    ``(high - low) / 2**32`` (no rejection loop, so results stay chunk-invariant).

    >>> from fastiter.kernels import random_integers
    >>> x = random_integers(1000, 3, 7, seed=0)
    >>> sorted(set(x.tolist()))
    [3, 4, 5, 6]
    """
    ints = tuple(d for d in FI_DTYPE_CODES if d.kind in "iu")
    out, seed, stream, start = _prepare(shape, seed, stream, start, dtype, ints, out)
    low = check_int("low", low)
    high = check_int("high", high)
    if not 1 <= high - low <= 1 << 32:
        raise ValueError(f"need low < high <= low + 2**32, got low={low}, high={high}")
    info = np.iinfo(out.dtype)
    if low < info.min or high - 1 > info.max:
        raise ValueError(
            f"[{low}, {high}) does not fit dtype {out.dtype} ([{info.min}, {info.max}])"
        )
    _kernels.random_fill(
        "integers", seed, stream, start, out, FI_DTYPE_CODES[out.dtype], low=low, rng=high - low
    )
    return out


def random_binary(
    shape: Any,
    p: float,
    seed: SeedLike,
    dtype: DTypeLike = np.float32,
    out: np.ndarray | None = None,
    stream: int = 0,
    start: int = 0,
) -> np.ndarray:
    """Bernoulli(p) draws as 1/0 (``True``/``False`` for bool), e.g. dropout masks.

    >>> from fastiter.kernels import random_binary
    >>> random_binary(5, 1.0, seed=3, dtype=bool).tolist()
    [True, True, True, True, True]
    """
    out, seed, stream, start = _prepare(
        shape, seed, stream, start, dtype, tuple(FI_DTYPE_CODES), out
    )
    if not isinstance(p, (int, float, np.integer, np.floating)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be a probability in [0, 1], got {p!r}")
    _kernels.random_fill("binary", seed, stream, start, out, FI_DTYPE_CODES[out.dtype], p=float(p))
    return out


def random_one_hot(
    shape: Any,
    num_classes: int,
    seed: SeedLike,
    dtype: DTypeLike = np.float32,
    out: np.ndarray | None = None,
    stream: int = 0,
    start: int = 0,
) -> np.ndarray:
    """Random one-hot rows: output ``shape + (num_classes,)``, classes uniform.

    ``start`` counts rows (one 32-bit word per row).

    >>> from fastiter.kernels import random_one_hot
    >>> random_one_hot(4, 3, seed=5).sum(axis=1).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    c = check_int("num_classes", num_classes, 1, 1 << 32)
    out, seed, stream, start = _prepare(shape, seed, stream, start, dtype, _ONE_HOT_OUT, out, row=c)
    _kernels.random_fill(
        "one_hot", seed, stream, start, out, FI_DTYPE_CODES[out.dtype], num_classes=c
    )
    return out


def random_bits(
    shape: Any, seed: SeedLike, out: np.ndarray | None = None, stream: int = 0, start: int = 0
) -> np.ndarray:
    """The raw uint32 words of the ``(seed, stream)`` Philox sequence.

    >>> from fastiter.kernels import random_bits
    >>> hex(int(random_bits(1, seed=0)[0]))  # Philox4x32-10 of counter 0, key 0
    '0x6627e8d5'
    """
    out, seed, stream, start = _prepare(
        shape, seed, stream, start, np.uint32, (np.dtype(np.uint32),), out
    )
    _kernels.random_fill("bits", seed, stream, start, out, FI_DTYPE_CODES[out.dtype])
    return out


for _f in (
    random_uniform,
    random_normal,
    random_integers,
    random_binary,
    random_one_hot,
    random_bits,
):
    _f.__doc__ = (_f.__doc__ or "").replace(
        "\n\n    >>>",
        "\n\n    Parameters\n    ----------"
        + _DOC_COMMON
        + "\n    Examples\n    --------\n    >>>",
        1,
    )
