"""fastiter: DL4J's dataset iterators for Python, with native hot paths.

Every public class is importable from here under its DL4J class name; each subpackage
keeps its own ``__all__`` and this module re-exports them.

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

from fastiter import datasets, errors, iterators, kernels, preprocessing, records
from fastiter._core._ring import Ring, RingClosed
from fastiter._examples import SplitTestAndTrain
from fastiter.dataset import DataSet, MultiDataSet
from fastiter.datasets import (  # the iterators; helpers stay in fastiter.datasets
    CifarDataSetIterator,
    DatasetNotFoundError,
    EmnistDataSetIterator,
    EMnistSet,
    IrisDataSetIterator,
    LFWDataSetIterator,
    MnistDataSetIterator,
    TinyImageNetDataSetIterator,
    UciSequenceDataSetIterator,
)
from fastiter.errors import *  # noqa: F401,F403  (curated: errors.__all__)
from fastiter.iterators import *  # noqa: F401,F403
from fastiter.kernels import get_num_threads, set_num_threads
from fastiter.preprocessing import *  # noqa: F401,F403
from fastiter.records import *  # noqa: F401,F403

__version__ = "0.1.0"

__all__ = [
    "__version__", "get_include", "get_source_dir", "show_config", "kernels",
    "set_num_threads", "get_num_threads",
    "DataSet", "MultiDataSet", "SplitTestAndTrain",
    *errors.__all__, *iterators.__all__, *preprocessing.__all__, *records.__all__,
    "datasets", "CifarDataSetIterator", "DatasetNotFoundError", "EmnistDataSetIterator",
    "EMnistSet", "IrisDataSetIterator", "LFWDataSetIterator", "MnistDataSetIterator",
    "TinyImageNetDataSetIterator", "UciSequenceDataSetIterator",
    # netCDF (imported lazily: xarray is slow to import)
    "NetCDFDataSetIterator", "HDF5DataSetIterator", "save_chunks", "split_by_chunks",
    "chunk_paths",
    "Ring", "RingClosed",
]

_LAZY_NETCDF = ("NetCDFDataSetIterator", "HDF5DataSetIterator", "save_chunks",
                "split_by_chunks", "chunk_paths")


def __getattr__(name: str):
    if name in _LAZY_NETCDF:
        import fastiter.netcdf

        return getattr(fastiter.netcdf, name)
    raise AttributeError(f"module 'fastiter' has no attribute {name!r}")


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
