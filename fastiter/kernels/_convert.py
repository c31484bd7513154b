"""Fused gather + conversion: uint8 rows by index straight into scaled floats.

The Python face of ``fi_gather_scaled_u8`` (csrc/convert.c).  An image batch is a
gather of uint8 pixel rows followed by a conversion to float; doing both in one native
pass reads each byte once and writes each float once, instead of writing a uint8 batch
and reading it back.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from fastiter._core import kernels as _kernels
from fastiter._validate import is_int
from fastiter.kernels._batch import _source_rows, check_indices, index_error
from fastiter.kernels._common import check_out, native_order

__all__ = ["gather_scaled", "gather_scaled_labeled"]

_U8, _I64 = np.dtype(np.uint8), np.dtype(np.int64)
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def gather_scaled(
    source: Any,
    indices: Any = None,
    scale: float = 1.0,
    *,
    threshold: int | None = None,
    dtype: Any = np.float32,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Rows ``source[indices]`` of uint8, converted to scaled floats in one pass.

    Each output element is ``scale * p`` for its source pixel ``p``, or, with a
    ``threshold``, ``scale * (1 if p > threshold else 0)``.

    Parameters
    ----------
    source : ndarray of uint8, ``[R, ...]``
        Rows of any trailing shape (pixels).  Rows must be contiguous in memory (a
        row-sliced view is fine); other layouts are made contiguous first.
    indices : array_like of int, ``[B]``, optional
        Row numbers in ``[0, R)`` (negative indices are **not** wrapped).  ``None``
        converts every row, in order.
    scale : float
        Multiplier, e.g. ``1 / 255`` for pixels in ``[0, 1]``.  For float32 output the
        product is ``float32(p) * float32(scale)``, rounded once.
    threshold : int in [0, 255], optional
        Binarize first: ``p > threshold`` becomes 1, else 0 (DL4J's MNIST binarize is 30).
    dtype : {float32, float64}
        Output element type.
    out : ndarray, optional
        Preallocated C-contiguous ``[B, ...]`` of ``dtype`` (a reused batch slot).

    Returns
    -------
    ndarray
        ``[B, ...]`` of ``dtype``.

    Raises
    ------
    IndexError
        If an index is negative or ``>= R``, naming its position; nothing is written.
    TypeError, ValueError
        For a source that is not uint8, a bad dtype, threshold or ``out``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiter.kernels import gather_scaled
    >>> px = np.array([[0, 51], [255, 102]], np.uint8)
    >>> gather_scaled(px, [1, 0], 0.5)
    array([[127.5,  51. ],
           [  0. ,  25.5]], dtype=float32)
    >>> gather_scaled(px, [0, 1], threshold=30)
    array([[0., 1.],
           [1., 1.]], dtype=float32)
    """
    fast = _fast(source, indices, scale, threshold, dtype, out)
    if fast is not None:
        return fast
    src = np.asarray(source)
    if src.dtype != _U8:
        raise TypeError(
            f"source must be a uint8 array (pixels), got dtype {src.dtype}; "
            "convert other dtypes with astype"
        )
    src, row_len, stride = _source_rows(src)
    out_dtype = _check_dtype(dtype)
    scale = _check_scale(scale)
    thr = _check_threshold(threshold)
    idx = None if indices is None else check_indices(indices)
    rows = src.shape[0] if idx is None else idx.size
    shape = (rows,) + src.shape[1:]
    if out is None:
        out = np.empty(shape, out_dtype)
    else:
        check_out(out, shape, out_dtype)
    bad = _kernels.gather_scaled_into(src, idx, out, row_len, stride, scale, thr)
    if bad >= 0 and idx is not None:  # without indices every row is in range
        raise index_error(idx, bad, src.shape[0])
    return out


def _fast(
    source: Any, indices: Any, scale: Any, threshold: Any, dtype: Any, out: np.ndarray | None
) -> np.ndarray | None:
    """The per-batch hot path: C-contiguous uint8 source, int64 indices, matching out.
    Returns None to fall back to the general path (which also explains errors)."""
    if not (
        type(source) is np.ndarray
        and type(indices) is np.ndarray
        and source.dtype == _U8
        and indices.dtype == _I64
        and indices.ndim == 1
        and source.ndim >= 1
        and source.size
        and source.flags.c_contiguous
        and indices.flags.c_contiguous
        and type(scale) is float
        and (threshold is None or type(threshold) is int and 0 <= threshold <= 255)
    ):
        return None
    shape = indices.shape + source.shape[1:]
    if out is None:
        if dtype is not np.float32 and dtype is not np.float64:
            return None
        out = np.empty(shape, dtype)
    elif not (
        type(out) is np.ndarray
        and out.shape == shape
        and out.dtype in _FLOATS
        and out.dtype == dtype
        and out.flags.c_contiguous
        and out.flags.writeable
    ):
        return None
    row_len = source.size // source.shape[0]
    thr = -1 if threshold is None else threshold
    if _kernels.gather_scaled_into(source, indices, out, row_len, row_len, scale, thr) >= 0:
        return None  # bad index: the general path raises the IndexError
    return out


