"""Normalizer benchmarks on 10^6 x 64 float32: streaming fit and in-place transform.

Peers are plain numpy over the whole array (which is not streaming: it needs all the data
in memory at once); the ceiling is a same-size ``np.copyto``.  Fit batches are DataSet
views over the array, so the iterator's own copying is not measured.
"""
from __future__ import annotations

import numpy as np
import pytest

from fastiter import DataSet
from fastiter.preprocessing import NormalizerStandardize

N, F, BATCH = 1_000_000, 64, 16_384


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    x = (5.0 + 3.0 * rng.standard_normal((N, F), dtype=np.float32)).astype(np.float32)
    batches = [DataSet(x[lo:lo + BATCH]) for lo in range(0, N, BATCH)]
    return x, batches


@pytest.fixture(scope="module")
def fitted(data):
    norm = NormalizerStandardize()
    norm.fit(data[1])
    return norm


def test_fit_fastiter_streaming(benchmark, data):
    x, batches = data
    benchmark.group = "normalizer fit 1Mx64 f32"
    norm = NormalizerStandardize()
    benchmark.pedantic(norm.fit, args=(batches,), rounds=3, iterations=1)
    np.testing.assert_allclose(norm.get_mean(), 5.0, atol=0.02)


def test_fit_numpy_whole_array_f64(benchmark, data):
    x, _ = data
    benchmark.group = "normalizer fit 1Mx64 f32"

    def numpy_fit():
        return x.mean(axis=0, dtype=np.float64), x.std(axis=0, dtype=np.float64)

    mean, _ = benchmark.pedantic(numpy_fit, rounds=3, iterations=1)
    np.testing.assert_allclose(mean, 5.0, atol=0.02)


def test_fit_numpy_whole_array_f32(benchmark, data):
    x, _ = data
    benchmark.group = "normalizer fit 1Mx64 f32"
    benchmark.pedantic(lambda: (x.mean(axis=0), x.std(axis=0)), rounds=3, iterations=1)


def test_transform_fastiter_in_place(benchmark, data, fitted):
    x, _ = data
    benchmark.group = "normalizer transform 1Mx64 f32"
    work = x.copy()
    benchmark.pedantic(fitted.transform, args=(work,), rounds=5, iterations=1)
    assert np.isfinite(work[:100]).all()


def test_transform_numpy_in_place(benchmark, data, fitted):
    x, _ = data
    benchmark.group = "normalizer transform 1Mx64 f32"
    work = x.copy()
    mean, std = fitted.get_mean().astype(np.float32), fitted.get_std().astype(np.float32)

    def numpy_transform():
        np.subtract(work, mean, out=work)
        np.divide(work, std, out=work)

    benchmark.pedantic(numpy_transform, rounds=5, iterations=1)


def test_transform_numpy_allocating(benchmark, data, fitted):
    x, _ = data
    benchmark.group = "normalizer transform 1Mx64 f32"
    mean, std = fitted.get_mean().astype(np.float32), fitted.get_std().astype(np.float32)
    benchmark.pedantic(lambda: (x - mean) / std, rounds=5, iterations=1)


def test_transform_ceiling_copyto(benchmark, data):
    x, _ = data
    benchmark.group = "normalizer transform 1Mx64 f32"
    out = np.empty_like(x)
    benchmark.pedantic(np.copyto, args=(out, x), rounds=5, iterations=1)
