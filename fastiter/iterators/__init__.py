"""Iterator interfaces and the iterator families."""
from fastiter.iterators.array import ArrayDataSetIterator
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
