"""Iterator interfaces and the iterator families."""
from fastiter.iterators.adapters import MultiDataSetIteratorAdapter, MultiDataSetWrapperIterator
from fastiter.iterators.array import ArrayDataSetIterator
from fastiter.iterators.base import (
    BaseIterator,
    DataSetIterator,
    DataSetPreProcessor,
    MultiDataSetIterator,
    MultiDataSetPreProcessor,
)
from fastiter.iterators.epochs import MultipleEpochsIterator
from fastiter.iterators.splitter import DataSetIteratorSplitter, MultiDataSetIteratorSplitter
from fastiter.iterators.wrappers import (
    EarlyTerminationDataSetIterator,
    EarlyTerminationMultiDataSetIterator,
    ReconstructionDataSetIterator,
    WorkspacesShieldDataSetIterator,
)

__all__ = [
    "ArrayDataSetIterator",
    "BaseIterator",
    "DataSetIterator",
    "DataSetPreProcessor",
    "MultiDataSetIterator",
    "MultiDataSetPreProcessor",
    # family (issue 5)
    "DataSetIteratorSplitter",
    "EarlyTerminationDataSetIterator",
    "EarlyTerminationMultiDataSetIterator",
    "MultiDataSetIteratorAdapter",
    "MultiDataSetIteratorSplitter",
    "MultiDataSetWrapperIterator",
    "MultipleEpochsIterator",
    "ReconstructionDataSetIterator",
    "WorkspacesShieldDataSetIterator",
]
