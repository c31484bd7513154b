"""Windows of consecutive rows gathered from one staging block, in one native call.

A window starting at row ``s`` of a C-contiguous ``[S, F]`` block is the ``T`` rows
``block[s:s + T]``; windows overlap when the stride is below ``T``.  ``fi_gather_windows``
(csrc/gather.c) copies each: one ``memcpy`` for ``NTF`` (``[N, T, F]``), and for DL4J's
``NFT`` (``[N, F, T]``) a tiled transpose.  No ``sliding_window_view``, no intermediate
copy; large batches run on the native pool.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fastiter._core import kernels as _kernels
from fastiter._validate import is_int
from fastiter.kernels._batch import check_indices, index_error
from fastiter.kernels._common import check_out

__all__ = ["gather_windows"]


def gather_windows(
    block: np.ndarray, starts: Any, window: int, layout: str = "NFT", out: np.ndarray | None = None
) -> np.ndarray:
    """The windows ``block[s:s + window]`` for each ``s`` in ``starts``, as one batch.

    Parameters
    ----------
    block : ndarray, ``[S, F]``
        C-contiguous rows (steps) of ``F`` values.
    starts : array_like of int, ``[N]``
        First row of each window, in ``[0, S - window]``.
    window : int
        Rows per window (``T``).
    layout : {'NFT', 'NTF'}
        ``[N, F, T]`` (DL4J) or ``[N, T, F]``.
    out : ndarray, optional
        Preallocated C-contiguous output of ``block.dtype``.

    Returns
    -------
    ndarray
        ``[N, F, T]`` or ``[N, T, F]``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiter.kernels import gather_windows
    >>> b = np.arange(10.0).reshape(5, 2)
    >>> gather_windows(b, [0, 3], 2)
    array([[[0., 2.],
            [1., 3.]],
    <BLANKLINE>
           [[6., 8.],
            [7., 9.]]])
    """
    if not isinstance(block, np.ndarray) or block.ndim != 2 or not block.flags.c_contiguous:
        raise ValueError(
            "block must be a C-contiguous 2-D array [steps, features], got "
            f"{getattr(block, 'shape', type(block).__name__)}"
        )
    if block.dtype.hasobject:
        raise TypeError("block must hold plain data, not Python objects")
    if not is_int(window) or window < 1:
        raise ValueError(f"window must be an integer >= 1, got {window!r}")
    if layout not in ("NFT", "NTF"):
        raise ValueError(f"layout must be 'NFT' ([N, F, T]) or 'NTF' ([N, T, F]), got {layout!r}")
    idx = check_indices(starts)
    steps, feats = block.shape
    valid = steps - window + 1
    if valid < 1 and idx.size:
        raise IndexError(f"window {window} is longer than the block's {steps} rows")
    shape = (idx.size, feats, window) if layout == "NFT" else (idx.size, window, feats)
    if out is None:
        out = np.empty(shape, block.dtype)
    else:
        check_out(out, shape, block.dtype)
    # fi_gather_windows checks every start before it copies anything, so a bad start
    # leaves out untouched; no second pass over the starts here
    bad = _kernels.gather_windows_into(block, idx, out, window, 1 if layout == "NFT" else 0)
    if bad >= 0:
        raise index_error(idx, bad, valid)
    return out
