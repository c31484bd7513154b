"""Iterators over arrays held in memory: ArrayDataSetIterator (DL4J's INDArrayDataSetIterator)."""

from __future__ import annotations

from typing import Any

import numpy as np

from fastiter._validate import SeedLike, optional_seed_key, positive_int, seed_key
from fastiter.dataset import DataSet
from fastiter.dataset.order import epoch_permutation, require_seed
from fastiter.iterators._indexed import IndexedBatchesMixin
from fastiter.iterators.base import DataSetIterator

__all__ = ["ArrayDataSetIterator"]


class ArrayDataSetIterator(IndexedBatchesMixin, DataSetIterator):
    """Minibatches over ``features`` / ``labels`` arrays (DL4J's INDArrayDataSetIterator).

    The last partial batch is kept (DL4J drops it; pass ``drop_last=True`` for that).
    With ``shuffle=True`` every epoch uses the permutation derived from ``(seed, epoch)``.
    Indexable: batch ``i`` can be built on its own, so async workers can share the work.

    Examples
    --------
    >>> it = ArrayDataSetIterator(np.arange(10.0).reshape(5, 2), np.eye(5), batch_size=2)
    >>> [ds.features[:, 0].tolist() for ds in it]
    [[0.0, 2.0], [4.0, 6.0], [8.0]]
    """

    def __init__(
        self,
        features: Any,
        labels: Any = None,
        batch_size: int = 32,
        shuffle: bool = False,
        seed: SeedLike = None,
        drop_last: bool = False,
        features_mask: Any = None,
        labels_mask: Any = None,
    ) -> None:
        super().__init__()
        self._data = DataSet(features, labels, features_mask, labels_mask)
        self._batch_size = positive_int("batch_size", batch_size)
        self._shuffle = bool(shuffle)
        self._drop_last = bool(drop_last)
        self._seed = seed_key("seed", seed) if shuffle else optional_seed_key("seed", seed)
        self._order: np.ndarray | None = None
        self._restart()

    def _restart(self) -> None:
        n = self._data.num_examples()
        self._order = (
            epoch_permutation(n, require_seed(self._seed, self), self._epoch)
            if self._shuffle
            else None
        )

    def num_batches(self) -> int:
        n, b = self._data.num_examples(), self._batch_size
        return n // b if self._drop_last else -(-n // b)

    def _batch_at(self, index: int) -> DataSet:
        lo = index * self._batch_size
        hi = min(lo + self._batch_size, self._data.num_examples())
        if self._order is None:
            return self._data.get_range(lo, hi).copy()
        return self._data._select(self._order[lo:hi])

    def batch(self) -> int:
        return self._batch_size
