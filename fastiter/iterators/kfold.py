"""KFoldIterator: k-fold cross-validation over one DataSet, DL4J's fold sizes."""

from __future__ import annotations

from typing import Any

import numpy as np

from fastiter._validate import SeedLike, positive_int, seed_key
from fastiter.dataset import DataSet
from fastiter.dataset.order import epoch_permutation, require_seed
from fastiter.iterators._indexed import HeldDataSetMixin, IndexedBatchesMixin
from fastiter.iterators.base import DataSetIterator

__all__ = ["KFoldIterator", "fold_boundaries"]


def fold_boundaries(n: int, k: int) -> list[int]:
    """Start of each test fold, plus ``n``: the first ``n mod k`` folds hold one extra.

    >>> fold_boundaries(10, 3)
    [0, 4, 7, 10]
    """
    base, extra = divmod(n, k)
    bounds = [0]
    for i in range(k):
        bounds.append(bounds[-1] + base + (1 if i < extra else 0))
    return bounds


class KFoldIterator(HeldDataSetMixin, IndexedBatchesMixin, DataSetIterator):
    """k-fold cross-validation: ``next()`` is the train part (k−1 folds) of fold i, and
    :meth:`test_fold` is the held-out fold i of the last ``next()``.

    Fold sizes follow DL4J: with N examples, the first ``N mod k`` folds get
    ``N // k + 1`` examples and the rest ``N // k``.  The first pass uses the data in its
    given order; every ``reset()`` reshuffles with the permutation of ``(seed, epoch)``.
    The pre-processor runs once on each train part and once on each test fold (DL4J
    never runs it here).

    Parameters
    ----------
    k : int
        Number of folds, 2 <= k <= N (default 10; ``KFoldIterator(ds)`` is accepted).
    dataset : DataSet
    seed : int, optional
        Seed of the reshuffles; drawn from the OS and recorded when omitted.

    Examples
    --------
    >>> ds = DataSet(np.arange(10.0)[:, None], np.zeros((10, 1)))
    >>> it = KFoldIterator(3, ds)
    >>> train = it.next()
    >>> it.test_fold().features[:, 0].tolist(), len(train)
    ([0.0, 1.0, 2.0, 3.0], 6)
    """

    def __init__(self, k: Any = 10, dataset: DataSet | None = None, seed: SeedLike = None) -> None:
        super().__init__()
        if isinstance(k, DataSet) and dataset is None:
            k, dataset = 10, k
        if not isinstance(dataset, DataSet):
            raise TypeError(f"dataset must be a DataSet, got {type(dataset).__name__}")
        self._k = positive_int("k", k)
        n = dataset.num_examples()
        if not 2 <= self._k <= n:
            raise ValueError(
                f"k must be in [2, N={n}] so that every fold holds an example, got {k}"
            )
        self._data = dataset
        self._seed = seed_key("seed", seed)
        self._bounds = fold_boundaries(n, self._k)
        self._test: DataSet | None = None
        self._restart()

    def _restart(self) -> None:
        n = self._data.num_examples()
        seed = require_seed(self._seed, self)  # refused before any change, at every epoch
        self._order = np.arange(n) if self._epoch == 0 else epoch_permutation(n, seed, self._epoch)
        self._test = None

    def num_batches(self) -> int:
        return self._k

    def _fold(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self._bounds[i], self._bounds[i + 1]
        return (np.concatenate([self._order[:lo], self._order[hi:]]), self._order[lo:hi])

    def _batch_at(self, index: int) -> DataSet:
        return self._data[self._fold(index)[0]]

    def _next_batch(self, num: int | None) -> DataSet:
        if num is not None:
            raise NotImplementedError(
                "KFoldIterator.next(num) is not supported: a train part is always k-1 folds"
            )
        self._test = None
        return self._batch_at(self._position)

    def test_fold(self) -> DataSet:
        """The held-out fold matching the last ``next()`` (pre-processed once)."""
        if self._position == 0:
            raise RuntimeError("test_fold() needs a fold: call next() first")
        if self._test is None:
            self._test = self._data[self._fold(self._position - 1)[1]]
            self._apply_pre_processor(self._test)
        return self._test

    def batch(self) -> int:
        """Size of the test fold the next ``next()`` holds out (DL4J's definition)."""
        i = min(self._position, self._k - 1)
        return self._bounds[i + 1] - self._bounds[i]

    def total_examples(self) -> int:
        """N, the examples split into folds."""
        return self._data.num_examples()
