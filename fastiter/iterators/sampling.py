"""SamplingDataSetIterator: random minibatches drawn from one DataSet."""

from __future__ import annotations

from typing import Any

import numpy as np

from fastiter import kernels
from fastiter._validate import SeedLike, positive_int, seed_key
from fastiter.dataset import DataSet
from fastiter.dataset.order import batch_stream, require_seed
from fastiter.iterators._indexed import HeldDataSetMixin, IndexedBatchesMixin
from fastiter.iterators._wrapping import check_state_type
from fastiter.iterators.base import DataSetIterator

__all__ = ["SamplingDataSetIterator"]


def sample_indices(
    n: int, size: int, replace: bool, seed: int, epoch: int, index: int
) -> np.ndarray:
    """Example indices of batch ``index`` of ``epoch``: a pure function of its arguments,
    so any batch can be rebuilt on its own (resume, parallel workers).

    With replacement they come from the Philox kernel's stream for ``(epoch, index)``;
    without, from a permutation seeded by ``(seed, epoch, index)``.
    """
    if replace:
        return kernels.random_integers(
            size, 0, n, seed, np.int64, stream=batch_stream(epoch, index)
        )
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, epoch, index])))
    return rng.choice(n, size=size, replace=False)


class SamplingDataSetIterator(HeldDataSetMixin, IndexedBatchesMixin, DataSetIterator):
    """Minibatches of ``batch_size`` examples sampled from ``dataset`` until
    ``total_samples`` examples have been drawn, as DL4J's iterator.

    Each ``next()`` draws a full batch and adds ``batch_size`` to the count of samples
    drawn; the epoch ends once the count reaches ``total_samples``, so it has
    ``ceil(total_samples / batch_size)`` batches (DL4J's loop, and like DL4J the last
    batch is not cut short).  Sampling is without replacement by default (DL4J's
    default): the examples of one batch are distinct.  Batch ``i`` of epoch ``e`` is a
    pure function of ``(seed, e, i)`` (see :func:`sample_indices`), so the iterator is
    indexable and resumable, and ``reset()`` draws new batches.

    Parameters
    ----------
    dataset : DataSet
        The examples to sample from.
    batch_size : int
        Examples per batch, >= 1; at most ``dataset.num_examples()`` without replacement.
    total_samples : int
        Examples to draw per epoch, >= 1 (DL4J's ``totalNumberSamples``).
    replace : bool
        Sample with replacement within a batch; False by default, as DL4J.
    seed : int, optional
        Seed of every draw; drawn from the OS (and recorded) when None.
    total_batches : int, keyword-only
        Give the length in batches instead: ``total_samples = total_batches * batch_size``.

    ``next(num)`` draws ``num`` examples and adds ``num`` to the count (DL4J adds 1).

    Examples
    --------
    >>> ds = DataSet(np.arange(5.0)[:, None], np.zeros((5, 1)))
    >>> it = SamplingDataSetIterator(ds, batch_size=4, total_samples=10, seed=1)
    >>> [len(b) for b in it]
    [4, 4, 4]
    >>> len(SamplingDataSetIterator(ds, 4, total_batches=2, seed=1))
    2
    """

    def __init__(
        self,
        dataset: DataSet,
        batch_size: int,
        total_samples: int | None = None,
        replace: bool = False,
        seed: SeedLike = None,
        *,
        total_batches: int | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(dataset, DataSet):
            raise TypeError(f"dataset must be a DataSet, got {type(dataset).__name__}")
        if dataset.num_examples() == 0:
            raise ValueError("dataset has no examples to sample from")
        self._data = dataset
        self._batch_size = positive_int("batch_size", batch_size)
        if (total_samples is None) == (total_batches is None):
            raise ValueError(
                f"give exactly one of total_samples or total_batches, got "
                f"total_samples={total_samples!r}, "
                f"total_batches={total_batches!r}"
            )
        if total_batches is not None:
            self._total = positive_int("total_batches", total_batches) * self._batch_size
        else:
            self._total = positive_int("total_samples", total_samples)
        self._drawn = 0  # samples drawn in this epoch (DL4J's numTimesSampled)
        self._replace = bool(replace)
        if not self._replace and self._batch_size > dataset.num_examples():
            raise ValueError(
                f"batch_size={batch_size} exceeds the dataset's "
                f"{dataset.num_examples()} examples; sampling without "
                f"replacement needs batch_size <= N (or pass replace=True)"
            )
        self._seed = seed_key("seed", seed)

    def _draw(self, index: int, size: int) -> DataSet:
        n = self._data.num_examples()
        if not self._replace and size > n:
            raise ValueError(f"cannot draw {size} distinct examples from {n}")
        return self._data[
            sample_indices(
                n, size, self._replace, require_seed(self._seed, self), self._epoch, index
            )
        ]

    def num_batches(self) -> int:
        """Batches of an epoch of plain ``next()`` calls: ceil(total_samples / batch_size)."""
        return -(-self._total // self._batch_size)

    def has_next(self) -> bool:
        return self._drawn < self._total

    def _batch_at(self, index: int) -> DataSet:
        return self._draw(index, self._batch_size)

    def _next_batch(self, num: int | None) -> DataSet:
        size = self._batch_size if num is None else positive_int("num", num)
        batch = self._draw(self._position, size)
        self._drawn += size
        return batch

    def _skip(self, n: int) -> None:
        super()._skip(n)
        self._drawn += n * self._batch_size

    def _restart(self) -> None:
        require_seed(self._seed, self)  # a seed-less state is refused before any change
        self._drawn = 0

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["drawn"] = self._drawn  # differs from position * batch after next(num)
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        check_state_type(self, state, ("epoch", "position", "drawn"))
        drawn = int(state["drawn"])
        if drawn < 0:
            raise ValueError(f"state drawn must be >= 0, got {drawn}")
        super().load_state_dict(state)
        self._drawn = drawn

    def batch(self) -> int:
        return self._batch_size
