"""Every cdef api entry of fastiter._core._kernels bound from numba, checked against its C
signature and called from @njit code against a numpy reference (tests/reference.py).

Needs the jit extra (numba); skipped without it.
"""

from __future__ import annotations

import ctypes

import numpy as np
import pytest
import reference

from fastiter._core import _kernels

numba = pytest.importorskip("numba")
fjit = pytest.importorskip("fastiter.jit")

# what a C type in a capsule signature must be in ctypes: kind and size in bytes (on
# LP64, ctypes.c_size_t is c_uint64 is c_ulong, so classes cannot be compared by name)
_C_KIND = {
    "int": ("signed", ctypes.sizeof(ctypes.c_int)),
    "double": ("float", 8),
    "int64_t": ("signed", 8),
    "uint64_t": ("unsigned", 8),
    "size_t": ("unsigned", ctypes.sizeof(ctypes.c_size_t)),
}


def _ctypes_kind(ct) -> tuple[str, int]:
    code = ct._type_
    if code == "P":
        return ("pointer", ctypes.sizeof(ct))
    kind = "float" if code in "fd" else "signed" if code.islower() else "unsigned"
    return (kind, ctypes.sizeof(ct))


def _c_kind(c: str) -> tuple[str, int]:
    return ("pointer", ctypes.sizeof(ctypes.c_void_p)) if "*" in c else _C_KIND[c]


def _capsule_name(capsule) -> str:
    get_name = ctypes.PYFUNCTYPE(ctypes.c_char_p, ctypes.py_object)(
        ("PyCapsule_GetName", ctypes.pythonapi)
    )
    return get_name(capsule).decode()


def test_native_signatures_match_every_capi_entry():
    capi = {n[len("fastiter_") :]: _capsule_name(c) for n, c in _kernels.__pyx_capi__.items()}
    assert sorted(fjit.NATIVE_SIGNATURES) == sorted(capi)
    for name, (restype, argtypes) in fjit.NATIVE_SIGNATURES.items():
        ret, _, args = capi[name].partition(" (")
        c_args = [a.strip() for a in args.rstrip(")").split(",")]
        assert _ctypes_kind(restype) == _c_kind(ret), name
        assert len(argtypes) == len(c_args), name
        for i, (ct, c) in enumerate(zip(argtypes, c_args)):
            assert _ctypes_kind(ct) == _c_kind(c), f"{name} argument {i}: {ct.__name__} for {c}"


def test_native_refuses_unknown_c_types():
    with pytest.raises(TypeError, match="'long double'.*_CTYPES"):
        fjit._ctype("long double")


# Each entry called from @njit code; each returns what the test compares with numpy.
SEED, STREAM, FIRST, N = 0x1234_5678_9ABC, 3, 5, 37


def _call_one_hot():
    c = fjit.native("one_hot")

    @fjit.jit_native
    def run(labels, out, bad):
        return c(
            labels.ctypes,
            fjit.FI_INT32,
            labels.size,
            1,
            out.shape[1],
            out.ctypes,
            fjit.FI_FLOAT64,
            bad.ctypes,
        )

    labels = np.array([3, 0, 4, 4, 1], np.int32)
    out, bad = np.full((5, 6), 7.0), np.full(1, -1, np.int64)
    assert run(labels, out, bad) == 0
    np.testing.assert_array_equal(out, reference.one_hot(labels, 6, np.float64))
    labels[2] = 6
    assert run(labels, out, bad) == -2 and bad[0] == 2


def _call_pad_sequences():
    c = fjit.native("pad_sequences")

    @fjit.jit_native
    def run(ptrs, begin, count, start, features, steps, pad, out, mask, one, bad):
        return c(
            ptrs.ctypes,
            begin.ctypes,
            count.ctypes,
            start.ctypes,
            ptrs.size,
            features,
            steps,
            out.itemsize,
            0,
            pad.ctypes,
            out.ctypes,
            mask.ctypes,
            mask.itemsize,
            one.ctypes,
            bad.ctypes,
        )

    rng = np.random.default_rng(1)
    seqs = [rng.standard_normal((n, 3)).astype(np.float32) for n in (4, 1, 6)]
    ptrs = np.array([s.ctypes.data for s in seqs], np.uintp)
    count = np.array([len(s) for s in seqs], np.int64)
    begin, start = np.zeros(3, np.int64), np.zeros(3, np.int64)
    out, mask = np.empty((3, 6, 3), np.float32), np.empty((3, 6), np.float32)
    pad, one, bad = np.array([-1.0], np.float32), np.ones(1, np.float32), np.zeros(1, np.int64)
    assert run(ptrs, begin, count, start, 3, 6, pad, out, mask, one, bad) == 0
    want, want_mask = reference.pad_sequences(seqs, value=-1.0, layout="NTF")
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(mask, want_mask)


