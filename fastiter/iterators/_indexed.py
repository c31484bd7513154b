"""Cursor logic shared by iterators whose batch ``i`` can be built on its own.

Such an iterator only implements ``num_batches()`` and ``_batch_at(i)``; the mixin turns
that into DL4J's sequential contract, and the base class's ``batch_at`` gives async
workers random access.  It also holds :func:`owned`, the guard that keeps a
pre-processor from editing data the iterator still holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from fastiter.dataset import DataSet, MultiDataSet

__all__ = ["IndexedBatchesMixin", "HeldDataSetMixin", "owned"]

B = TypeVar("B", "DataSet", "MultiDataSet")


def owned(iterator: Any, batch: B) -> B:
    """``batch`` itself, or a copy when a pre-processor will edit it in place.

    Iterators that hand out objects they keep (a stored DataSet, a view of one) call this
    so that a pre-processor runs once per returned batch and never changes the source
    (DL4J re-normalises a stored DataSet on every epoch).
    """
    return batch.copy() if iterator.pre_processor is not None else batch


class IndexedBatchesMixin:
    """``has_next``/``_next_batch``/``_skip``/``_restart`` from ``num_batches`` and ``_batch_at``.

    Put it first in the bases, before :class:`DataSetIterator` or
    :class:`MultiDataSetIterator`.  ``next(num)`` accepts only None or the nominal batch
    size, since batch ``i`` is a fixed slice.

    >>> import numpy as np
    >>> from fastiter import DataSet
    >>> from fastiter.iterators import DataSetIterator, IndexedBatchesMixin
    >>> class Squares(IndexedBatchesMixin, DataSetIterator):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self._batch_size = 2
    ...     def num_batches(self):
    ...         return 3
    ...     def _batch_at(self, i):
    ...         x = np.arange(2 * i, 2 * i + 2, dtype=float)[:, None]
    ...         return DataSet(x, x**2)
    ...     def batch(self):
    ...         return 2
    >>> [b.labels[:, 0].tolist() for b in Squares()]
    [[0.0, 1.0], [4.0, 9.0], [16.0, 25.0]]
    """

    indexable = True
    _position: int
    _batch_size: int

    def num_batches(self) -> int:  # pragma: no cover - provided by the iterator
        raise NotImplementedError

    def _batch_at(self, index: int) -> Any:  # pragma: no cover - provided by the iterator
        raise NotImplementedError

    def has_next(self) -> bool:
        """Whether batches are left in this epoch (``position < num_batches()``)."""
        return self._position < self.num_batches()

    def _next_batch(self, num: int | None) -> Any:
        if num is not None and num != self._batch_size:
            raise NotImplementedError(
                f"{type(self).__name__}.next(num) supports only "
                f"num=None or num == batch size ({self._batch_size}), "
                f"got {num}"
            )
        return self._batch_at(self._position)

    def _skip(self, n: int) -> None:
        if n > self.num_batches():
            raise ValueError(
                f"cannot skip to batch {n}: the epoch has {self.num_batches()} batches"
            )

    def _restart(self) -> None:
        """Nothing to rewind: the cursor is ``_position`` alone."""

    def reset_supported(self) -> bool:
        """Always True: the held data can be walked again."""
        return True


class HeldDataSetMixin:
    """Queries answered by the one DataSet (``_data``) an in-memory iterator holds.

    Such iterators report ``async_supported() == False``, as DL4J's do: their batches are
    cheap views or slices of data already in memory, so a prefetch thread would add a
    hand-off and gain nothing.
    """

    _data: Any

    def input_columns(self) -> int:
        return self._data.num_inputs()

    def total_outcomes(self) -> int:
        return self._data.num_outcomes()

    def get_labels(self) -> list[str] | None:
        return self._data.label_names

    def async_supported(self) -> bool:
        return False
