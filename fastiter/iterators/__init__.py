"""Iterator interfaces and the iterator families."""
from fastiter.iterators.array import ArrayDataSetIterator
from fastiter.iterators.async_ import AsyncDataSetIterator, AsyncMultiDataSetIterator
from fastiter.iterators.async_shield import (
    AsyncShieldDataSetIterator,
    AsyncShieldMultiDataSetIterator,
    prefetch,
)
from fastiter.iterators.base import (
    BaseIterator,
    DataSetIterator,
    DataSetPreProcessor,
    MultiDataSetIterator,
    MultiDataSetPreProcessor,
)
from fastiter.iterators.inmemory import (
    ListDataSetIterator,
    SingletonDataSetIterator,
    SingletonMultiDataSetIterator,
    ViewIterator,
)
from fastiter.iterators.pairs import DoublesDataSetIterator, FloatsDataSetIterator
from fastiter.iterators.stream import (
    ExistingDataSetIterator,
    IteratorDataSetIterator,
    IteratorMultiDataSetIterator,
)

__all__ = [
    "ArrayDataSetIterator",
    "AsyncDataSetIterator",
    "AsyncMultiDataSetIterator",
    "AsyncShieldDataSetIterator",
    "AsyncShieldMultiDataSetIterator",
    "prefetch",
    "BaseIterator",
    "DataSetIterator",
    "DataSetPreProcessor",
    "DoublesDataSetIterator",
    "ExistingDataSetIterator",
    "FloatsDataSetIterator",
    "IteratorDataSetIterator",
    "IteratorMultiDataSetIterator",
    "ListDataSetIterator",
    "MultiDataSetIterator",
    "MultiDataSetPreProcessor",
    "SingletonDataSetIterator",
    "SingletonMultiDataSetIterator",
    "ViewIterator",
]
