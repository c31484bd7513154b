"""Iterators over streams of DataSets: ExistingDataSetIterator and the re-batching
IteratorDataSetIterator / IteratorMultiDataSetIterator.

A one-shot stream (a generator, a file reader) cannot rewind, so these iterators only
reset when given a re-iterable.  Their ``state_dict()`` can still be loaded into a *fresh*
iterator over the same stream: it skips ahead to the saved position.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from fastiter._validate import positive_int
from fastiter.dataset import DataSet, MultiDataSet
from fastiter.errors import UnsupportedOperationError
from fastiter.iterators._indexed import owned
from fastiter.iterators.base import BaseIterator, DataSetIterator, MultiDataSetIterator

__all__ = ["ExistingDataSetIterator", "IteratorDataSetIterator", "IteratorMultiDataSetIterator"]


def _check_source(name: str, source: Any) -> None:
    if isinstance(source, (DataSet, MultiDataSet)):
        raise TypeError(
            f"{name} must be an iterable of {type(source).__name__}s, got a "
            f"single {type(source).__name__}; use ViewIterator or a Singleton "
            f"iterator for one object"
        )
    if not isinstance(source, Iterable):
        raise TypeError(f"{name} must be an iterable, got {type(source).__name__}")


class _Pulling:
    """A lookahead of one item over a source iterator, type-checking each item."""

    def __init__(
        self, source: Iterable, kind: type[DataSet] | type[MultiDataSet], name: str
    ) -> None:
        self._iter: Iterator = iter(source)
        self._kind, self._name = kind, name
        self._pulled = 0
        self._ahead: Any = None

    def peek(self) -> Any:
        """The next item, or None at the end (without consuming it)."""
        if self._ahead is None:
            for item in self._iter:
                if not isinstance(item, self._kind):
                    raise TypeError(
                        f"{self._name} item {self._pulled} must be a "
                        f"{self._kind.__name__}, got {type(item).__name__}"
                    )
                self._pulled += 1
                self._ahead = item
                break
        return self._ahead

    def pop(self) -> Any:
        item = self.peek()
        self._ahead = None
        return item


class _StreamState:
    """Restart rules shared by the stream iterators."""

    _source: Any
    _returned: int

    def _fresh_or_refuse(self) -> bool:
        """True when nothing was handed out yet, so restarting needs no rewind."""
        if self._returned == 0:
            return True
        if not self.reset_supported():  # type: ignore[attr-defined]  # the host iterator's
            raise UnsupportedOperationError(
                f"{type(self).__name__} over a one-shot stream cannot rewind; load the "
                f"state into a fresh iterator over the same stream instead"
            )
        return False


class ExistingDataSetIterator(_StreamState, DataSetIterator):
    """DataSets from an existing iterable, one per batch (DL4J's ExistingDataSetIterator).

    Resettable when ``iterable`` can be iterated again (a list, a tuple, anything whose
    ``iter()`` is not itself); a sequence is also indexable.  An iterator or generator
    gives one epoch only.  ``next(num)`` is not supported (batches are the items).

    Examples
    --------
    >>> import numpy as np
    >>> from fastiter import DataSet, ExistingDataSetIterator
    >>> it = ExistingDataSetIterator([DataSet(np.zeros((2, 1))), DataSet(np.ones((3, 1)))])
    >>> [len(b) for b in it], it.reset_supported()
    ([2, 3], True)
    >>> ExistingDataSetIterator(iter([])).reset_supported()
    False
    """

    def __init__(self, iterable: Iterable[DataSet], labels: list[str] | None = None) -> None:
        super().__init__()
        _check_source("iterable", iterable)
        self._source = iterable
        first = iter(iterable)  # once: iter() may be costly (a loader starting workers)
        self._resettable = first is not iterable
        self.indexable = isinstance(iterable, Sequence)
        self._labels = None if labels is None else list(labels)
        self._returned = 0
        self._pull = _Pulling(first, DataSet, "iterable")

    def has_next(self) -> bool:
        return self._pull.peek() is not None

    def _next_batch(self, num: int | None) -> DataSet:
        if num is not None:
            raise NotImplementedError(
                "ExistingDataSetIterator.next(num) is not supported: "
                "each batch is one item of the iterable"
            )
        self._returned += 1
        return owned(self, self._pull.pop())

    def _restart(self) -> None:
        if not self._fresh_or_refuse():
            self._pull = _Pulling(self._source, DataSet, "iterable")
            self._returned = 0

    def num_batches(self) -> int:
        if not self.indexable:
            return super().num_batches()
        return len(self._source)

    def _batch_at(self, index: int) -> DataSet:
        if not self.indexable:
            return super()._batch_at(index)
        return owned(self, _check_item(self._source[index], index))

    def _peek(self) -> DataSet:
        if self.has_next():
            return self._pull.peek()
        return super()._peek()

    def reset_supported(self) -> bool:
        return self._resettable

    def async_supported(self) -> bool:
        return False

    def get_labels(self) -> list[str] | None:
        return self._labels


def _check_item(item: Any, index: int) -> DataSet:
    if not isinstance(item, DataSet):
        raise TypeError(f"iterable item {index} must be a DataSet, got {type(item).__name__}")
    return item


class _Rebatching(_StreamState, BaseIterator):
    """Re-batches a stream to exactly ``batch_size`` examples: big items are split (the
    rest is kept for the next batch), small ones merged; the last batch holds the rest."""

    _kind: type[DataSet] | type[MultiDataSet] = DataSet

    def __init__(self, iterator: Iterable, batch_size: int) -> None:
        super().__init__()
        _check_source("iterator", iterator)
        self._source = iterator
        self._batch_size = positive_int("batch_size", batch_size)
        self._pull = _Pulling(iterator, self._kind, "iterator")
        self._carry: deque = deque()
        self._returned = 0

    def has_next(self) -> bool:
        while not self._carry:
            item = self._pull.pop()
            if item is None:
                return False
            if item.num_examples() > 0:
                self._carry.append(item)
        return True

    def _next_batch(self, num: int | None) -> Any:
        want = self._batch_size if num is None else positive_int("num", num)
        pieces, count = [], 0
        while count < want and self.has_next():
            item = self._carry.popleft()
            n = item.num_examples()
            if count + n > want:
                take = want - count
                self._carry.appendleft(item.get_range(take, n))
                item = item.get_range(0, take)
                n = take
            pieces.append(item)
            count += n
        self._returned += 1
        if len(pieces) == 1:
            return owned(self, pieces[0])
        return self._kind.merge(pieces)

    def _restart(self) -> None:
        self._fresh_or_refuse()

    def _peek(self) -> Any:
        if self.has_next():
            return self._carry[0]
        raise NotImplementedError(f"{type(self).__name__} has no batch left to read shapes from")

    def reset_supported(self) -> bool:
        return False


class IteratorDataSetIterator(_Rebatching, DataSetIterator):
    """Re-batches a stream of DataSets to exactly ``batch_size`` examples per batch.

    As DL4J's IteratorDataSetIterator: an item bigger than the room left is split and its
    rest starts the next batch; smaller items are merged; the final batch holds whatever
    remains.  ``next(num)`` builds a batch of ``num`` examples instead.  Not resettable.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiter import DataSet, IteratorDataSetIterator
    >>> stream = (DataSet(np.zeros((n, 1))) for n in (2, 5, 1))
    >>> [len(b) for b in IteratorDataSetIterator(stream, batch_size=3)]
    [3, 3, 2]
    """

    _kind = DataSet

    def batch(self) -> int:
        return self._batch_size


class IteratorMultiDataSetIterator(_Rebatching, MultiDataSetIterator):
    """:class:`IteratorDataSetIterator` for a stream of MultiDataSets (no async, as DL4J).

    Examples
    --------
    >>> import numpy as np
    >>> from fastiter import MultiDataSet, IteratorMultiDataSetIterator
    >>> stream = [MultiDataSet([np.zeros((4, 1))], [np.zeros((4, 1))])]
    >>> [len(b) for b in IteratorMultiDataSetIterator(iter(stream), batch_size=3)]
    [3, 1]
    """

    _kind = MultiDataSet

    def async_supported(self) -> bool:
        return False
