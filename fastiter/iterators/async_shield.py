"""Shields that stop async wrapping.

``prefetch`` / ``Prefetcher`` (any Python iterable on a native thread) live in
:mod:`fastiter.iterators.prefetcher`; they are re-exported here for code that imported
them from this module.
"""
from __future__ import annotations

from typing import Any

from fastiter.iterators._wrapping import DataSetWrapperMixin
from fastiter.iterators.async_ import _ForwardToBase
from fastiter.iterators.base import BaseIterator, DataSetIterator, MultiDataSetIterator
from fastiter.iterators.prefetcher import Prefetcher as Prefetcher  # moved there
from fastiter.iterators.prefetcher import prefetch as prefetch  # moved there

__all__ = [
    "AsyncShieldDataSetIterator",
    "AsyncShieldMultiDataSetIterator",
]


class _ShieldMixin(_ForwardToBase):
    """Pass every call through to the base, but answer ``async_supported() == False``."""

    _base_type: type = BaseIterator

    def _wrap(self, base: Any) -> None:
        if not isinstance(base, self._base_type):
            raise TypeError(f"base must be a {self._base_type.__name__}, "
                            f"got {type(base).__name__}")
        self.base = base

    def has_next(self) -> bool:
        return self.base.has_next()

    def next(self, num: int | None = None) -> Any:
        batch = self.base.next(num)  # the base applies its own pre-processor
        self._position += 1
        return batch

    def _next_batch(self, num: int | None) -> Any:  # pragma: no cover - next() overrides
        return self.base.next(num)

    def reset(self) -> None:
        self.base.reset()
        self._epoch += 1
        self._position = 0


class AsyncShieldDataSetIterator(_ShieldMixin, DataSetWrapperMixin, DataSetIterator):
    """A pass-through that answers ``async_supported() == False`` (DL4J's shield).

    Examples
    --------
    >>> from fastiter import ArrayDataSetIterator
    >>> it = AsyncShieldDataSetIterator(ArrayDataSetIterator(np.ones((5, 2)), None, 2))
    >>> it.async_supported(), [len(ds) for ds in it]
    (False, [2, 2, 1])
    """

    _base_type = DataSetIterator

    def __init__(self, base: DataSetIterator) -> None:
        DataSetIterator.__init__(self)
        self._wrap(base)


class AsyncShieldMultiDataSetIterator(_ShieldMixin, MultiDataSetIterator):
    """The MultiDataSet shield: a pass-through with ``async_supported() == False``.

    Examples
    --------
    >>> from fastiter import SingletonMultiDataSetIterator
    >>> base = SingletonMultiDataSetIterator(MultiDataSet([np.ones((3, 2))], [np.ones((3, 1))]))
    >>> it = AsyncShieldMultiDataSetIterator(base)
    >>> it.async_supported(), [len(m) for m in it]
    (False, [3])
    """

    _base_type = MultiDataSetIterator

    def __init__(self, base: MultiDataSetIterator) -> None:
        MultiDataSetIterator.__init__(self)
        self._wrap(base)
