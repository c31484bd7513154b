"""The numba way in: @njit code calling the C kernels through their cdef api entries."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import reference

from fastiter import jit as fjit
from fastiter import kernels

numba = pytest.importorskip("numba")

c_one_hot = fjit.native("one_hot")
c_uniform = fjit.native("random_uniform")
c_gather = fjit.native("gather")


@fjit.jit_native
def _encode_and_draw(labels, onehot, bad, noise):
    status = c_one_hot(
        labels.ctypes,
        fjit.FI_INT64,
        labels.size,
        1,
        onehot.shape[1],
        onehot.ctypes,
        fjit.FI_FLOAT32,
        bad.ctypes,
    )
    status2 = c_uniform(7, 0, 0, noise.size, noise.ctypes, fjit.FI_FLOAT32)
    return status, status2


@fjit.jit_native
def _gather_rows(src, idx, out, bad):
    return c_gather(
        src.ctypes,
        src.shape[0],
        src.strides[0],
        src.strides[0],
        idx.ctypes,
        idx.size,
        out.ctypes,
        bad.ctypes,
    )


def test_njit_function_calls_the_c_kernels():
    assert isinstance(_encode_and_draw, numba.core.registry.CPUDispatcher)
    assert _encode_and_draw.signatures == []  # nothing compiled before the first call
    labels = np.array([3, 0, 2, 2], np.int64)
    onehot = np.full((4, 5), 9.0, np.float32)
    noise = np.empty(1001, np.float32)
    bad = np.full(1, -1, np.int64)
    assert _encode_and_draw(labels, onehot, bad, noise) == (0, 0)
    assert len(_encode_and_draw.signatures) == 1
    np.testing.assert_array_equal(onehot, reference.one_hot(labels, 5))
    assert noise.tobytes() == kernels.random_uniform(1001, seed=7).tobytes()
    labels[1] = 9
    assert _encode_and_draw(labels, onehot, bad, noise)[0] == -2  # FI_ERANGE
    assert bad[0] == 1


def test_njit_gather_reports_bad_index(rng):
    src = rng.standard_normal((50, 6))
    out = np.empty((3, 6))
    bad = np.full(1, -1, np.int64)
    assert _gather_rows(src, np.array([4, 0, 49]), out, bad) == 0
    np.testing.assert_array_equal(out, src[[4, 0, 49]])
    assert _gather_rows(src, np.array([4, 50, 1]), out, bad) == -2 and bad[0] == 1


def test_native_kernels_also_run_from_plain_python():
    out = np.empty(10, np.float64)
    assert c_uniform(3, 1, 5, 10, out.ctypes, fjit.FI_FLOAT64) == 0
    assert (
        out.tobytes()
        == kernels.random_uniform(10, seed=3, stream=1, start=5, dtype=np.float64).tobytes()
    )
    with pytest.raises(ValueError, match="unknown native kernel"):
        fjit.native("nope")


def test_jit_options_and_switch():
    assert fjit.JIT_OPTIONS["nogil"] and fjit.JIT_OPTIONS["cache"]

    def add(a, b):
        return a + b

    compiled = fjit.jit(add)
    assert compiled(2, 3) == 5 and compiled.py_func is add
    fjit.set_jit_enabled(False)
    try:
        assert fjit.jit(add) is add and fjit.jit()(add) is add
    finally:
        fjit.set_jit_enabled(True)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = (
        "import sys, fastiter, fastiter.jit as j; f = lambda: 1; "
        "print(j.jit_enabled(), j.jit(f) is f, 'numba' in sys.modules)"
    )
    res = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": root, "FASTITER_DISABLE_JIT": "1"},
        timeout=60,
    )
    assert res.stdout.split() == ["False", "True", "False"], res.stderr
