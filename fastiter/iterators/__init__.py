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
    "MultiDataSetIterator",
    "MultiDataSetPreProcessor",
]
