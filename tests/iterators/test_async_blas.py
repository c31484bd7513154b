"""While producers run, the BLAS pool is shrunk to the cores they leave free; it comes back."""
from __future__ import annotations

import os

import numpy as np
import pytest

from fastiter import ArrayDataSetIterator, AsyncDataSetIterator
from fastiter.iterators import _blas

np.dot(np.ones((2, 2)), np.ones((2, 2)))  # numpy loads its BLAS lazily on some builds


@pytest.fixture
def blas():
    api = _blas._lookup()
    if api is None:
        pytest.skip("no OpenBLAS loaded in this process")
    get, put = api
    before = get()
    yield get, put
    put(before)


def _base(n=40):
    x = np.arange(n * 3, dtype=np.float64).reshape(n, 3) + 1
    return ArrayDataSetIterator(x, x[:, :1], batch_size=4)


@pytest.mark.parametrize("workers", [1, 2])
def test_pool_capped_during_epoch_and_restored(blas, workers):
    get, put = blas
    put(2)  # a pool with room to shrink, whatever this machine has
    seen = []
    with AsyncDataSetIterator(_base(), 4, workers=workers) as it:
        for ds in it:
            seen.append(get())
            assert ds.features.shape == (4, 3)
    cap = max(1, _blas._cores() - workers)
    assert len(seen) == 10 and set(seen) == {min(2, cap)}
    assert get() == 2


def test_nested_pipelines_restore_only_after_last(blas):
    get, put = blas
    put(2)
    a = AsyncDataSetIterator(_base(), 4)
    b = AsyncDataSetIterator(_base(), 4)
    next(iter(a)), next(iter(b))
    capped = get()
    assert capped == min(2, max(1, _blas._cores() - 2))
    a.close()
    assert get() == min(2, max(1, _blas._cores() - 1))
    b.close()
    assert get() == 2


def test_stop_twice_releases_once(blas):
    get, put = blas
    put(2)
    it = AsyncDataSetIterator(_base(), 4)
    next(iter(it))
    it.close()
    it.close()
    assert get() == 2 and _blas._state["live"] == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_gets_the_full_pool_back(blas):
    get, put = blas
    put(2)
    with AsyncDataSetIterator(_base(), 4) as it:
        next(iter(it))
        capped = get()
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            os.write(w, bytes([get(), _blas._state["live"]]))
            os._exit(0)
        os.close(w)
        child = os.read(r, 2)
        os.close(r)
        os.waitpid(pid, 0)
    assert capped == min(2, max(1, _blas._cores() - 1))
    assert tuple(child) == (2, 0)
    assert get() == 2


def test_cap_can_be_turned_off(blas, monkeypatch):
    get, put = blas
    put(2)
    monkeypatch.setenv("FASTITER_BLAS_CAP", "0")
    with AsyncDataSetIterator(_base(), 4) as it:
        seen = [get() for _ in it]
    assert seen and set(seen) == {2} and get() == 2
