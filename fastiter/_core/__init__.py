"""Cython glue over csrc/: declarations, nogil wrappers and `cdef api` entries.

Nothing here holds an algorithm; see csrc/ for the single implementation of each kernel.
The compiled modules keep Cython's underscored names (numba finds the ``cdef api``
entries as ``fastiter._core._kernels``); the layer above imports them by the names
below.
"""

from fastiter._core import _alloc as alloc
from fastiter._core import _csv as csv
from fastiter._core import _kernels as kernels
from fastiter._core import _ring as ring
from fastiter._core._alloc import BlockCache
from fastiter._core._ring import NativeThread, Ring, RingClosed

__all__ = ["alloc", "csv", "kernels", "ring", "BlockCache", "NativeThread", "Ring", "RingClosed"]
