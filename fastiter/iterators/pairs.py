"""Iterators over (feature, label) pairs: DL4J's DoublesDataSetIterator and
FloatsDataSetIterator.

The pairs are stacked once into ``[N, ...]`` arrays, so batches are slices that any
async worker can build on its own (the iterators are indexable and resettable).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from fastiter._validate import numeric_array
from fastiter.iterators.array import ArrayDataSetIterator

__all__ = ["DoublesDataSetIterator", "FloatsDataSetIterator", "stack_pairs"]


def _unpack(i: int, pair: Any) -> tuple[Any, Any]:
    try:
        feature, label = pair
    except (TypeError, ValueError):
        raise TypeError(
            f"pairs[{i}] must be a (feature, label) pair, got {type(pair).__name__}"
        ) from None
    return feature, label


def stack_pairs(pairs: Iterable[tuple[Any, Any]], dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    """Stack (feature, label) pairs into feature and label arrays of ``dtype``.

    Every feature must have the first feature's shape, and every label the first
    label's; the error names the first pair that differs.

    >>> f, l = stack_pairs([([1, 2], [0, 1]), ([3, 4], [1, 0])], np.float32)
    >>> f.shape, l.dtype
    ((2, 2), dtype('float32'))
    """
    feats: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    for i, pair in enumerate(pairs):
        feature, label = _unpack(i, pair)
        f_in = numeric_array(f"pairs[{i}] feature", feature)
        lab_in = numeric_array(f"pairs[{i}] label", label)
        assert f_in is not None and lab_in is not None  # None is refused without allow_none
        f = f_in.astype(dtype, copy=False)
        lab = lab_in.astype(dtype, copy=False)
        if feats and (f.shape != feats[0].shape or lab.shape != labels[0].shape):
            raise ValueError(
                f"pairs[{i}] has feature shape {f.shape} and label shape "
                f"{lab.shape}; pairs[0] has {feats[0].shape} and "
                f"{labels[0].shape}, and every pair must match it"
            )
        feats.append(f)
        labels.append(lab)
    if not feats:
        raise ValueError("pairs must hold at least one (feature, label) pair, got none")
    return np.stack(feats), np.stack(labels)


class DoublesDataSetIterator(ArrayDataSetIterator):
    """Batches of ``batch_size`` float64 examples from (feature, label) pairs.

    As DL4J's DoublesDataSetIterator, except that the final partial batch is kept;
    ``drop_last=True`` drops it as DL4J does.  Resettable, indexable, async-capable.

    Parameters
    ----------
    pairs : iterable of (array_like, array_like)
        Feature and label of each example, for example ``(double[], double[])``.
    batch_size : int
        Examples per batch (>= 1).
    drop_last : bool
        Drop the final batch when it is smaller than ``batch_size``.

    Examples
    --------
    >>> from fastiter import DoublesDataSetIterator
    >>> pairs = [([float(i), 0.0], [1.0]) for i in range(5)]
    >>> [b.features[:, 0].tolist() for b in DoublesDataSetIterator(pairs, 2)]
    [[0.0, 1.0], [2.0, 3.0], [4.0]]
    >>> len(DoublesDataSetIterator(pairs, 2, drop_last=True))
    2
    """

    _dtype: Any = np.float64

    def __init__(
        self, pairs: Iterable[tuple[Any, Any]], batch_size: int, drop_last: bool = False
    ) -> None:
        features, labels = stack_pairs(pairs, self._dtype)
        super().__init__(features, labels, batch_size, drop_last=drop_last)


class FloatsDataSetIterator(DoublesDataSetIterator):
    """:class:`DoublesDataSetIterator` with float32 arrays (DL4J's FloatsDataSetIterator).

    Examples
    --------
    >>> from fastiter import FloatsDataSetIterator
    >>> b = next(iter(FloatsDataSetIterator([([1, 2], [0, 1])] * 3, batch_size=2)))
    >>> b.features.dtype, len(b)
    (dtype('float32'), 2)
    """

    _dtype = np.float32
