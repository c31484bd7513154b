"""SamplingDataSetIterator: random minibatches drawn from one DataSet."""
from __future__ import annotations


import numpy as np

from fastiter import kernels
from fastiter._validate import SeedLike, positive_int, seed_key
from fastiter.dataset import DataSet
from fastiter.iterators._indexed import HeldDataSetMixin, IndexedBatchesMixin
from fastiter.iterators._order import batch_stream
from fastiter.iterators.base import DataSetIterator

__all__ = ["SamplingDataSetIterator"]


def sample_indices(n: int, size: int, replace: bool, seed: int, epoch: int,
                   index: int) -> np.ndarray:
    """Example indices of batch ``index`` of ``epoch``: a pure function of its arguments,
    so any batch can be rebuilt on its own (resume, parallel workers).

    With replacement they come from the Philox kernel's stream for ``(epoch, index)``;
    without, from a permutation seeded by ``(seed, epoch, index)``.
    """
    if replace:
        return kernels.random_integers(size, 0, n, seed, np.int64,
                                       stream=batch_stream(epoch, index))
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, epoch, index])))
    return rng.choice(n, size=size, replace=False)


class SamplingDataSetIterator(HeldDataSetMixin, IndexedBatchesMixin, DataSetIterator):
    """``total_batches`` minibatches of ``batch_size`` examples sampled from ``dataset``.

    Each batch draws its examples independently (with replacement by default; without
    replacement the examples within one batch are distinct).  Batch ``i`` of epoch ``e``
    is a pure function of ``(seed, e, i)`` (see :func:`sample_indices`), so the
    iterator is indexable and resumable, and ``reset()`` draws new batches.

    Differs from DL4J: the length is given in batches (``total_batches``), not samples,
    and ``replace`` defaults to True.  ``next(num)`` draws ``num`` examples and counts as
    one batch.

    Examples
    --------
    >>> ds = DataSet(np.arange(5.0)[:, None], np.zeros((5, 1)))
    >>> it = SamplingDataSetIterator(ds, batch_size=4, total_batches=3, seed=1)
    >>> [len(b) for b in it]
    [4, 4, 4]
    """

    def __init__(self, dataset: DataSet, batch_size: int, total_batches: int,
                 replace: bool = True, seed: SeedLike = None) -> None:
        super().__init__()
        if not isinstance(dataset, DataSet):
            raise TypeError(f"dataset must be a DataSet, got {type(dataset).__name__}")
        if dataset.num_examples() == 0:
            raise ValueError("dataset has no examples to sample from")
        self._data = dataset
        self._batch_size = positive_int("batch_size", batch_size)
        self._total = positive_int("total_batches", total_batches)
        self._replace = bool(replace)
        if not self._replace and self._batch_size > dataset.num_examples():
            raise ValueError(f"batch_size={batch_size} exceeds the dataset's "
                             f"{dataset.num_examples()} examples; sampling without "
                             f"replacement needs batch_size <= N (or pass replace=True)")
        self._seed = seed_key("seed", seed)

    def _draw(self, index: int, size: int) -> DataSet:
        n = self._data.num_examples()
        if not self._replace and size > n:
            raise ValueError(f"cannot draw {size} distinct examples from {n}")
        return self._data[sample_indices(n, size, self._replace, self._seed,
                                         self._epoch, index)]

    def num_batches(self) -> int:
        return self._total

    def _batch_at(self, index: int) -> DataSet:
        return self._draw(index, self._batch_size)

    def _next_batch(self, num: int | None) -> DataSet:
        size = self._batch_size if num is None else positive_int("num", num)
        return self._draw(self._position, size)

    def batch(self) -> int:
        return self._batch_size