def gather_scaled_labeled(
    source: Any,
    indices: Any,
    label_rows: Any,
    scale: float = 1.0,
    *,
    threshold: int | None = None,
    shape: tuple[int, ...] | None = None,
    dtype: Any = np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """A labelled batch in one native call: :func:`gather_scaled` of the pixel rows and
    the matching rows of a per-example label table.

    The per-batch step of an image dataset: ``label_rows`` is built once (e.g. the
    one-hot rows of every example, by :func:`one_hot`), so a batch is one kernel call
    (``fi_gather_scaled_labeled_u8``) instead of two.

    Parameters
    ----------
    source : ndarray of uint8, ``[R, ...]``
        Pixel rows, C-contiguous (other layouts are copied first).
    indices : array_like of int, ``[B]``
        Rows in ``[0, R)``; negative indices are **not** wrapped.
    label_rows : ndarray, ``[R, ...]``
        One label row per source row, of any dtype (C-contiguous; copied otherwise).
    scale, threshold, dtype
        As for :func:`gather_scaled`.
    shape : tuple of int, optional
        Per-example shape of the features (e.g. ``(1, 28, 28)``); its product must be
        the source row length.  Default: ``source.shape[1:]``.

    Returns
    -------
    (features, labels) : tuple of ndarray
        ``features[k] = scale * v(source[indices[k]])`` reshaped to ``shape``;
        ``labels[k] = label_rows[indices[k]]``.

    Raises
    ------
    IndexError
        If an index is negative or ``>= R``, naming its position; nothing is written.
    TypeError, ValueError
        For a non-uint8 source, mismatched row counts, a bad shape, dtype or threshold.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiter.kernels import gather_scaled_labeled, one_hot
    >>> px = np.array([[0, 255], [51, 102]], np.uint8)
    >>> x, y = gather_scaled_labeled(px, [1, 1, 0], one_hot([2, 0], 3), 0.5)
    >>> x
    array([[ 25.5,  51. ],
           [ 25.5,  51. ],
           [  0. , 127.5]], dtype=float32)
    >>> y
    array([[1., 0., 0.],
           [1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    if (
        type(source) is np.ndarray
        and type(indices) is np.ndarray
        and type(label_rows) is np.ndarray
        and type(scale) is float
        and (threshold is None or type(threshold) is int and 0 <= threshold <= 255)
        and type(shape) is tuple
        and (dtype is np.float32 or dtype is np.float64)
        and source.dtype == _U8
        and indices.dtype == _I64
        and source.ndim >= 1
        and source.flags.c_contiguous
        and indices.flags.c_contiguous
        and label_rows.flags.c_contiguous
        and label_rows.ndim >= 1
        and label_rows.dtype.isnative
        and len(label_rows) == len(source)
        and indices.ndim == 1
    ):
        # the per-batch hot path: the Cython entry checks layouts and shape itself
        got = _kernels.gather_scaled_labeled(
            source,
            indices,
            label_rows,
            shape,
            scale,
            -1 if threshold is None else threshold,
            dtype is np.float64,
        )
        if type(got) is tuple:
            return got
    src = np.ascontiguousarray(source)
    if src.dtype != _U8 or src.ndim == 0:
        raise TypeError(
            f"source must be a uint8 array (pixels) of at least one axis, got "
            f"dtype {src.dtype} and shape {src.shape}"
        )
    # the kernel copies bytes into a native-order result: swap first, or the values change
    labs = native_order(np.ascontiguousarray(label_rows))
    if labs.ndim == 0 or len(labs) != len(src):
        raise ValueError(
            f"label_rows must have one row per source row ({len(src)}), got shape {labs.shape}"
        )
    row_len = src.size // src.shape[0] if src.shape[0] else int(np.prod(src.shape[1:]))
    shape = src.shape[1:] if shape is None else _check_shape(shape, row_len)
    f64 = _check_dtype(dtype) == np.float64
    scale = _check_scale(scale)
    thr = _check_threshold(threshold)
    idx = check_indices(indices)
    got = _kernels.gather_scaled_labeled(src, idx, labs, tuple(shape), scale, thr, f64)
    if isinstance(got, int):  # the kernel named the first bad index
        raise index_error(idx, got, len(src))
    return got


def _check_shape(shape: Any, row_len: int) -> tuple[int, ...]:
    try:
        dims = tuple(int(d) for d in shape)
    except TypeError:
        raise TypeError(f"shape must be a tuple of ints, got {shape!r}") from None
    if any(d < 0 for d in dims) or int(np.prod(dims, dtype=np.int64)) != row_len:
        raise ValueError(
            f"shape must be non-negative sizes whose product is the source "
            f"row length {row_len}, got {shape!r}"
        )
    return dims


def _check_dtype(dtype: Any) -> np.dtype:
    try:
        d = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from None
    if d not in _FLOATS:
        raise TypeError(f"dtype must be float32 or float64, got {d}")
    return d


def _check_scale(scale: Any) -> float:
    if isinstance(scale, (bool, np.bool_)) or not isinstance(scale, numbers.Real):
        raise TypeError(f"scale must be a real number, got {scale!r}")
    s = float(scale)
    if not np.isfinite(s):
        raise ValueError(f"scale must be finite, got {s}")
    return s


def _check_threshold(threshold: Any) -> int:
    if threshold is None:
        return -1
    if not is_int(threshold):
        raise TypeError(f"threshold must be an integer in [0, 255] or None, got {threshold!r}")
    t = int(threshold)
    if not 0 <= t <= 255:
        raise ValueError(f"threshold must be in [0, 255] (a uint8 pixel level), got {t}")
    return t
