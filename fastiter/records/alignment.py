"""Sequence alignment (DL4J's AlignmentMode) and the batch assembly shared by the
sequence iterators: lengths are checked here, the copying and masking are one call per
array to :func:`fastiter.kernels.pad_sequences` (the C core)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

import numpy as np

from fastiter import kernels
from fastiter.errors import ZeroLengthSequenceError

__all__ = ["AlignmentMode", "align_batch"]


class AlignmentMode(enum.Enum):
    """How sequences of different lengths share the time axis of a batch.

    ``EQUAL_LENGTH``: every sequence must span the whole batch (else an error).
    ``ALIGN_START``: each starts at step 0 and is padded at the end (one-to-many).
    ``ALIGN_END``: each ends where **its own example's** longest sequence ends
    (many-to-one: a single label lands on the last input step).
    """

    EQUAL_LENGTH = "equal_length"
    ALIGN_START = "align_start"
    ALIGN_END = "align_end"

    @classmethod
    def of(cls, value: Any) -> AlignmentMode:
        """``value`` as a mode: a member, or its name or value as a string."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            for m in cls:
                if value.lower() in (m.value, m.name.lower()):
                    return m
        raise ValueError(f"alignment mode must be one of {[m.name for m in cls]}, got {value!r}")


def _check_lengths(
    lengths: np.ndarray, names: Sequence[str], mode: AlignmentMode, describe: Any
) -> int:
    """Validate ``lengths`` [arrays, examples]; return the batch's time length T."""
    zero = np.argwhere(lengths == 0)
    if len(zero):
        a, i = (int(x) for x in zero[0])
        raise ZeroLengthSequenceError(
            f"{names[a]} of example {describe(i)} has no time "
            f"steps; every sequence needs at least one"
        )
    t = int(lengths.max())
    if mode is AlignmentMode.EQUAL_LENGTH and (lengths != t).any():
        a, i = (int(x) for x in np.argwhere(lengths != t)[0])
        per = ", ".join(f"{n}={int(lengths[k, i])}" for k, n in enumerate(names))
        raise ValueError(
            f"AlignmentMode.EQUAL_LENGTH needs every sequence in a batch to "
            f"have the same length, but example {describe(i)} has {per} "
            f"while the longest in the batch is {t}. Use "
            f"AlignmentMode.ALIGN_START (one-to-many) or ALIGN_END "
            f"(many-to-one) to pad and mask unequal sequences"
        )
    return t


def align_batch(
    arrays: Sequence[tuple[np.ndarray, np.ndarray]],
    names: Sequence[str],
    mode: AlignmentMode,
    dtype: Any = np.float32,
    describe: Any = str,
    rng: np.random.Generator | None = None,
) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Place each array's sequences on one shared time axis.

    ``arrays[a]`` is ``(values, lengths)``: example ``i``'s ``[T_i, F_a]`` steps are the
    next ``lengths[i]`` rows of ``values`` (the flat layout the kernel reads without a
    per-sequence list).  Returns, per array, ``([N, F_a, T], mask [N, T] or None)``: the
    mask exists only when some sequence of that array is shorter than T.  ``describe(i)``
    names example ``i`` in errors.  ``rng`` (ALIGN_START only) shifts every sequence of
    example ``i`` by the same random step count in ``[0, T - longest_i]`` (DL4J's
    time-series random offset).
    """
    lengths = np.stack([np.asarray(lens, np.int64) for _, lens in arrays])
    t = _check_lengths(lengths, names, mode, describe)
    dtype = np.dtype(dtype)
    longest = lengths.max(axis=0)
    shift = None if rng is None else rng.integers(0, t - longest + 1)
    out = []
    for a, (values, _lens) in enumerate(arrays):
        n, f = lengths.shape[1], values.shape[1]
        rows = np.zeros(n + 1, np.int64)
        np.cumsum(lengths[a], out=rows[1:])
        need_mask = bool((lengths[a] < t).any())
        offsets = longest - lengths[a] if mode is AlignmentMode.ALIGN_END else shift
        batch = np.empty((n, f, t), dtype)
        mask = np.empty((n, t), dtype) if need_mask else None
        kernels.pad_sequences(
            (values, rows),
            mode="align_start",
            max_length=t,
            dtype=dtype,
            layout="NFT",
            offsets=offsets,
            out=batch,
            mask_out=mask,
        )
        out.append((batch, mask))
    return out
