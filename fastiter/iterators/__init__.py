"""Iterator interfaces and the iterator families."""

# the random-access building block, for iterator families built outside this package
from fastiter.iterators._indexed import IndexedBatchesMixin
from fastiter.iterators.adapters import MultiDataSetIteratorAdapter, MultiDataSetWrapperIterator
from fastiter.iterators.array import ArrayDataSetIterator
from fastiter.iterators.async_ import AsyncDataSetIterator, AsyncMultiDataSetIterator
from fastiter.iterators.async_shield import (
    AsyncShieldDataSetIterator,
    AsyncShieldMultiDataSetIterator,
)
from fastiter.iterators.base import (
    BaseIterator,
    DataSetIterator,
    DataSetPreProcessor,
    MultiDataSetIterator,
    MultiDataSetPreProcessor,
)
from fastiter.iterators.block import DummyBlockDataSetIterator, DummyBlockMultiDataSetIterator
from fastiter.iterators.caching import (
    CachingDataSetIterator,
    InFileDataSetCache,
    InMemoryDataSetCache,
)
from fastiter.iterators.epochs import MultipleEpochsIterator
from fastiter.iterators.files import FileDataSetIterator, FileMultiDataSetIterator
from fastiter.iterators.inmemory import (
    ListDataSetIterator,
    SingletonDataSetIterator,
    SingletonMultiDataSetIterator,
    ViewIterator,
)
from fastiter.iterators.joint import JointMultiDataSetIterator
from fastiter.iterators.kfold import KFoldIterator
from fastiter.iterators.loaders import (
    DataSetLoaderIterator,
    ExistingMiniBatchDataSetIterator,
    FileSplitDataSetIterator,
)
from fastiter.iterators.pairs import DoublesDataSetIterator, FloatsDataSetIterator
from fastiter.iterators.parallel import InequalityHandling, JointParallelDataSetIterator
from fastiter.iterators.prefetcher import prefetch
from fastiter.iterators.sampling import SamplingDataSetIterator
from fastiter.iterators.shard import shard
from fastiter.iterators.splitter import DataSetIteratorSplitter, MultiDataSetIteratorSplitter
from fastiter.iterators.stream import (
    ExistingDataSetIterator,
    IteratorDataSetIterator,
    IteratorMultiDataSetIterator,
)
from fastiter.iterators.synthetic import RandomDataSetIterator, RandomMultiDataSetIterator
from fastiter.iterators.wrappers import (
    EarlyTerminationDataSetIterator,
    EarlyTerminationMultiDataSetIterator,
    ReconstructionDataSetIterator,
    WorkspacesShieldDataSetIterator,
)

__all__ = [
    "IndexedBatchesMixin",
    "ArrayDataSetIterator",
    "AsyncDataSetIterator",
    "AsyncMultiDataSetIterator",
    "AsyncShieldDataSetIterator",
    "AsyncShieldMultiDataSetIterator",
    "prefetch",
    "shard",
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
    # the rest of the family (issue 5)
    "CachingDataSetIterator",
    "DataSetIteratorSplitter",
    "DataSetLoaderIterator",
    "DummyBlockDataSetIterator",
    "DummyBlockMultiDataSetIterator",
    "EarlyTerminationDataSetIterator",
    "EarlyTerminationMultiDataSetIterator",
    "ExistingMiniBatchDataSetIterator",
    "FileDataSetIterator",
    "FileMultiDataSetIterator",
    "FileSplitDataSetIterator",
    "InFileDataSetCache",
    "InMemoryDataSetCache",
    "InequalityHandling",
    "JointMultiDataSetIterator",
    "JointParallelDataSetIterator",
    "KFoldIterator",
    "MultiDataSetIteratorAdapter",
    "MultiDataSetIteratorSplitter",
    "MultiDataSetWrapperIterator",
    "MultipleEpochsIterator",
    "RandomDataSetIterator",
    "RandomMultiDataSetIterator",
    "ReconstructionDataSetIterator",
    "SamplingDataSetIterator",
    "WorkspacesShieldDataSetIterator",
]
