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
from collections.abc import Callable
from typing import Any

from fastiter import _env
from fastiter._core import kernels as _kernels
from fastiter._extras import require_extra

require_extra("jit", "fastiter.jit")

__all__ = [
    "JIT_OPTIONS",
    "jit",
    "jit_native",
    "jit_enabled",
    "set_jit_enabled",
    "native",
    "NATIVE_SIGNATURES",
    "FI_BOOL",
    "FI_INT32",
    "FI_INT64",
    "FI_FLOAT32",
    "FI_FLOAT64",
]

JIT_OPTIONS: dict[str, Any] = {
    "nogil": True,
    "cache": True,
    "fastmath": False,
    "error_model": "numpy",
}

# fi_dtype codes as plain ints, which numba folds into compiled code as constants (the
# values are the C enum's, exposed by the compiled module)
FI_BOOL: int = _kernels.DTYPE_CODES["bool"]
FI_INT32: int = _kernels.DTYPE_CODES["int32"]
FI_INT64: int = _kernels.DTYPE_CODES["int64"]
FI_FLOAT32: int = _kernels.DTYPE_CODES["float32"]
FI_FLOAT64: int = _kernels.DTYPE_CODES["float64"]

_enabled = not _env.get("FASTITER_DISABLE_JIT")

# C type in a cdef api signature -> ctypes type; every pointer is passed as c_void_p
_CTYPES: dict[str, Any] = {
    "int": ctypes.c_int,
    "double": ctypes.c_double,
    "size_t": ctypes.c_size_t,
    "int64_t": ctypes.c_int64,
    "uint64_t": ctypes.c_uint64,
}
_CAPI_PREFIX = "fastiter_"


def _capsule_signature(capsule: Any) -> str:
    """The C signature Cython writes as the name of a ``__pyx_capi__`` capsule."""
    # a prototype of our own: setting restype on ctypes.pythonapi's would change it for
    # every other user in the process
    get_name = ctypes.PYFUNCTYPE(ctypes.c_char_p, ctypes.py_object)(
        ("PyCapsule_GetName", ctypes.pythonapi)
    )
    return get_name(capsule).decode()


def _ctype(c_type: str) -> Any:
    if "*" in c_type:
        return ctypes.c_void_p
    try:
        return _CTYPES[c_type]
    except KeyError:
        raise TypeError(
            f"cdef api signature uses C type {c_type!r}, which fastiter.jit "
            f"has no ctypes type for; add it to _CTYPES"
        ) from None


def _signatures() -> dict[str, tuple[Any, tuple[Any, ...]]]:
    """(restype, argtypes) of every ``cdef api`` entry of fastiter._core._kernels, read
    from the compiled module: the signatures are written once, in _kernels.pyx."""
    sigs = {}
    for name, capsule in _kernels.__pyx_capi__.items():
        if not name.startswith(_CAPI_PREFIX):
            continue
        ret, _, args = _capsule_signature(capsule).partition(" (")
        sigs[name[len(_CAPI_PREFIX) :]] = (
            _ctype(ret),
            tuple(_ctype(a.strip()) for a in args.rstrip(")").split(",")),
        )
    return dict(sorted(sigs.items()))


# cdef api name in fastiter._core._kernels (without its "fastiter_" prefix) ->
# (restype, argtypes); the arguments are those of the fi_ function of the same name in
# csrc/include/fastiter/
NATIVE_SIGNATURES: dict[str, tuple[Any, tuple[Any, ...]]] = _signatures()


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


@functools.cache
def native(name: str) -> Any:
    """The C kernel ``name`` as a ctypes function, callable from ``@njit`` code.

    ``name`` is a key of :data:`NATIVE_SIGNATURES`; the arguments are those of the C
    function of the same name in ``fastiter.h`` (pointers as ``array.ctypes``).
    """
    if name not in NATIVE_SIGNATURES:
        raise ValueError(f"unknown native kernel {name!r}; choose from {sorted(NATIVE_SIGNATURES)}")
    from numba.extending import get_cython_function_address

    restype, argtypes = NATIVE_SIGNATURES[name]
    addr = get_cython_function_address("fastiter._core._kernels", f"fastiter_{name}")
    return ctypes.CFUNCTYPE(restype, *argtypes)(addr)
