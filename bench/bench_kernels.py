"""Kernel benchmarks: each fastiter case grouped with its peers and its ceiling."""
from __future__ import annotations

import numpy as np
import pytest

from fastiter import kernels

ONE_HOT_CASES = {"1Mx10": (1_000_000, 10), "100kx1000": (100_000, 1000)}


@pytest.fixture(params=list(ONE_HOT_CASES), scope="module")
def one_hot_case(request):
    n, c = ONE_HOT_CASES[request.param]
    labels = np.random.default_rng(1).integers(0, c, n)
    return request.param, labels, c, np.empty((n, c), np.float32)


def test_one_hot_fastiter_out(benchmark, one_hot_case):
    name, labels, c, out = one_hot_case
    benchmark.group = f"one_hot {name}"
    benchmark(kernels.one_hot, labels, c, out=out)
    np.testing.assert_array_equal(out.argmax(1), labels)


def test_one_hot_ceiling_fill(benchmark, one_hot_case):
    name, labels, c, out = one_hot_case
    benchmark.group = f"one_hot {name}"
    benchmark(out.fill, 1.0)


def test_one_hot_numpy_zeros_fancy(benchmark, one_hot_case):
    name, labels, c, _ = one_hot_case
    benchmark.group = f"one_hot {name}"

    def numpy_one_hot():
        o = np.zeros((labels.size, c), np.float32)
        o[np.arange(labels.size), labels] = 1
        return o

    benchmark(numpy_one_hot)
