"""Iterator interfaces and the iterator families."""
from fastiter.iterators.array import ArrayDataSetIterator
from fastiter.iterators.base import (
    BaseIterator,
    DataSetIterator,
    DataSetPreProcessor,
    MultiDataSetIterator,
    MultiDataSetPreProcessor,
)

__all__ = [
    "ArrayDataSetIterator",
    "BaseIterator",
    "DataSetIterator",
    "DataSetPreProcessor",
    "MultiDataSetIterator",
    "MultiDataSetPreProcessor",
]
