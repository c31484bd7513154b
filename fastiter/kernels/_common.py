"""Shared plumbing of the kernel facade: dtype codes and argument checks."""

from __future__ import annotations

from typing import Any

import numpy as np

from fastiter._core import kernels as _kernels
from fastiter._validate import check_int, is_int

__all__ = ["FI_DTYPE_CODES", "check_out", "check_shape", "native_order"]

# numpy dtype -> fi_dtype code, as the C enum (csrc/include/fastiter/common.h) defines it:
# the values come from the compiled module, which reads them from the header
FI_DTYPE_CODES: dict[np.dtype, int] = {
    np.dtype(name): code for name, code in _kernels.DTYPE_CODES.items()
}


def check_out(out: Any, shape: tuple[int, ...], dtype: np.dtype, name: str = "out") -> None:
    """Raise unless ``out`` is a writeable C-contiguous ndarray of ``shape`` and ``dtype``."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(out).__name__}")
    if out.shape != shape or out.dtype != dtype:
        raise ValueError(
            f"{name} must have shape {shape} and dtype {dtype}, "
            f"got shape {out.shape} and dtype {out.dtype}"
        )
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError(
            f"{name} must be a writeable C-contiguous array; pass a fresh "
            f"np.empty({shape}, {dtype}) or let the function allocate"
        )


def check_shape(shape: Any) -> tuple[int, ...]:
    """Normalise an int or a sequence of ints >= 0 into a shape tuple."""
    if is_int(shape):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"shape must be an int or a sequence of ints, got {shape!r}") from None
    return tuple(check_int(f"shape[{i}]", d, 0) for i, d in enumerate(dims))


def native_order(arr: np.ndarray) -> np.ndarray:
    """``arr`` in the machine's byte order (one converting copy if it was byte-swapped).

    Arrays read from big-endian files (IDX, HDF5, ``np.load`` of a '>i4' array) carry a
    non-native dtype that the C kernels' typed entry points cannot take as is.
    """
    return arr if arr.dtype.isnative else arr.astype(arr.dtype.newbyteorder("="))
