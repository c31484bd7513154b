"""Philox random kernels: bits against a from-the-definition reference, invariance of
the bits under thread count / chunking / part fills / SIMD path, and statistics."""

from __future__ import annotations

import numpy as np
import pytest
import reference
from hypothesis import given, settings
from hypothesis import strategies as st

from fastiter import kernels
from fastiter._core import _kernels

KERNELS = {
    "uniform32": lambda n, **k: kernels.random_uniform(n, dtype=np.float32, **k),
    "uniform64": lambda n, **k: kernels.random_uniform(n, dtype=np.float64, **k),
    "normal32": lambda n, **k: kernels.random_normal(n, dtype=np.float32, **k),
    "normal64": lambda n, **k: kernels.random_normal(n, dtype=np.float64, **k),
    "integers": lambda n, **k: kernels.random_integers(n, -5, 1000, dtype=np.int32, **k),
    "binary": lambda n, **k: kernels.random_binary(n, 0.3, dtype=np.uint8, **k),
    "one_hot": lambda n, **k: kernels.random_one_hot(n, 7, dtype=np.float32, **k),
    "bits": lambda n, **k: kernels.random_bits(n, **k),
}


@pytest.mark.parametrize(
    "ctr,key,want",
    [
        ((0, 0, 0, 0), (0, 0), [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]),
        ((2**32 - 1,) * 4, (2**32 - 1,) * 2, [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]),
    ],
)
def test_reference_philox_known_answers(ctr, key, want):
    assert reference.philox4x32_10(ctr, key) == want  # Random123's kat_vectors


@settings(max_examples=30)
@given(
    seed=st.integers(0, 2**64 - 1),
    stream=st.integers(0, 2**64 - 1),
    first=st.integers(0, 2**40),
    n=st.integers(0, 40),
)
def test_bits_uniform_integers_binary_match_reference(seed, stream, first, n):
    kw = dict(seed=seed, stream=stream, start=first)
    np.testing.assert_array_equal(
        kernels.random_bits(n, **kw), reference.random_bits(seed, stream, first, n)
    )
    for dt in (np.float32, np.float64):
        np.testing.assert_array_equal(
            kernels.random_uniform(n, dtype=dt, **kw),
            reference.random_uniform(seed, stream, first, n, dt),
        )
    np.testing.assert_array_equal(
        kernels.random_integers(n, -3, 2**32 - 3, **kw),
        reference.random_integers(seed, stream, first, n, -3, 2**32 - 3),
    )
    np.testing.assert_array_equal(
        kernels.random_binary(n, 0.37, dtype=bool, **kw),
        reference.random_binary(seed, stream, first, n, 0.37),
    )


@settings(max_examples=20)
@given(seed=st.integers(0, 2**64 - 1), first=st.integers(0, 2**30), n=st.integers(0, 30))
def test_normal_matches_float64_box_muller(seed, first, n):
    for dt, tol in ((np.float32, 2e-6), (np.float64, 1e-13)):
        got = kernels.random_normal(n, seed=seed, dtype=dt, start=first, stream=3)
        want = reference.random_normal(seed, 3, first, n, dt)
        np.testing.assert_allclose(got, want, rtol=tol * 10, atol=tol)


def test_one_hot_rows_follow_the_integer_stream():
    oh = kernels.random_one_hot((4, 5), 7, seed=9, dtype=np.int32)
    cls = reference.random_integers(9, 0, 0, 20, 0, 7).reshape(4, 5)
    assert oh.shape == (4, 5, 7)
    np.testing.assert_array_equal(oh.argmax(-1), cls)
    assert (oh.sum(-1) == 1).all()


