"""fastiter: DL4J's dataset iterators for Python, with native hot paths.

Examples
--------
>>> import numpy as np, fastiter
>>> it = fastiter.ArrayDataSetIterator(np.ones((6, 2)), np.eye(3)[[0, 1, 2, 0, 1, 2]], 4)
>>> [ds.num_examples() for ds in it]
[4, 2]
"""
from __future__ import annotations

import os
import sys

from fastiter import kernels
from fastiter.kernels import get_num_threads, set_num_threads
from fastiter.dataset import DataSet, MultiDataSet
from fastiter.errors import (
    FormatError,
    NoSuchElementError,
    StaleBatchError,
    UnsupportedOperationError,
    ZeroLengthSequenceError,
)
from fastiter.iterators import (
    ArrayDataSetIterator,
    BaseIterator,
    DataSetIterator,
    DataSetPreProcessor,
    MultiDataSetIterator,
    MultiDataSetPreProcessor,
)
from fastiter.preprocessing import (
    CombinedPreProcessor,
    CompositeDataSetPreProcessor,
    CompositeMultiDataSetPreProcessor,
    CropAndResizeDataSetPreProcessor,
    DummyPreProcessor,
    ImageFlatteningDataSetPreProcessor,
    ImagePreProcessingScaler,
    LabelLastTimeStepPreProcessor,
    MultiNormalizerHybrid,
    MultiNormalizerMinMaxScaler,
    MultiNormalizerStandardize,
    NormalizerMinMaxScaler,
    NormalizerStandardize,
    PermuteDataSetPreProcessor,
    RGBtoGrayscaleDataSetPreProcessor,
    VGG16ImagePreProcessor,
    load_normalizer,
)


from fastiter.iterators import (  # family (issue 5)
    CachingDataSetIterator,
    DataSetIteratorSplitter,
    DataSetLoaderIterator,
    DummyBlockDataSetIterator,
    DummyBlockMultiDataSetIterator,
    EarlyTerminationDataSetIterator,
    EarlyTerminationMultiDataSetIterator,
    ExistingMiniBatchDataSetIterator,
    FileDataSetIterator,
    FileMultiDataSetIterator,
    FileSplitDataSetIterator,
    InFileDataSetCache,
    InMemoryDataSetCache,
    InequalityHandling,
    JointMultiDataSetIterator,
    JointParallelDataSetIterator,
    KFoldIterator,
    MultiDataSetIteratorAdapter,
    MultiDataSetIteratorSplitter,
    MultiDataSetWrapperIterator,
    MultipleEpochsIterator,
    RandomDataSetIterator,
    RandomMultiDataSetIterator,
    ReconstructionDataSetIterator,
    SamplingDataSetIterator,
    WorkspacesShieldDataSetIterator,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "get_include",
    "get_source_dir",
    "show_config",
    "kernels",
    "set_num_threads",
    "get_num_threads",
    # data objects
    "DataSet",
    "MultiDataSet",
    # errors
    "FormatError",
    "NoSuchElementError",
    "StaleBatchError",
    "UnsupportedOperationError",
    "ZeroLengthSequenceError",
    # interfaces
    "BaseIterator",
    "DataSetIterator",
    "DataSetPreProcessor",
    "MultiDataSetIterator",
    "MultiDataSetPreProcessor",
    # iterators
    "ArrayDataSetIterator",
    # --- family (issue 5) ---
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
    # --- end family ---
    # normalizers and pre-processors
    "NormalizerStandardize",
    "NormalizerMinMaxScaler",
    "MultiNormalizerStandardize",
    "MultiNormalizerMinMaxScaler",
    "MultiNormalizerHybrid",
    "ImagePreProcessingScaler",
    "VGG16ImagePreProcessor",
    "PermuteDataSetPreProcessor",
    "RGBtoGrayscaleDataSetPreProcessor",
    "ImageFlatteningDataSetPreProcessor",
    "CropAndResizeDataSetPreProcessor",
    "LabelLastTimeStepPreProcessor",
    "CombinedPreProcessor",
    "CompositeDataSetPreProcessor",
    "CompositeMultiDataSetPreProcessor",
    "DummyPreProcessor",
    "load_normalizer",
]

_HERE = os.path.dirname(os.path.abspath(__file__))


def get_include() -> str:
    """The folder holding the public C header ``fastiter.h``, as ``numpy.get_include()``.

    >>> os.path.exists(os.path.join(get_include(), "fastiter.h"))
    True
    """
    shipped = os.path.join(_HERE, "include")
    if os.path.exists(os.path.join(shipped, "fastiter.h")):
        return shipped
    return os.path.join(os.path.dirname(_HERE), "csrc", "include")


def get_source_dir() -> str:
    """The folder holding the C sources (``kernels.c``, ...) a C program compiles with."""
    shipped = os.path.join(_HERE, "src")
    if os.path.exists(os.path.join(shipped, "kernels.c")):
        return shipped
    return os.path.join(os.path.dirname(_HERE), "csrc")


def show_config(file=None) -> None:
    """Print the versions, the include folder and the native build's facts."""
    import numpy

    out = file or sys.stdout
    print(f"fastiter {__version__}", file=out)
    print(f"  python   {sys.version.split()[0]}", file=out)
    print(f"  numpy    {numpy.__version__}", file=out)
    print(f"  include  {get_include()}", file=out)
    print(f"  sources  {get_source_dir()}", file=out)
