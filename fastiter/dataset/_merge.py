"""Array-level merge rules shared by DataSet.merge and MultiDataSet.merge (DL4J's)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def merge_arrays(
    arrays: Sequence[np.ndarray | None], masks: Sequence[np.ndarray | None], name: str
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Concatenate ``arrays`` along dimension 0 and combine their masks.

    Rank 2 and 4 stack (a missing mask counts as all ones, and a merged mask exists only
    if some input had one).  Rank 3 ``[N, F, T]`` pads shorter series at the end and
    builds a ``[N, T]`` mask when lengths differ or any input had a mask.  Rank 5 and
    above are refused, as in DL4J.
    """
    if all(a is None for a in arrays):
        return None, None
    arrs = [a for a in arrays if a is not None]
    ranks = {a.ndim for a in arrs}
    if len(ranks) != 1:
        raise ValueError(f"cannot merge {name} arrays of different ranks {sorted(ranks)}")
    rank = ranks.pop()
    if rank >= 5:
        raise ValueError(f"cannot merge rank-{rank} {name} arrays; ranks 1 to 4 are supported")
    dtype = np.result_type(*arrs)
    tail = {a.shape[1:] if rank != 3 else a.shape[1:2] for a in arrs}
    if len(tail) != 1:
        raise ValueError(
            f"cannot merge {name} arrays whose shapes differ beyond dimension 0 "
            f"(rank {rank}): {sorted(tail)}"
        )
    if rank != 3:
        merged = np.concatenate(arrs, axis=0).astype(dtype, copy=False)
        if all(m is None for m in masks):
            return merged, None
        mdtype = np.result_type(*[m for m in masks if m is not None])
        parts = [
            np.ones(a.shape[: m_ndim(masks)], mdtype) if m is None else m
            for a, m in zip(arrs, masks)
        ]
        return merged, np.concatenate(parts, axis=0)
    lengths = [a.shape[2] for a in arrs]
    t_max = max(lengths)
    n = sum(a.shape[0] for a in arrs)
    need_mask = len(set(lengths)) > 1 or any(m is not None for m in masks)
    merged = np.zeros((n, arrs[0].shape[1], t_max), dtype=dtype)
    mask_dtype = (
        np.result_type(*[m for m in masks if m is not None])
        if any(m is not None for m in masks)
        else (dtype if dtype.kind == "f" else np.float32)
    )
    mask = np.zeros((n, t_max), dtype=mask_dtype) if need_mask else None
    row = 0
    for a, m in zip(arrs, masks):
        k, t = a.shape[0], a.shape[2]
        merged[row : row + k, :, :t] = a
        if mask is not None:
            mask[row : row + k, :t] = 1 if m is None else m
        row += k
    return merged, mask


def m_ndim(masks: Sequence[np.ndarray | None]) -> int:
    """Rank of the masks that exist (they all share it)."""
    return next(m.ndim for m in masks if m is not None)
