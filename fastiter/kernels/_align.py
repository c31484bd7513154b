"""Label alignment for DL4J's many-to-one and one-to-many sequence setups.

One label vector per example is placed on a single time step of a ``[N, C, T]`` batch:
the last real step of that example's sequence (``align_end``, many-to-one) or its first
(``align_start``, one-to-many), with a mask that marks only that step.  The placement
is done by the padding kernel (each label is a length-1 sequence with its own start
step), so there is no second implementation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from fastiter.kernels._pad import pad_sequences

__all__ = ["align_labels"]


def align_labels(
    labels: Any,
    lengths: Any,
    mode: str = "align_end",
    max_length: int | None = None,
    sequence_mode: str = "align_start",
    offsets: Any = None,
    value: Any = 0,
    dtype: DTypeLike | None = None,
    layout: str = "NFT",
    mask_dtype: DTypeLike | None = None,
    out: np.ndarray | None = None,
    mask_out: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Place one label per example on one step of its sequence, with a label mask.

    Parameters
    ----------
    labels : array_like, ``[N, C]`` or ``[N]``
        One label vector (or scalar) per example.
    lengths : array_like of int, ``[N]``
        The length of each example's sequence (usually its features), >= 1.
    mode : {'align_end', 'align_start'}
        ``'align_end'`` puts the label on the sequence's last real step (many-to-one);
        ``'align_start'`` on its first (one-to-many).
    max_length : int, optional
        ``T``; default: the longest sequence (or furthest end with ``offsets``).
    sequence_mode : {'align_start', 'align_end'}
        How the sequences themselves were padded: from step 0, or ending at ``T - 1``.
        It fixes where each sequence's first and last real steps are.
    offsets : array of int, optional
        Each sequence's first step, overriding ``sequence_mode`` (pass the ``offsets``
        given to :func:`pad_sequences`).
    value, dtype, layout, mask_dtype, out, mask_out
        As in :func:`pad_sequences`; rank-1 ``labels`` give ``[N, T]``.

    Returns
    -------
    batch : ndarray
        ``[N, C, T]`` (``'NFT'``) or ``[N, T, C]`` (``'NTF'``), ``value`` off the step.
    mask : ndarray
        ``[N, T]`` with a single 1 per example, on the label's step.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiter.kernels import align_labels
    >>> y, m = align_labels(np.eye(2, dtype=np.float32), [3, 1])
    >>> y[0]
    array([[0., 0., 1.],
           [0., 0., 0.]], dtype=float32)
    >>> m
    array([[0., 0., 1.],
           [1., 0., 0.]], dtype=float32)
    """
    lab = np.asarray(labels)
    if lab.ndim not in (1, 2):
        raise ValueError(f"labels must be [N, C] or [N], got shape {lab.shape}")
    lens = np.asarray(lengths)
    if lens.shape != (lab.shape[0],) or (lens.size and lens.dtype.kind not in "iu"):
        raise ValueError(
            f"lengths must be {lab.shape[0]} integers (one per example), "
            f"got shape {lens.shape} and dtype {lens.dtype}"
        )
    lens = lens.astype(np.int64)
    if (lens < 1).any():
        i = int(np.flatnonzero(lens < 1)[0])
        raise ValueError(
            f"lengths[{i}] = {lens[i]}: a sequence needs at least one step to carry a label"
        )
    if mode not in ("align_end", "align_start"):
        raise ValueError(
            f"mode must be 'align_end' (label on the last step) or "
            f"'align_start' (first step), got {mode!r}"
        )
    if sequence_mode not in ("align_start", "align_end"):
        raise ValueError(
            f"sequence_mode must be 'align_start' or 'align_end', got {sequence_mode!r}"
        )
    if offsets is not None:
        first = np.asarray(offsets)
        if first.shape != lens.shape or (first.size and first.dtype.kind not in "iu"):
            raise ValueError(f"offsets must be {lens.size} integers, got shape {first.shape}")
        first = first.astype(np.int64)
    else:
        first = np.zeros_like(lens)
    steps = int(max_length) if max_length is not None else int((first + lens).max(initial=0))
    if offsets is None and sequence_mode == "align_end":
        first = steps - lens
    step = first + lens - 1 if mode == "align_end" else first
    return pad_sequences(
        (lab, np.arange(lab.shape[0] + 1)),
        offsets=step,
        max_length=steps,
        value=value,
        dtype=dtype,
        layout=layout,
        mask_dtype=mask_dtype,
        out=out,
        mask_out=mask_out,
    )
