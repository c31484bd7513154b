"""While producers run, the BLAS and OpenMP pools are shrunk to the CPUs they leave free;
they come back.  Driven through threadpoolctl, so every runtime it knows is covered."""

from __future__ import annotations

import os

import numpy as np
import pytest
from threadpoolctl import ThreadpoolController

from fastiter import ArrayDataSetIterator, AsyncDataSetIterator
from fastiter._cpus import available_cpus
from fastiter.iterators import _blas

np.dot(np.ones((2, 2)), np.ones((2, 2)))  # numpy loads its BLAS lazily on some builds


def _lib(user_api: str):
    libs = ThreadpoolController().select(user_api=user_api).lib_controllers
    return libs[0] if libs else None


@pytest.fixture
def blas():
    lib = _lib("blas")
    if lib is None:
        pytest.skip("no BLAS loaded in this process")
    before = lib.num_threads
    yield lib
    lib.set_num_threads(before)


def _base(n=40):
    x = np.arange(n * 3, dtype=np.float64).reshape(n, 3) + 1
    return ArrayDataSetIterator(x, x[:, :1], batch_size=4)


def cap(producers):
    return max(1, available_cpus() - producers)


@pytest.mark.parametrize("workers", [1, 2])
def test_pool_capped_during_epoch_and_restored(blas, workers):
    blas.set_num_threads(2)  # a pool with room to shrink, whatever this machine has
    seen = []
    with AsyncDataSetIterator(_base(), 4, workers=workers) as it:
        for ds in it:
            seen.append(blas.num_threads)
            assert ds.features.shape == (4, 3)
    assert len(seen) == 10 and set(seen) == {min(2, cap(workers))}
    assert blas.num_threads == 2


def test_nested_pipelines_restore_only_after_last(blas):
    blas.set_num_threads(2)
    a = AsyncDataSetIterator(_base(), 4)
    b = AsyncDataSetIterator(_base(), 4)
    next(iter(a)), next(iter(b))
    assert blas.num_threads == min(2, cap(2))
    a.close()
    assert blas.num_threads == min(2, cap(1))
    b.close()
    assert blas.num_threads == 2


def test_stop_twice_releases_once(blas):
    blas.set_num_threads(2)
    it = AsyncDataSetIterator(_base(), 4)
    next(iter(it))
    it.close()
    it.close()
    assert blas.num_threads == 2 and _blas._state["live"] == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_gets_the_full_pool_back(blas):
    blas.set_num_threads(2)
    with AsyncDataSetIterator(_base(), 4) as it:
        next(iter(it))
        capped = blas.num_threads
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            os.write(w, bytes([blas.num_threads, _blas._state["live"]]))
            os._exit(0)
        os.close(w)
        child = os.read(r, 2)
        os.close(r)
        os.waitpid(pid, 0)
    assert capped == min(2, cap(1))
    assert tuple(child) == (2, 0)
    assert blas.num_threads == 2


def test_cap_can_be_turned_off(blas, monkeypatch):
    blas.set_num_threads(2)
    monkeypatch.setenv("FASTITER_BLAS_CAP", "0")
    with AsyncDataSetIterator(_base(), 4) as it:
        seen = [blas.num_threads for _ in it]
    assert seen and set(seen) == {2} and blas.num_threads == 2


def test_an_openmp_runtime_is_capped_too():
    # issue 17.13: the old /proc/self/maps lookup knew OpenBLAS only; torch brings an
    # OpenMP runtime (libgomp), whose limit is the consumer thread's
    pytest.importorskip("torch")
    omp = _lib("openmp")
    if omp is None:
        pytest.skip("no OpenMP runtime loaded")
    before = omp.num_threads
    omp.set_num_threads(2)
    try:
        seen, apis = [], set()
        with AsyncDataSetIterator(_base(), 4) as it:
            for _ in it:
                seen.append(omp.num_threads)
                apis |= {c["user_api"] for c in _blas.controlled()}
        assert "openmp" in apis and _blas.controlled() == []
        assert set(seen) == {min(2, cap(1))}
        assert omp.num_threads == 2
    finally:
        omp.set_num_threads(before)


class FakeLib:
    """A library controller as threadpoolctl gives them (MKL, BLIS, ...)."""

    def __init__(self, internal_api, user_api, n):
        self.internal_api, self.user_api, self.num_threads = internal_api, user_api, n
        self.calls = []

    def set_num_threads(self, n):
        self.calls.append(n)
        self.num_threads = n

    def info(self):
        return {
            "internal_api": self.internal_api,
            "user_api": self.user_api,
            "num_threads": self.num_threads,
        }


def test_every_library_threadpoolctl_reports_is_capped_and_restored(monkeypatch):
    libs = [
        FakeLib("mkl", "blas", 8),
        FakeLib("blis", "blas", 8),
        FakeLib("openmp", "openmp", 8),
        FakeLib("flexiblas", "blas", 1),
    ]
    monkeypatch.setattr(_blas, "_libraries", lambda: libs)
    monkeypatch.setenv("FASTITER_BLAS_CAP", "1")
    with AsyncDataSetIterator(_base(), 4, workers=2) as it:
        seen = [[lib.num_threads for lib in libs] for _ in it]
    want = min(8, cap(2))
    assert seen and all(s == [want, want, want, 1] for s in seen)
    assert [lib.num_threads for lib in libs] == [8, 8, 8, 1]  # back, never raised above
    assert all(n <= 8 for lib in libs for n in lib.calls)