@pytest.mark.parametrize("name", list(KERNELS))
def test_bit_identical_across_threads_parts_and_simd(name):
    make = KERNELS[name]
    n = 300_001  # odd, and large enough to be split across the pool
    old = kernels.get_num_threads()
    try:
        results = []
        for threads in (1, 2, 4):
            kernels.set_num_threads(threads)
            results.append(make(n, seed=123, stream=5))
        for level in (0, 1, 2):
            _kernels.set_simd_level(level)
            results.append(make(n, seed=123, stream=5))
    finally:
        kernels.set_num_threads(old)
        _kernels.set_simd_level(-1)
    for r in results[1:]:
        assert r.tobytes() == results[0].tobytes()
    for k in (1, 2, 3, 4, 5, 131_071):
        head = make(k, seed=123, stream=5)
        tail = make(n - k, seed=123, stream=5, start=k)
        assert np.concatenate([head, tail]).tobytes() == results[0].tobytes()
    assert make(n, seed=124, stream=5).tobytes() != results[0].tobytes()
    assert make(n, seed=123, stream=6).tobytes() != results[0].tobytes()


def test_uniform_statistics():
    for dt in (np.float32, np.float64):
        u = kernels.random_uniform(4_000_000, seed=2024, dtype=dt).astype(np.float64)
        assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / u.size)
        assert abs(u.var() - 1 / 12) < 1e-3
        assert u.min() >= 0 and u.max() < 1
        counts = np.bincount((u * 100).astype(int), minlength=100)
        chi2 = ((counts - u.size / 100) ** 2 / (u.size / 100)).sum()
        assert chi2 < 160  # 99 dof: p < 1e-5 above 160


def test_normal_statistics():
    for dt in (np.float32, np.float64):
        z = kernels.random_normal(4_000_000, seed=77, dtype=dt).astype(np.float64)
        se = 1 / np.sqrt(z.size)
        assert abs(z.mean()) < 5 * se and abs(z.var() - 1) < 5 * np.sqrt(2) * se
        assert abs((z**3).mean()) < 5 * np.sqrt(15) * se
        assert abs((z**4).mean() - 3) < 5 * np.sqrt(96) * se
        assert abs((np.abs(z) < 1).mean() - 0.682689) < 1e-3


def test_integer_and_binary_statistics():
    x = kernels.random_integers(3_000_000, 10, 20, seed=5)
    counts = np.bincount(x - 10, minlength=10)
    assert x.min() == 10 and x.max() == 19
    chi2 = ((counts - x.size / 10) ** 2 / (x.size / 10)).sum()
    assert chi2 < 40  # 9 dof
    b = kernels.random_binary(3_000_000, 0.2, seed=6, dtype=np.float64)
    assert set(np.unique(b)) <= {0.0, 1.0}
    assert abs(b.mean() - 0.2) < 5 * np.sqrt(0.16 / b.size)
    assert kernels.random_binary(100, 0.0, seed=1).sum() == 0


@pytest.mark.parametrize(
    "call,err,msg",
    [
        (lambda: kernels.random_uniform(3, seed=-1), ValueError, "seed"),
        (lambda: kernels.random_uniform(3, seed=1.5), TypeError, "seed"),
        (lambda: kernels.random_uniform(3, seed=1, dtype=np.int32), TypeError, "dtype"),
        (lambda: kernels.random_uniform((2, -1), seed=1), ValueError, r"shape\[1\]"),
        (lambda: kernels.random_integers(3, 5, 5, seed=1), ValueError, "low < high"),
        (lambda: kernels.random_integers(3, 0, 2**33, seed=1), ValueError, "2\\*\\*32"),
        (lambda: kernels.random_integers(3, 0, 300, seed=1, dtype=np.uint8), ValueError, "fit"),
        (lambda: kernels.random_binary(3, 1.5, seed=1), ValueError, "probability"),
        (lambda: kernels.random_one_hot(3, 0, seed=1), ValueError, "num_classes"),
        (lambda: kernels.random_normal(3, seed=1, out=np.empty(4, np.float32)), ValueError, "out"),
    ],
)
def test_bad_arguments(call, err, msg):
    with pytest.raises(err, match=msg):
        call()
