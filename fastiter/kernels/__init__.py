"""The Python face of the native kernels: validation, dtype dispatch and ``out=`` handling.

Every function checks its inputs, allocates the output when ``out`` is not given, and
hands the work to the single C implementation in ``csrc/`` (through the Cython glue in
:mod:`fastiter._core`), which runs without the GIL and, for large inputs, on the native
thread pool.

Examples
--------
>>> import numpy as np
>>> from fastiter import kernels
>>> kernels.one_hot(np.array([1, 0]), 2)
array([[0., 1.],
       [1., 0.]], dtype=float32)
"""

from fastiter.kernels._align import align_labels
from fastiter.kernels._batch import collate, gather
from fastiter.kernels._common import FI_DTYPE_CODES
from fastiter.kernels._convert import gather_scaled, gather_scaled_labeled
from fastiter.kernels._onehot import one_hot
from fastiter.kernels._outputs import output_cache_stats, release_output_cache
from fastiter.kernels._pad import pad_sequences
from fastiter.kernels._random import (
    random_binary,
    random_bits,
    random_integers,
    random_normal,
    random_one_hot,
    random_uniform,
)
from fastiter.kernels._threads import (
    get_num_threads,
    pool_live_threads,
    pool_shutdown,
    set_default_num_threads,
    set_num_threads,
)
from fastiter.kernels._windows import gather_windows

__all__ = [
    "FI_DTYPE_CODES",
    "one_hot",
    "pad_sequences",
    "align_labels",
    "gather",
    "gather_windows",
    "collate",
    "gather_scaled",
    "gather_scaled_labeled",
    "random_uniform",
    "random_normal",
    "random_integers",
    "random_binary",
    "random_one_hot",
    "random_bits",
    "set_num_threads",
    "set_default_num_threads",
    "get_num_threads",
    "pool_live_threads",
    "pool_shutdown",
    "release_output_cache",
    "output_cache_stats",
]
