"""Batch assembly: ``gather`` rows by index and ``collate`` per-example arrays.

The Python face of ``fi_gather`` and ``fi_collate`` (csrc/gather.c): both are pure
copies into a C-contiguous batch, split across the thread pool when large.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fastiter._core import kernels as _kernels
from fastiter.kernels._common import check_out

__all__ = ["gather", "collate"]


def _source_rows(source: Any) -> tuple[np.ndarray, int, int]:
    """(source, row_bytes, row_stride): rows must be contiguous; the row stride may not."""
    src = np.asarray(source)
    if src.ndim < 1:
        raise ValueError(f"source must have at least one axis of rows, got shape {src.shape}")
    if src.dtype.hasobject:
        raise TypeError("source must hold plain data, not Python objects")
    inner = src[0] if src.shape[0] else np.empty(src.shape[1:], src.dtype)
    if src.shape[0] and not inner.flags.c_contiguous:
        src = np.ascontiguousarray(src)  # rows themselves strided: one copy, then gather
    row_bytes = src.itemsize * int(np.prod(src.shape[1:], dtype=np.int64))
    stride = src.strides[0] if src.shape[0] > 1 else max(row_bytes, 1)
    if src.shape[0] > 1 and stride < row_bytes:
        src = np.ascontiguousarray(src)  # negative or overlapping row strides
        stride = row_bytes
    return src, row_bytes, max(stride, row_bytes, 1)


def check_indices(indices: Any) -> np.ndarray:
    """``indices`` as a C-contiguous int64 row-number array (TypeError/IndexError otherwise)."""
    idx = np.asarray(indices)
    if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
        raise TypeError(
            f"indices must be a 1-D integer array, got shape {idx.shape} and dtype {idx.dtype}"
        )
    if idx.dtype.kind == "u" and idx.size and idx.max() > np.iinfo(np.int64).max:
        raise IndexError("indices contain a value beyond int64")
    return np.ascontiguousarray(idx, dtype=np.int64)


def index_error(idx: np.ndarray, bad: int, rows: int) -> IndexError:
    """The error for ``idx[bad]``, the first index a kernel found outside ``[0, rows)``."""
    return IndexError(
        f"indices[{bad}] = {idx[bad]} is out of range for a source of "
        f"{rows} rows (valid: 0 to {rows - 1})"
    )


def gather(source: Any, indices: Any, out: np.ndarray | None = None) -> np.ndarray:
    """Copy rows ``source[indices]`` into a C-contiguous batch.

    Parameters
    ----------
    source : ndarray, ``[R, ...]``
        Rows of any trailing shape and dtype.  Rows must be contiguous in memory (a
        row-sliced view is fine); other layouts are made contiguous first.
    indices : array_like of int, ``[B]``
        Row numbers in ``[0, R)``; negative indices are **not** wrapped.
    out : ndarray, optional
        Preallocated C-contiguous ``[B, ...]`` of ``source.dtype`` (a reused batch slot).

    Returns
    -------
    ndarray
        ``[B, ...]``, equal to ``source[indices]``.

    Raises
    ------
    IndexError
        If an index is negative or ``>= R``, naming its position; nothing is written.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiter.kernels import gather
    >>> gather(np.arange(6).reshape(3, 2), [2, 0])
    array([[4, 5],
           [0, 1]])
    """
    fast = _gather_fast(source, indices, out)
    if fast is not None:
        return fast
    src, row_bytes, stride = _source_rows(source)
    idx = check_indices(indices)
    shape = (idx.size,) + src.shape[1:]
    if out is None:
        out = np.empty(shape, src.dtype)
    else:
        check_out(out, shape, src.dtype)
    bad = _kernels.gather_into(src, idx, out, row_bytes, stride)
    if bad >= 0:
        raise index_error(idx, bad, src.shape[0])
    return out


def _gather_fast(source: Any, indices: Any, out: np.ndarray | None) -> np.ndarray | None:
    """The per-batch hot path: arrays already in the form the kernel reads, checked in C
    (``gather_rows``).  Returns None to fall back to the general path (which also
    produces the error messages)."""
    if out is None:
        if type(source) is not np.ndarray or type(indices) is not np.ndarray or indices.ndim != 1:
            return None
        out = np.empty(indices.shape + source.shape[1:], source.dtype)
    if _kernels.gather_rows(source, indices, out) != -1:
        return None  # not the hot path's form, or a bad index the general path words
    return out


def collate(arrays: Sequence[Any], out: np.ndarray | None = None) -> np.ndarray:
    """Stack per-example arrays of one shape into a batch ``[N, ...]``.

    Parameters
    ----------
    arrays : sequence of array_like
        N examples of one shape.  The dtype is the first array's (or ``out``'s).
    out : ndarray, optional
        Preallocated C-contiguous ``[N, *shape]`` output.

    Returns
    -------
    ndarray
        Equal to ``np.stack(arrays)``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiter.kernels import collate
    >>> collate([np.array([1, 2]), np.array([3, 4])])
    array([[1, 2],
           [3, 4]])
    """
    items = list(arrays)
    if not items:
        if out is None:
            raise ValueError("collate needs at least one array (or an out= of 0 rows)")
        if out.shape[:1] != (0,):
            raise ValueError(f"out must have 0 rows for 0 arrays, got shape {out.shape}")
        return out
    first = np.asarray(items[0])
    shape = (len(items),) + first.shape
    if out is None:
        out = np.empty(shape, first.dtype.newbyteorder("="))  # items are swapped into it
    else:
        check_out(out, shape, out.dtype)
        if not out.dtype.isnative:
            raise ValueError(
                f"out must be in native byte order, got dtype "
                f"{out.dtype.str}; pass np.empty({shape}, "
                f"{out.dtype.newbyteorder('=').str!r})"
            )
    ptrs = np.empty(len(items), np.uintp)
    bad = _kernels.collate_into(items, out, ptrs)
    if bad >= 0:
        items = [_conform(i, a, first.shape, out.dtype) for i, a in enumerate(items)]
        bad = _kernels.collate_into(items, out, ptrs)
        if bad >= 0:  # pragma: no cover - _conform guarantees the layout
            raise AssertionError(f"collate rejected item {bad} after conversion")
    return out


def _conform(i: int, a: Any, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    arr = np.asarray(a)
    if arr.shape != shape:
        raise ValueError(
            f"arrays[{i}] has shape {arr.shape}, but arrays[0] has {shape}; "
            "collate stacks arrays of one shape (pad sequences first)"
        )
    if not np.can_cast(arr.dtype, dtype, "same_kind"):
        raise TypeError(
            f"arrays[{i}] has dtype {arr.dtype}, which cannot be stored in "
            f"{dtype} without changing kind"
        )
    return np.ascontiguousarray(arr, dtype=dtype)
