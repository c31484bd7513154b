"""gather and collate against tests/reference.py."""

from __future__ import annotations

import numpy as np
import pytest
import reference
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fastiter import kernels

DTYPES = [np.float32, np.float64, np.int8, np.int64, np.uint16, np.bool_, np.complex64]


@given(data=st.data(), dt=st.sampled_from(DTYPES))
def test_gather_matches_reference(data, dt):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=6))
    src = np.arange(int(np.prod(shape))).reshape(shape).astype(dt)
    idx = data.draw(st.lists(st.integers(0, shape[0] - 1), max_size=10)) if shape[0] else []
    got = kernels.gather(src, np.array(idx, np.int64))
    want = src[np.array(idx, np.intp)]
    assert got.shape == want.shape and got.dtype == src.dtype and got.flags.c_contiguous
    np.testing.assert_array_equal(got, want)


def test_gather_strided_sources_and_int32_indices(rng):
    base = rng.standard_normal((20, 8)).astype(np.float32)
    for src in (base[::3], base[:, 1:5], base[::-1], np.asfortranarray(base)):
        idx = rng.integers(0, src.shape[0], 7).astype(np.int32)
        np.testing.assert_array_equal(kernels.gather(src, idx), reference.gather(src, idx))


def test_gather_out_reused():
    src = np.arange(12.0).reshape(4, 3)
    out = np.full((2, 3), -1.0)
    assert kernels.gather(src, [3, 1], out=out) is out
    assert out.tolist() == [[9, 10, 11], [3, 4, 5]]


@pytest.mark.parametrize("bad,pos", [(-1, 2), (4, 2), (100, 2)])
def test_gather_bad_index_names_position_and_writes_nothing(bad, pos):
    src = np.arange(8.0).reshape(4, 2)
    out = np.full((3, 2), 7.0)
    with pytest.raises(IndexError, match=rf"indices\[{pos}\] = {bad} is out of range .* 4 rows"):
        kernels.gather(src, [0, 1, bad], out=out)
    assert (out == 7.0).all()


def test_gather_rejects_bad_arguments():
    with pytest.raises(TypeError, match="1-D integer"):
        kernels.gather(np.ones((3, 2)), [0.5])
    with pytest.raises(ValueError, match="out must have shape"):
        kernels.gather(np.ones((3, 2)), [0], out=np.empty((2, 2)))
    with pytest.raises(IndexError, match="0 rows"):
        kernels.gather(np.ones((0, 2)), [0])


@given(data=st.data(), dt=st.sampled_from(DTYPES), n=st.integers(1, 6))
def test_collate_matches_np_stack(data, dt, n):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    items = [data.draw(hnp.arrays(dt, shape)) for _ in range(n)]
    got = kernels.collate(items)
    np.testing.assert_array_equal(got, reference.collate(items))


def test_collate_converts_lists_and_views_and_checks_shapes():
    base = np.arange(12, dtype=np.int32).reshape(3, 4)
    got = kernels.collate([base[:, 0], [1, 2, 3], base[:, 3]])
    assert got.tolist() == [[0, 4, 8], [1, 2, 3], [3, 7, 11]]
    with pytest.raises(ValueError, match=r"arrays\[1\] has shape \(2,\)"):
        kernels.collate([np.ones(3), np.ones(2)])
    with pytest.raises(ValueError, match="at least one"):
        kernels.collate([])
    out = np.zeros((2, 2), np.float32)
    assert kernels.collate([np.ones(2), np.ones(2)], out=out) is out and out.sum() == 4
