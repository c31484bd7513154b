"""Pass-through wrappers: early termination, detached (workspace-shield) batches and
reconstruction (labels = features)."""

from __future__ import annotations

from typing import Any

from fastiter._validate import positive_int
from fastiter.dataset import DataSet
from fastiter.iterators._wrapping import (
    DataSetIteratorWrapper,
    IteratorWrapper,
    MappedWrapper,
    MultiDataSetIteratorWrapper,
)
from fastiter.iterators.base import DataSetIterator, MultiDataSetIterator

__all__ = [
    "EarlyTerminationDataSetIterator",
    "EarlyTerminationMultiDataSetIterator",
    "WorkspacesShieldDataSetIterator",
    "ReconstructionDataSetIterator",
]


class _EarlyTermination(IteratorWrapper):
    """Stops after ``termination_point`` calls of next; ``next(num)`` counts as one."""

    forwards_index = True
    forwards_paths = True

    def __init__(self, base: Any, termination_point: int) -> None:
        super().__init__(base)
        self._termination_point = positive_int("termination_point", termination_point)

    def has_next(self) -> bool:
        return self.position < self._termination_point and self.base.has_next()

    def num_batches(self) -> int:
        return min(self._termination_point, self.base.num_batches())

    def _own_state(self) -> dict[str, Any]:
        return {"termination_point": self._termination_point}


class EarlyTerminationDataSetIterator(_EarlyTermination, DataSetIteratorWrapper):
    """Yields at most ``termination_point`` batches of ``base``, then stops.

    A call of ``next(num)`` counts as one batch, whatever ``num`` is.  ``reset()`` resets
    the base and zeroes the count.  The pre-processor is forwarded to the base.

    Parameters
    ----------
    base : DataSetIterator
    termination_point : int
        Number of batches (>= 1).

    Examples
    --------
    >>> from fastiter import ArrayDataSetIterator
    >>> base = ArrayDataSetIterator(np.arange(20.0).reshape(10, 2), None, batch_size=2)
    >>> len(list(EarlyTerminationDataSetIterator(base, 3)))
    3
    """

    def __init__(self, base: DataSetIterator, termination_point: int) -> None:
        super().__init__(base, termination_point)


class EarlyTerminationMultiDataSetIterator(_EarlyTermination, MultiDataSetIteratorWrapper):
    """:class:`EarlyTerminationDataSetIterator` for a MultiDataSetIterator.

    Examples
    --------
    >>> from fastiter import ArrayDataSetIterator, MultiDataSetIteratorAdapter
    >>> base = MultiDataSetIteratorAdapter(ArrayDataSetIterator(np.ones((9, 2)), None, 2))
    >>> len(list(EarlyTerminationMultiDataSetIterator(base, 2)))
    2
    """

    def __init__(self, base: MultiDataSetIterator, termination_point: int) -> None:
        super().__init__(base, termination_point)


class WorkspacesShieldDataSetIterator(DataSetIteratorWrapper):
    """Returns detached copies of the base's batches, so none shares a reused buffer.

    Examples
    --------
    >>> from fastiter import ArrayDataSetIterator
    >>> it = WorkspacesShieldDataSetIterator(ArrayDataSetIterator(np.ones((4, 2)), None, 2))
    >>> [len(ds) for ds in it]
    [2, 2]
    """

    forwards_index = True
    forwards_paths = True

    def __init__(self, base: DataSetIterator) -> None:
        super().__init__(base)

    def _next_batch(self, num: int | None) -> DataSet:
        return self.base.next(num).detach()

    def _batch_at(self, index: int) -> DataSet:
        return self.base.batch_at(index).detach()


def _reconstruct(ds: DataSet) -> DataSet:
    # copies, so a pre-processor that changes features in place leaves labels intact
    ds.labels = None if ds.features is None else ds.features.copy()
    ds.labels_mask = None if ds.features_mask is None else ds.features_mask.copy()
    return ds


class ReconstructionDataSetIterator(MappedWrapper, DataSetIteratorWrapper):
    """The base's batches with labels replaced by a copy of the features (autoencoders).

    Differs from DL4J: the labels are a copy (not the same array), the labels mask is the
    features mask, and this iterator's pre-processor is applied once, after the labels are
    set (DL4J never applies it).  The base's own pre-processor runs first, in the base.

    Examples
    --------
    >>> from fastiter import ArrayDataSetIterator
    >>> base = ArrayDataSetIterator(np.arange(6.0).reshape(3, 2), np.zeros((3, 1)), 3)
    >>> ReconstructionDataSetIterator(base).next().labels.tolist()
    [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
    """

    def __init__(self, base: DataSetIterator) -> None:
        super().__init__(base)

    def _map(self, batch: DataSet) -> DataSet:
        return _reconstruct(batch)

    def total_outcomes(self) -> int:
        return self.base.input_columns()

    def get_labels(self) -> list[str] | None:
        return None
