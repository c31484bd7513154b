"""Iterators over data already in memory: ListDataSetIterator, ViewIterator, the singletons.

All are resettable and indexable (batch ``i`` is a pure function of the held data), and
none supports async prefetch (``async_supported() is False``, as in DL4J: there is
nothing to prefetch).  A pre-processor never edits the held data: batches that alias
it are copied first when one is set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastiter._validate import positive_int
from fastiter.dataset import DataSet, MultiDataSet
from fastiter.iterators._indexed import HeldDataSetMixin, IndexedBatchesMixin, owned
from fastiter.iterators.base import DataSetIterator, MultiDataSetIterator

__all__ = [
    "ListDataSetIterator",
    "ViewIterator",
    "SingletonDataSetIterator",
    "SingletonMultiDataSetIterator",
]


def _expect(name: str, value: Any, kind: type) -> Any:
    if not isinstance(value, kind):
        raise TypeError(f"{name} must be a {kind.__name__}, got {type(value).__name__}")
    return value


class ListDataSetIterator(IndexedBatchesMixin, DataSetIterator):
    """Merges ``batch_size`` consecutive DataSets of a list per batch (DL4J's).

    ``next(num)`` merges the next ``num`` list items instead, from where the cursor is.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiter import DataSet, ListDataSetIterator
    >>> items = DataSet(np.arange(7.0)[:, None]).as_list()
    >>> [len(b) for b in ListDataSetIterator(items, batch_size=3)]
    [3, 3, 1]
    """

    def __init__(self, datasets: Sequence[DataSet], batch_size: int = 5) -> None:
        super().__init__()
        self._items = [_expect(f"datasets[{i}]", d, DataSet) for i, d in enumerate(datasets)]
        self._batch_size = positive_int("batch_size", batch_size)
        self._cursor = 0  # in list items; differs from _position * batch after next(num)

    def num_batches(self) -> int:
        return -(-len(self._items) // self._batch_size)

    def has_next(self) -> bool:
        """Whether list items are left in this epoch."""
        return self._cursor < len(self._items)

    def _batch_at(self, index: int) -> DataSet:
        lo = index * self._batch_size
        return DataSet.merge(self._items[lo : lo + self._batch_size])

    def _next_batch(self, num: int | None) -> DataSet:
        k = self._batch_size if num is None else positive_int("num", num)
        batch = DataSet.merge(self._items[self._cursor : self._cursor + k])
        self._cursor = min(self._cursor + k, len(self._items))
        return batch

    def _restart(self) -> None:
        self._cursor = 0

    def _skip(self, n: int) -> None:
        super()._skip(n)
        self._cursor = min(n * self._batch_size, len(self._items))

    def state_dict(self) -> dict[str, Any]:
        """The base state plus ``cursor``, the list position (which ``next(num)`` moves)."""
        return {**super().state_dict(), "cursor": self._cursor}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if "cursor" not in state:
            super().load_state_dict(state)
            return
        cursor, position = int(state["cursor"]), int(state.get("position", -1))
        if not 0 <= cursor <= len(self._items) or position < 0:
            raise ValueError(
                f"state cursor must be in [0, {len(self._items)}] and position "
                f">= 0, got cursor={cursor}, position={position}"
            )
        # after next(num) calls the position (batches returned) need not match the
        # cursor, so restore the epoch at 0 and then set both as saved
        super().load_state_dict({**state, "position": 0})
        self._cursor, self._position = cursor, position

    def batch(self) -> int:
        return self._batch_size

    def async_supported(self) -> bool:
        return False

    def get_labels(self) -> list[str] | None:
        return self._items[0].label_names if self._items else None


class ViewIterator(HeldDataSetMixin, IndexedBatchesMixin, DataSetIterator):
    """Consecutive slices of ``batch_size`` examples of one DataSet (DL4J's ViewIterator).

    The last slice may be smaller.  Slices are views (metadata and masks included) unless
    a pre-processor is set, in which case each is copied first.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiter import DataSet, ViewIterator
    >>> it = ViewIterator(DataSet(np.arange(5.0)[:, None]), batch_size=2)
    >>> [b.features[:, 0].tolist() for b in it]
    [[0.0, 1.0], [2.0, 3.0], [4.0]]
    """

    def __init__(self, dataset: DataSet, batch_size: int) -> None:
        super().__init__()
        self._data = _expect("dataset", dataset, DataSet)
        self._batch_size = positive_int("batch_size", batch_size)

    def num_batches(self) -> int:
        return -(-self._data.num_examples() // self._batch_size)

    def _batch_at(self, index: int) -> DataSet:
        lo = index * self._batch_size
        hi = min(lo + self._batch_size, self._data.num_examples())
        return owned(self, self._data.get_range(lo, hi))

    def batch(self) -> int:
        return self._batch_size


class SingletonDataSetIterator(HeldDataSetMixin, IndexedBatchesMixin, DataSetIterator):
    """One DataSet, returned once per epoch (DL4J's SingletonDataSetIterator).

    The pre-processor is applied to a copy each time, so it acts exactly once on every
    returned batch and the held DataSet stays as given.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiter import DataSet, SingletonDataSetIterator
    >>> it = SingletonDataSetIterator(DataSet(np.zeros((3, 2))))
    >>> [len(b) for b in it], [len(b) for b in it]
    ([3], [3])
    """

    def __init__(self, dataset: DataSet) -> None:
        super().__init__()
        self._data = _expect("dataset", dataset, DataSet)
        self._batch_size = dataset.num_examples()

    def num_batches(self) -> int:
        return 1

    def _batch_at(self, index: int) -> DataSet:
        return owned(self, self._data)

    def batch(self) -> int:
        return self._batch_size


class SingletonMultiDataSetIterator(IndexedBatchesMixin, MultiDataSetIterator):
    """One MultiDataSet, returned once per epoch (DL4J's SingletonMultiDataSetIterator).

    Examples
    --------
    >>> import numpy as np
    >>> from fastiter import MultiDataSet, SingletonMultiDataSetIterator
    >>> it = SingletonMultiDataSetIterator(MultiDataSet([np.zeros((2, 1))], [np.ones((2, 1))]))
    >>> len(it), len(next(iter(it)))
    (1, 2)
    """

    def __init__(self, dataset: MultiDataSet) -> None:
        super().__init__()
        self._data = _expect("dataset", dataset, MultiDataSet)
        self._batch_size = dataset.num_examples()

    def num_batches(self) -> int:
        return 1

    def _batch_at(self, index: int) -> MultiDataSet:
        return owned(self, self._data)

    def async_supported(self) -> bool:
        return False