def _call_gather():
    c = fjit.native("gather")

    @fjit.jit_native
    def run(src, idx, out, bad):
        return c(
            src.ctypes,
            src.shape[0],
            src.strides[0],
            src.strides[0],
            idx.ctypes,
            idx.size,
            out.ctypes,
            bad.ctypes,
        )

    src = np.arange(40, dtype=np.int16).reshape(10, 4)
    idx, out, bad = np.array([9, 0, 3, 3]), np.empty((4, 4), np.int16), np.zeros(1, np.int64)
    assert run(src, idx, out, bad) == 0
    np.testing.assert_array_equal(out, reference.gather(src, idx))


def _call_collate():
    c = fjit.native("collate")

    @fjit.jit_native
    def run(ptrs, item_bytes, out):
        return c(ptrs.ctypes, ptrs.size, item_bytes, out.ctypes)

    items = [np.full((2, 3), k, np.float64) for k in range(4)]
    ptrs = np.array([a.ctypes.data for a in items], np.uintp)
    out = np.empty((4, 2, 3))
    assert run(ptrs, items[0].nbytes, out) == 0
    np.testing.assert_array_equal(out, reference.collate(items))


def _call_gather_scaled_u8():
    c = fjit.native("gather_scaled_u8")

    @fjit.jit_native
    def run(src, idx, scale, threshold, out, bad):
        return c(
            src.ctypes,
            src.shape[0],
            src.shape[1],
            src.shape[1],
            idx.ctypes,
            idx.size,
            scale,
            threshold,
            out.ctypes,
            fjit.FI_FLOAT32,
            bad.ctypes,
        )

    src = np.arange(60, dtype=np.uint8).reshape(6, 10) * 4
    idx, out, bad = np.array([5, 2, 2, 0]), np.empty((4, 10), np.float32), np.zeros(1, np.int64)
    assert run(src, idx, 1 / 255, -1, out, bad) == 0  # FI_NO_THRESHOLD
    np.testing.assert_array_equal(out, reference.gather_scaled(src, idx, 1 / 255))
    assert run(src, idx, 1.0, 30, out, bad) == 0
    np.testing.assert_array_equal(out, reference.gather_scaled(src, idx, 1.0, threshold=30))


def _call_random_bits():
    c = fjit.native("random_bits")

    @fjit.jit_native
    def run(out):
        return c(SEED, STREAM, FIRST, out.size, out.ctypes)

    out = np.empty(N, np.uint32)
    assert run(out) == 0
    np.testing.assert_array_equal(out, reference.random_bits(SEED, STREAM, FIRST, N))


def _call_random_uniform():
    c = fjit.native("random_uniform")

    @fjit.jit_native
    def run(out, code):
        return c(SEED, STREAM, FIRST, out.size, out.ctypes, code)

    for dt, code in ((np.float32, fjit.FI_FLOAT32), (np.float64, fjit.FI_FLOAT64)):
        out = np.empty(N, dt)
        assert run(out, code) == 0
        np.testing.assert_array_equal(out, reference.random_uniform(SEED, STREAM, FIRST, N, dt))


def _call_random_normal():
    c = fjit.native("random_normal")

    @fjit.jit_native
    def run(out, code):
        return c(SEED, STREAM, FIRST, out.size, out.ctypes, code)

    for dt, code, tol in (
        (np.float32, fjit.FI_FLOAT32, 1e-5),
        (np.float64, fjit.FI_FLOAT64, 1e-12),
    ):
        out = np.empty(N, dt)
        assert run(out, code) == 0
        np.testing.assert_allclose(
            out, reference.random_normal(SEED, STREAM, FIRST, N, dt), rtol=tol, atol=tol
        )


def _call_random_integers():
    c = fjit.native("random_integers")

    @fjit.jit_native
    def run(out, low, rng):
        return c(SEED, STREAM, FIRST, out.size, low, rng, out.ctypes, fjit.FI_INT64)

    out = np.empty(N, np.int64)
    assert run(out, -5, 12) == 0
    np.testing.assert_array_equal(out, reference.random_integers(SEED, STREAM, FIRST, N, -5, 7))


def _call_random_binary():
    c = fjit.native("random_binary")

    @fjit.jit_native
    def run(out, p):
        return c(SEED, STREAM, FIRST, out.size, p, out.ctypes, fjit.FI_FLOAT32)

    out = np.empty(N, np.float32)
    assert run(out, 0.3) == 0
    np.testing.assert_array_equal(out, reference.random_binary(SEED, STREAM, FIRST, N, 0.3))


def _call_random_one_hot():
    c = fjit.native("random_one_hot")

    @fjit.jit_native
    def run(out, k):
        return c(SEED, STREAM, FIRST, out.shape[0], k, out.ctypes, fjit.FI_FLOAT32)

    out = np.full((N, 5), 9.0, np.float32)
    assert run(out, 5) == 0
    classes = (reference.random_bits(SEED, STREAM, FIRST, N).astype(np.uint64) * 5) >> 32
    np.testing.assert_array_equal(out, reference.one_hot(classes.astype(np.int64), 5))


CALLS = {name[len("_call_") :]: fn for name, fn in globals().items() if name.startswith("_call_")}


def test_every_native_entry_has_a_numba_call():
    assert sorted(CALLS) == sorted(fjit.NATIVE_SIGNATURES)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_native_entry_called_from_numba_matches_numpy(name):
    CALLS[name]()
