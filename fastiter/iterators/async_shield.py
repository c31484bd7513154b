"""Shields that stop async wrapping.

``prefetch`` / ``Prefetcher`` (any Python iterable on a native thread) live in
:mod:`fastiter.iterators.prefetcher`; they are re-exported here for code that imported
them from this module.
"""

from __future__ import annotations

from fastiter.iterators._wrapping import DataSetIteratorWrapper, MultiDataSetIteratorWrapper
from fastiter.iterators.async_ import _NotPrefetchable
from fastiter.iterators.base import DataSetIterator, MultiDataSetIterator
from fastiter.iterators.prefetcher import Prefetcher, prefetch  # moved there; old path

__all__ = [
    "AsyncShieldDataSetIterator",
    "AsyncShieldMultiDataSetIterator",
    "Prefetcher",
    "prefetch",
]


class _Shield(_NotPrefetchable):
    """Pass every call through to the base (the wrapper base's defaults), but answer
    ``async_supported() == False``."""

    forwards_paths = True


class AsyncShieldDataSetIterator(_Shield, DataSetIteratorWrapper):
    """A pass-through that answers ``async_supported() == False`` (DL4J's shield).

    Examples
    --------
    >>> from fastiter import ArrayDataSetIterator
    >>> it = AsyncShieldDataSetIterator(ArrayDataSetIterator(np.ones((5, 2)), None, 2))
    >>> it.async_supported(), [len(ds) for ds in it]
    (False, [2, 2, 1])
    """

    def __init__(self, base: DataSetIterator) -> None:
        super().__init__(base)


class AsyncShieldMultiDataSetIterator(_Shield, MultiDataSetIteratorWrapper):
    """The MultiDataSet shield: a pass-through with ``async_supported() == False``.

    Examples
    --------
    >>> from fastiter import SingletonMultiDataSetIterator
    >>> base = SingletonMultiDataSetIterator(MultiDataSet([np.ones((3, 2))], [np.ones((3, 1))]))
    >>> it = AsyncShieldMultiDataSetIterator(base)
    >>> it.async_supported(), [len(m) for m in it]
    (False, [3])
    """

    def __init__(self, base: MultiDataSetIterator) -> None:
        super().__init__(base)
