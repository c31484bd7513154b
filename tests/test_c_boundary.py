"""The checked C boundary: the dtype codes and the cdef api entry points of
fastiter._core._kernels against the C headers (the numba side: test_c_boundary_numba.py).

The codes and signatures Python uses are read from the compiled module; these tests hold
that module to csrc/include/, which is what a C user compiles against.
"""

from __future__ import annotations

import ctypes
import re
from pathlib import Path

import numpy as np

from fastiter import kernels
from fastiter._core import _kernels

INCLUDE = Path(__file__).resolve().parents[1] / "csrc" / "include"


def _header_text() -> str:
    return "\n".join(p.read_text() for p in sorted(INCLUDE.rglob("*.h")))


def _strip_comments(text: str) -> str:
    return re.sub(r"/\*.*?\*/", " ", text, flags=re.S)


def _canonical_c_type(decl: str, named: bool) -> str:
    """A parameter or return type as Cython writes it in a capsule name: qualifiers after
    what they qualify ("const void *" -> "void const *"), single spaces, no name."""
    decl = " ".join(decl.replace("*", " * ").split())
    if named:  # drop the parameter's name, the last identifier
        decl = re.sub(r"\s*\b[A-Za-z_]\w*$", "", decl)
    tokens = decl.split()
    if tokens and tokens[0] == "const":
        tokens = [tokens[1], "const", *tokens[2:]]
    out = ""
    for tok in tokens:
        out += tok if tok == "*" and out.endswith("*") else (" " + tok if out else tok)
    return out.replace("* const", "*const")


def _header_prototype(fn: str) -> str:
    """``fi_<fn>``'s prototype in csrc/include, as a capsule-style signature string."""
    m = re.search(rf"\b(\w+)\s+fi_{fn}\s*\(([^)]*)\)\s*;", _strip_comments(_header_text()))
    assert m, f"fi_{fn} is not declared in {INCLUDE}"
    args = ", ".join(_canonical_c_type(a, named=True) for a in m.group(2).split(","))
    return f"{_canonical_c_type(m.group(1), named=False)} ({args})"


def _capsule_name(capsule) -> str:
    get_name = ctypes.PYFUNCTYPE(ctypes.c_char_p, ctypes.py_object)(
        ("PyCapsule_GetName", ctypes.pythonapi)
    )
    return get_name(capsule).decode()


def test_dtype_codes_are_the_header_enum():
    body = re.search(
        r"typedef enum fi_dtype \{(.*?)\} fi_dtype;", _strip_comments(_header_text()), re.S
    ).group(1)
    names = [n.split("=")[0].strip() for n in body.split(",") if n.strip()]
    assert names[0] == "FI_BOOL" and "= 0" in body and names[-1] == "FI_NDTYPES"
    enum = {n: i for i, n in enumerate(names[:-1])}
    expected = {("bool" if n == "FI_BOOL" else n[3:].lower()): code for n, code in enum.items()}
    assert expected == _kernels.DTYPE_CODES
    assert {np.dtype(k): v for k, v in expected.items()} == kernels.FI_DTYPE_CODES
    for name, code in expected.items():  # every code names a dtype numpy has, same width
        assert (
            np.dtype(name).itemsize
            == {0: 1, 1: 1, 2: 2, 3: 4, 4: 8, 5: 1, 6: 2, 7: 4, 8: 8, 9: 2, 10: 4, 11: 8}[code]
        )


def test_capsule_signatures_are_the_c_prototypes():
    # the cdef api wrappers (and the .pxd they call through) restate the header; a
    # drifted type (int for int64_t, a lost pointer) shows up here
    capi = {n: _capsule_name(c) for n, c in _kernels.__pyx_capi__.items()}
    assert capi and all(n.startswith("fastiter_") for n in capi), sorted(capi)
    for name, sig in sorted(capi.items()):
        assert sig == _header_prototype(name[len("fastiter_") :]), name
