"""numba in one place: the ``@jit`` options, the switch that turns JIT off, and the C
kernels bound for ``@njit`` code.

User transforms run in the pipeline are compiled with :func:`jit`, which applies
:data:`JIT_OPTIONS` (``nogil`` so worker threads run in parallel, ``cache`` so a process
compiles once per machine).  Nothing is compiled at import: numba compiles on the first
call.  Set ``FASTITER_DISABLE_JIT=1`` (or call :func:`set_jit_enabled`) before
decorating to get the plain Python functions back, for debugging and coverage.

:func:`native` returns the C kernels themselves, bound through their ``cdef api``
entries with ``numba.extending.get_cython_function_address``; an ``@njit`` function
calls them with ``array.ctypes`` arguments, and so does plain Python.

Examples
--------
>>> import numpy as np
>>> from fastiter.jit import jit_native, native, FI_INT64, FI_FLOAT32
>>> c_one_hot = native("one_hot")
>>> @jit_native
... def encode(labels, out, bad):
...     return c_one_hot(labels.ctypes, FI_INT64, labels.size, 1, out.shape[1],
...                      out.ctypes, FI_FLOAT32, bad.ctypes)
>>> out = np.empty((2, 3), np.float32)
>>> encode(np.array([2, 0]), out, np.zeros(1, np.int64)), out.tolist()
(0, [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
"""
from __future__ import annotations

import ctypes
import functools
from typing import Any, Callable

import numpy as np

from fastiter import _env
from fastiter.kernels._common import FI_DTYPE_CODES

__all__ = ["JIT_OPTIONS", "jit", "jit_native", "jit_enabled", "set_jit_enabled", "native",
           "NATIVE_SIGNATURES", "FI_BOOL", "FI_INT32", "FI_INT64", "FI_FLOAT32",
           "FI_FLOAT64"]

JIT_OPTIONS: dict[str, Any] = {"nogil": True, "cache": True, "fastmath": False,
                               "error_model": "numpy"}

# fi_dtype codes as plain ints, which numba folds into compiled code as constants
FI_BOOL = FI_DTYPE_CODES[np.dtype(np.bool_)]
FI_INT32 = FI_DTYPE_CODES[np.dtype(np.int32)]
FI_INT64 = FI_DTYPE_CODES[np.dtype(np.int64)]
FI_FLOAT32 = FI_DTYPE_CODES[np.dtype(np.float32)]
FI_FLOAT64 = FI_DTYPE_CODES[np.dtype(np.float64)]

_enabled = not _env.get("FASTITER_DISABLE_JIT")

_i, _i64, _u64, _p, _sz = (ctypes.c_int, ctypes.c_int64, ctypes.c_uint64, ctypes.c_void_p,
                           ctypes.c_size_t)
# cdef api name in fastiter._core._kernels -> (restype, argtypes); see csrc/include/fastiter/
NATIVE_SIGNATURES: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "one_hot": (_i, (_p, _i, _i64, _i64, _i64, _p, _i, _p)),
    "pad_sequences": (_i, (_p, _p, _p, _p, _i64, _i64, _i64, _sz, _i, _p, _p, _p, _sz, _p,
                           _p)),
    "gather": (_i, (_p, _i64, _i64, _sz, _p, _i64, _p, _p)),
    "random_uniform": (_i, (_u64, _u64, _i64, _i64, _p, _i)),
    "random_normal": (_i, (_u64, _u64, _i64, _i64, _p, _i)),
    "random_integers": (_i, (_u64, _u64, _i64, _i64, _i64, _u64, _p, _i)),
    "random_binary": (_i, (_u64, _u64, _i64, _i64, ctypes.c_double, _p, _i)),
    "random_one_hot": (_i, (_u64, _u64, _i64, _i64, _i64, _p, _i)),
    "random_bits": (_i, (_u64, _u64, _i64, _i64, _p)),
    "collate": (_i, (_p, _i64, _sz, _p)),
    "gather_scaled_u8": (_i, (_p, _i64, _i64, _i64, _p, _i64, ctypes.c_double, _i, _p, _i,
                              _p)),
}


def jit_enabled() -> bool:
    """Whether :func:`jit` compiles (False with ``FASTITER_DISABLE_JIT=1``)."""
    return _enabled


def set_jit_enabled(enabled: bool) -> None:
    """Turn JIT on or off for functions decorated from now on."""
    global _enabled
    _enabled = bool(enabled)


def jit(fn: Callable | None = None, **options: Any) -> Any:
    """Compile ``fn`` with numba using :data:`JIT_OPTIONS` (overridable per call).

    Usable bare (``@jit``) or with options (``@jit(parallel=True)``).  Compilation
    happens at the first call.  With JIT disabled, returns ``fn`` unchanged.
    """
    def decorate(f: Callable) -> Any:
        if not _enabled:
            return f
        import numba  # deferred: importing fastiter must not pay for numba

        return numba.njit(**{**JIT_OPTIONS, **options})(f)

    return decorate(fn) if fn is not None else decorate


def jit_native(fn: Callable | None = None, **options: Any) -> Any:
    """:func:`jit` for functions that call :func:`native` kernels.

    numba cannot cache code that embeds a function address, so caching is off.
    """
    return jit(fn, **{**options, "cache": False})


@functools.lru_cache(maxsize=None)
def native(name: str) -> Any:
    """The C kernel ``name`` as a ctypes function, callable from ``@njit`` code.

    ``name`` is a key of :data:`NATIVE_SIGNATURES`; the arguments are those of the C
    function of the same name in ``fastiter.h`` (pointers as ``array.ctypes``).
    """
    if name not in NATIVE_SIGNATURES:
        raise ValueError(f"unknown native kernel {name!r}; choose from "
                         f"{sorted(NATIVE_SIGNATURES)}")
    from numba.extending import get_cython_function_address

    restype, argtypes = NATIVE_SIGNATURES[name]
    addr = get_cython_function_address("fastiter._core._kernels", f"fastiter_{name}")
    return ctypes.CFUNCTYPE(restype, *argtypes)(addr)
