"""Sequence padding and alignment with masks: the Python face of ``fi_pad_sequences``.

The C kernel (csrc/pad.c) places each example's steps at a start step of its own and
writes every output byte once.  This module turns DL4J's alignment modes, Keras's
``padding``/``truncating`` spellings and explicit per-example offsets into those start
steps, and validates everything first, so the kernel never sees a bad argument.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from fastiter._core import kernels as _kernels
from fastiter._validate import is_int
from fastiter.kernels._common import check_out
from fastiter.kernels._outputs import empty_output

__all__ = ["pad_sequences", "resolve_mode", "LAYOUTS"]

MODES = ("align_start", "align_end", "equal_length")
_KERAS_PADDING = {"post": "align_start", "pre": "align_end"}
LAYOUTS = {"NTF": 0, "NFT": 1}


def resolve_mode(mode: str, padding: str | None = None) -> str:
    """Normalise a DL4J mode name (any case) or a Keras ``padding`` into a mode."""
    if padding is not None:
        if padding not in _KERAS_PADDING:
            raise ValueError(f"padding must be 'post' or 'pre', got {padding!r}")
        implied = _KERAS_PADDING[padding]
        if mode not in ("align_start", implied):
            raise ValueError(
                f"padding={padding!r} means mode={implied!r}, which contradicts "
                f"mode={mode!r}; pass only one of them"
            )
        return implied
    if not isinstance(mode, str) or mode.lower() not in MODES:
        raise ValueError(f"mode must be one of {MODES} (or padding='post'|'pre'), got {mode!r}")
    return mode.lower()


def _as_sequences(sequences: Any, dtype: DTypeLike | None):
    """(ptrs, lengths, rank, features, dtype, keepalive) for a list or a (values, offsets) pair."""
    if isinstance(sequences, tuple) and len(sequences) == 2:
        return _from_pair(*sequences, dtype=dtype)
    if isinstance(sequences, np.ndarray) and sequences.dtype != object:
        raise TypeError(
            "sequences must be a list of arrays or a (values, offsets) tuple; "
            "for an equal-length batch array use list(array)"
        )
    seqs = list(sequences)
    n = len(seqs)
    ptrs = np.empty(n, np.uintp)
    lengths = np.empty(n, np.int64)
    if n == 0:
        return ptrs, lengths, 1, 1, np.dtype(dtype or np.float32), seqs
    first = seqs[0] if isinstance(seqs[0], np.ndarray) else np.asarray(seqs[0])
    rank = first.ndim
    if rank not in (1, 2):
        raise ValueError(f"sequences[0] must be [T] or [T, F], got shape {first.shape}")
    features = first.shape[1] if rank == 2 else 1
    odt = np.dtype(dtype) if dtype is not None else first.dtype
    if _kernels.collect_sequences(seqs, odt.num, features, rank, ptrs, lengths) >= 0:
        seqs, odt = _convert_all(seqs, rank, features, dtype)
        if _kernels.collect_sequences(seqs, odt.num, features, rank, ptrs, lengths) >= 0:
            raise AssertionError("sequences still unconvertible after conversion")
    return ptrs, lengths, rank, features, odt, seqs


def _convert_all(seqs: list, rank: int, features: int, dtype: DTypeLike | None):
    """The slow path: every sequence as a C-contiguous array of one dtype, with errors
    that name the first offending sequence."""
    arrs = [np.asarray(s) for s in seqs]
    for i, a in enumerate(arrs):
        if a.ndim != rank or (rank == 2 and a.shape[1] != features):
            want = "[T]" if rank == 1 else f"[T, {features}]"
            raise ValueError(
                f"sequences[{i}] has shape {a.shape}; every sequence must be "
                f"{want} like sequences[0]"
            )
        if a.dtype.kind not in "biuf":
            raise TypeError(f"sequences[{i}] has non-numeric dtype {a.dtype}")
    odt = np.dtype(dtype) if dtype is not None else np.result_type(*arrs)
    return [np.ascontiguousarray(a, dtype=odt) for a in arrs], odt


def _from_pair(values: Any, offsets: Any, dtype: DTypeLike | None):
    vals = np.asarray(values)
    offs = np.asarray(offsets)
    if vals.ndim not in (1, 2):
        raise ValueError(f"values must be [sum(T_i)] or [sum(T_i), F], got shape {vals.shape}")
    if offs.ndim != 1 or offs.dtype.kind not in "iu" or offs.size < 1:
        raise ValueError(
            "offsets must be a 1-D integer array of N + 1 row offsets, "
            f"got shape {offs.shape} and dtype {offs.dtype}; pass a list to "
            "give a list of sequences"
        )
    offs = offs.astype(np.int64)
    lengths = np.diff(offs)
    if offs[0] < 0 or offs[-1] > vals.shape[0] or (lengths < 0).any():
        raise ValueError(
            f"offsets must be non-decreasing within [0, {vals.shape[0]}] "
            f"(the rows of values), got {offs.tolist()[:8]}..."
        )
    odt = np.dtype(dtype) if dtype is not None else vals.dtype
    if vals.dtype.kind not in "biuf":
        raise TypeError(f"values has non-numeric dtype {vals.dtype}")
    vals = np.ascontiguousarray(vals, dtype=odt)
    features = vals.shape[1] if vals.ndim == 2 else 1
    row_bytes = features * odt.itemsize
    ptrs = np.uint64(vals.ctypes.data) + offs[:-1].astype(np.uint64) * np.uint64(row_bytes)
    return ptrs.astype(np.uintp), lengths, vals.ndim, features, odt, vals


def _starts(
    mode: str, lengths: np.ndarray, counts: np.ndarray, steps: int, offsets: Any
) -> np.ndarray:
    if offsets is not None:
        starts = np.asarray(offsets)
        if starts.shape != lengths.shape or (starts.size and starts.dtype.kind not in "iu"):
            raise ValueError(
                f"offsets must be {lengths.size} integers (one start step per "
                f"example), got shape {starts.shape} and dtype {starts.dtype}"
            )
        starts = starts.astype(np.int64)
        bad = np.flatnonzero((starts < 0) | (starts + counts > steps))
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"offsets[{i}] = {starts[i]} puts example {i} (length "
                f"{counts[i]}) outside [0, {steps}) steps"
            )
        return starts
    if mode == "equal_length" and lengths.size:
        diff = np.flatnonzero(lengths != lengths[0])
        if diff.size:
            i = int(diff[0])
            raise ValueError(
                f"mode='equal_length' needs sequences of equal length, but "
                f"sequence {i} has length {lengths[i]} and sequence 0 has "
                f"{lengths[0]}; use mode='align_start' or 'align_end' to pad"
            )
    if mode == "align_end":
        return steps - counts
    return np.zeros_like(counts)


def _steps(lengths: np.ndarray, max_length: Any, offsets: Any) -> int:
    if max_length is not None:
        if not is_int(max_length) or max_length < 0:
            raise ValueError(f"max_length must be an integer >= 0 or None, got {max_length!r}")
        return int(max_length)
    if lengths.size == 0:
        return 0
    if offsets is not None:
        return int((np.asarray(offsets, np.int64) + lengths).max())
    return int(lengths.max())


def _mask_dtype(mask_dtype: DTypeLike | None, odt: np.dtype) -> np.dtype:
    if mask_dtype is not None:
        mdt = np.dtype(mask_dtype)
        if mdt.kind not in "biuf":
            raise TypeError(f"mask_dtype must be bool or numeric, got {mdt}")
        return mdt
    return odt if odt.kind == "f" else np.dtype(np.float32)


def pad_sequences(
    sequences: Sequence[Any] | tuple[Any, Any],
    mode: str = "align_start",
    max_length: int | None = None,
    truncating: str = "post",
    value: Any = 0,
    dtype: DTypeLike | None = None,
    layout: str = "NFT",
    mask_dtype: DTypeLike | None = None,
    padding: str | None = None,
    offsets: Any = None,
    out: np.ndarray | None = None,
    mask_out: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Pad variable-length sequences into one batch and build its ``[N, T]`` mask.

    Parameters
    ----------
    sequences : list of arrays, or tuple ``(values, offsets)``
        A list of ``[T_i, F]`` (or ``[T_i]``) arrays; or a flat pair where sequence i
        is ``values[offsets[i]:offsets[i + 1]]`` (a **tuple** of two is always read as
        this pair; pass a list for a list of two sequences).  Length-0 sequences are
        allowed: their output is all padding and their mask all 0.
    mode : {'align_start', 'align_end', 'equal_length'}
        DL4J's alignment: data from step 0 and padding after it; padding first and data
        ending at step ``T - 1``; or no padding, with unequal lengths a ``ValueError``.
    max_length : int, optional
        ``T``.  Default: the longest sequence (or, with ``offsets``, the furthest end).
    truncating : {'post', 'pre'}
        Longer sequences keep their first (``'post'``) or last (``'pre'``) ``T`` steps.
    value : scalar
        The padding value (the mask tells padding from data either way).
    dtype : dtype, optional
        Output dtype.  Default: the sequences' common dtype.
    layout : {'NFT', 'NTF'}
        ``[N, F, T]`` (DL4J) or ``[N, T, F]`` (Keras, torch ``batch_first``).
        Rank-1 sequences give ``[N, T]`` in both; to get DL4J's ``[N, 1, T]`` pass
        ``[T_i, 1]`` arrays.  An empty list gives ``[0, T]``.
    mask_dtype : dtype, optional
        Mask dtype; ``bool`` gives a boolean mask.  Default: the output dtype if it is
        floating, else float32.
    padding : {'post', 'pre'}, optional
        Keras spelling of ``mode``: ``'post'`` is align_start, ``'pre'`` align_end.
    offsets : array of int, optional
        Example i's first output step, overriding ``mode`` (DL4J's record-reader
        ALIGN_END uses each example's own longest length minus its length).
    out, mask_out : ndarray, optional
        Preallocated C-contiguous outputs, filled in place and returned.

    Returns
    -------
    batch : ndarray
        ``[N, F, T]``, ``[N, T, F]`` or ``[N, T]``.
    mask : ndarray
        ``[N, T]``: 1 where a step holds data, 0 where it is padding.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiter.kernels import pad_sequences
    >>> x, m = pad_sequences([np.array([1., 2.]), np.array([3.])], mode="align_end")
    >>> x
    array([[1., 2.],
           [0., 3.]])
    >>> m
    array([[1., 1.],
           [0., 1.]])
    """
    mode = resolve_mode(mode, padding)
    if truncating not in ("post", "pre"):
        raise ValueError(f"truncating must be 'post' or 'pre', got {truncating!r}")
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be 'NFT' ([N, F, T]) or 'NTF' ([N, T, F]), got {layout!r}")
    ptrs, lengths, rank, features, odt, keep = _as_sequences(sequences, dtype)
    if odt.kind not in "biuf":
        raise TypeError(f"dtype must be bool, integer or float, got {odt}")
    steps = _steps(lengths, max_length, offsets)
    counts = np.minimum(lengths, steps)
    src_begin = lengths - counts if truncating == "pre" else np.zeros_like(lengths)
    starts = _starts(mode, lengths, counts, steps, offsets)
    n = lengths.size
    shape: tuple[int, ...]
    if rank == 1:
        shape = (n, steps)
    else:
        shape = (n, features, steps) if layout == "NFT" else (n, steps, features)
    mdt = _mask_dtype(mask_dtype, odt)
    out = _alloc(out, shape, odt, "out")
    mask_out = _alloc(mask_out, (n, steps), mdt, "mask_out")
    pad_bytes = _pad_bytes(value, odt)
    bad = _kernels.pad_into(
        ptrs,
        src_begin,
        counts,
        starts,
        features,
        LAYOUTS[layout],
        pad_bytes,
        out,
        mask_out,
        np.ones((), mdt).tobytes(),
    )
    if bad >= 0:  # pragma: no cover - the checks above make this unreachable
        raise AssertionError(f"fi_pad_sequences rejected example {bad}")
    del keep
    return out, mask_out


def _pad_bytes(value: Any, odt: np.dtype) -> bytes:
    """The padding value's bytes in odt, refusing values odt cannot hold exactly."""
    v = np.asarray(value)
    ok = v.ndim == 0 and v.dtype.kind in "biuf"
    if ok and odt.kind in "iub":
        lo, hi = (0, 1) if odt.kind == "b" else (np.iinfo(odt).min, np.iinfo(odt).max)
        ok = bool(float(v) == int(v)) and lo <= int(v) <= hi if np.isfinite(v) else False
    if not ok:
        raise TypeError(
            f"value {value!r} cannot be stored in dtype {odt}; pass a scalar "
            f"that {odt} represents exactly"
        )
    return v.astype(odt).tobytes()


def _alloc(arr: np.ndarray | None, shape: tuple[int, ...], dt: np.dtype, name: str):
    if arr is None:
        return empty_output(shape, dt)
    check_out(arr, shape, dt, name)
    return arr
