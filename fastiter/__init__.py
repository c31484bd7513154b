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
from fastiter._core import Ring, RingClosed
from fastiter.dataset import DataSet, MultiDataSet, SplitTestAndTrain
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
from fastiter.errors import *  # noqa: F403 - curated: re-exports errors.__all__
from fastiter.iterators import *  # noqa: F403 - curated: re-exports iterators.__all__
from fastiter.kernels import get_num_threads, set_num_threads
from fastiter.preprocessing import *  # noqa: F403 - curated: re-exports preprocessing.__all__
from fastiter.records import *  # noqa: F403 - curated: re-exports records.__all__

__version__ = "0.1.0"

# netCDF names, imported on first access (xarray is slow to import), see __getattr__
_LAZY_NETCDF = (
    "NetCDFDataSetIterator",
    "HDF5DataSetIterator",
    "save_chunks",
    "split_by_chunks",
    "chunk_paths",
)

__all__ = [
    "__version__",
    "get_include",
    "get_source_dir",
    "get_library_dir",
    "show_config",
    "kernels",
    "set_num_threads",
    "get_num_threads",
    "DataSet",
    "MultiDataSet",
    "SplitTestAndTrain",
    *errors.__all__,
    *iterators.__all__,
    *preprocessing.__all__,
    *records.__all__,
    "datasets",
    "CifarDataSetIterator",
    "DatasetNotFoundError",
    "EmnistDataSetIterator",
    "EMnistSet",
    "IrisDataSetIterator",
    "LFWDataSetIterator",
    "MnistDataSetIterator",
    "TinyImageNetDataSetIterator",
    "UciSequenceDataSetIterator",
    *_LAZY_NETCDF,
    "Ring",
    "RingClosed",
]


# Submodules with heavy or optional dependencies, imported on first attribute access
# (PEP 562) so that ``import fastiter`` stays fast and works without the extras:
# ``fastiter.jit`` needs numba, ``fastiter.torch`` needs torch, ``fastiter.netcdf``
# needs xarray.  A missing extra surfaces as the submodule's own ImportError.
_LAZY_SUBMODULES = ("jit", "torch", "interop", "netcdf", "demo", "benchmark", "cli")


def __getattr__(name: str):
    if name in _LAZY_NETCDF:
        import fastiter.netcdf

        return getattr(fastiter.netcdf, name)
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"fastiter.{name}")
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


def get_library_dir() -> str:
    """The folder holding ``libfastiter.so``, ``libfastiter.a`` and their build files.

    Beside the libraries lie ``pkgconfig/fastiter.pc`` and ``cmake/fastiter/`` (the
    CMake package); ``fastiter config --libs`` prints the link flags.  See docs/c-api.md.

    >>> os.path.exists(os.path.join(get_library_dir(), "libfastiter.so"))
    True
    """
    lib = os.path.join(_HERE, "lib")
    if not os.path.exists(os.path.join(lib, "libfastiter.so")):
        raise FileNotFoundError(
            f"{lib} holds no libfastiter.so: this fastiter was not built by its own "
            f"build_ext (from a checkout: python setup.py build_ext --inplace)"
        )
    return lib


def show_config(file=None) -> None:
    """Print the versions, the native build's flags, the thread pool, the SIMD path and
    every ``FASTITER_*`` environment variable with its effective value.

    >>> import io; buf = io.StringIO(); show_config(buf)
    >>> "threads" in buf.getvalue() and "cflags" in buf.getvalue()
    True
    """
    import json
    import platform

    import numpy

    from fastiter import _env
    from fastiter._core import kernels as _kernels
    from fastiter._cpus import available_cpus

    out = file or sys.stdout
    info_path = os.path.join(_HERE, "_core", "build_info.json")
    with open(info_path) if os.path.exists(info_path) else open(os.devnull) as fh:
        text = fh.read()
    info = json.loads(text) if text else {}
    rows = [
        ("fastiter", __version__),
        ("python", sys.version.split()[0]),
        ("numpy", numpy.__version__),
        (
            "machine",
            f"{platform.machine()}, {os.cpu_count()} cores, "
            f"{available_cpus()} usable (affinity and cgroup quota)",
        ),
        ("threads", f"{kernels.get_num_threads()} in the native pool"),
        ("simd", ["scalar", "AVX2", "AVX-512"][_kernels.simd_level()]),
        ("cc", info.get("cc", "unknown")),
        ("cflags", " ".join(info.get("cflags", [])) or "unknown"),
        ("include", get_include()),
        ("sources", get_source_dir()),
        ("library", os.path.join(_HERE, "lib")),
    ]
    for key in ("numba", "xarray", "netCDF4", "h5py", "dask", "torch"):
        mod = sys.modules.get(key)
        if mod is None:
            try:
                mod = __import__(key)
            except ImportError:
                continue
        rows.append((key, getattr(mod, "__version__", "?")))
    for key, value in rows:
        print(f"  {key:<9} {value}", file=out)
    print("environment (name, value set, effective value, meaning):", file=out)
    for name, raw, value, note in _env.describe():
        print(f"  {name:<31} {raw:<8} {value}  {note}", file=out)
