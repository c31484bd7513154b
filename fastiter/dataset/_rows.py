"""Row (example) helpers shared by DataSet and MultiDataSet: validating arrays against
each other, turning an index into rows, copying and comparing optional arrays."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fastiter._validate import is_int

__all__ = [
    "check_mask",
    "check_count",
    "example_index",
    "range_index",
    "rows",
    "copy_or_none",
    "array_eq",
]


def check_mask(name: str, mask: np.ndarray | None, arr: np.ndarray | None, arr_name: str) -> None:
    """Raise unless ``mask`` is None or fits ``arr`` (``[N, T]`` for rank-3 arrays)."""
    if mask is None:
        return
    if arr is None:
        raise ValueError(f"{name} was given but {arr_name} is None; a mask needs its array")
    if arr.ndim == 3:
        expected: tuple[int, ...] = (arr.shape[0], arr.shape[2])
    else:
        expected = (arr.shape[0],) if mask.ndim == 1 else arr.shape[: mask.ndim]
    if mask.shape != expected:
        raise ValueError(
            f"{name} must have shape {expected} to match {arr_name} of shape "
            f"{arr.shape}, got {mask.shape}"
        )


def check_count(names: Sequence[str], arrays: Sequence[np.ndarray | None]) -> None:
    """Raise unless every array has a dimension 0 and all agree on its length."""
    for n, a in zip(names, arrays):
        if a is not None and a.ndim == 0:
            raise ValueError(f"{n} must have at least one dimension (examples), got a scalar")
    counts = {n: a.shape[0] for n, a in zip(names, arrays) if a is not None}
    if counts and len(set(counts.values())) > 1:
        described = ", ".join(f"{n} has {c}" for n, c in counts.items())
        raise ValueError(
            f"every array must hold the same number of examples (dimension 0): {described}"
        )


def example_index(index: Any, n: int, kind: str) -> slice | np.ndarray:
    """``index`` (an int, a slice, integer indices or a boolean mask) as rows to select.

    An int becomes a one-row slice, so a single example stays a batch of 1.
    """
    if is_int(index):
        if not -n <= index < n:
            raise IndexError(f"example index {index} is out of range for a {kind} of {n} examples")
        i = int(index) % n
        return slice(i, i + 1)
    if isinstance(index, slice):
        return index
    idx = np.asarray(index)
    if idx.ndim != 1:
        raise IndexError(
            f"index must be an int, a slice or a 1-d array of indices, "
            f"got an array of shape {idx.shape}"
        )
    if idx.dtype == np.bool_:
        if idx.shape != (n,):
            raise IndexError(f"a boolean index must have shape ({n},), got {idx.shape}")
        return np.flatnonzero(idx)
    if idx.size == 0:
        return idx.astype(np.intp)
    if idx.dtype.kind not in "iu":
        raise IndexError(f"index must be an int, a slice or integer indices, got dtype {idx.dtype}")
    if idx.min() < -n or idx.max() >= n:
        bad = idx[(idx < -n) | (idx >= n)][0]
        raise IndexError(f"example index {bad} is out of range for a {kind} of {n} examples")
    return np.where(idx < 0, idx + n, idx) if idx.min() < 0 else idx


def range_index(start: int, end: int, n: int) -> slice:
    """``slice(start, end)`` after checking ``0 <= start <= end <= n``."""
    if not 0 <= start <= end <= n:
        raise IndexError(f"get_range needs 0 <= start <= end <= {n}, got start={start}, end={end}")
    return slice(start, end)


def rows(arr: np.ndarray | None, index: Any) -> np.ndarray | None:
    """``arr[index]``: a view for a slice, a gathered copy for an array of row numbers.

    Gathers go through the native kernel (the one implementation of the hot path);
    ``index`` must then hold non-negative row numbers, as :func:`example_index` returns.
    """
    if arr is None:
        return None
    if isinstance(index, np.ndarray) and arr.flags.c_contiguous:
        from fastiter.kernels import gather

        return gather(arr, index)
    return arr[index]


def copy_or_none(arr: np.ndarray | None) -> np.ndarray | None:
    return None if arr is None else arr.copy()


def array_eq(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    """Both None, or the same shape and values (NaN equal to NaN for floats)."""
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
