"""gather and collate against tests/reference.py."""

from __future__ import annotations

import numpy as np
import pytest
import reference
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fastiter import kernels
from fastiter._core import _kernels

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


class _Sub(np.ndarray):
    pass


def _hot_path_cases(rng):
    """(source, indices, out, takes the hot path) for gather(out=): arrays already in the
    kernel's form, and every way an argument can miss it."""
    src = rng.standard_normal((50, 4, 3)).astype(np.float32)
    idx = rng.integers(0, 50, 9)
    out = np.empty((9, 4, 3), np.float32)
    readonly = np.empty_like(out)
    readonly.flags.writeable = False
    yield src, idx, out, True
    yield src.astype(np.float16), idx, out.astype(np.float16), True
    yield src.astype(np.complex64), idx, out.astype(np.complex64), True
    yield src > 0, idx, np.empty(out.shape, bool), True
    yield src[:, 0, 0].copy(), idx, np.empty(9, np.float32), True  # 1-D rows of one element
    yield src[::2], idx % 25, out, False  # strided source
    yield np.asfortranarray(src), idx, out, False
    yield src, idx.astype(np.int32), out, False
    yield src, idx.astype(">i8"), out, False  # byte-swapped indices
    yield src, idx[::-1], out, False  # negative index stride
    yield src, idx.reshape(3, 3), np.empty((3, 3, 4, 3), np.float32), False
    yield src, idx, out.astype(np.float64), False
    yield src, idx, np.empty((9, 3, 4), np.float32), False
    yield src, idx, np.empty((9, 4, 6), np.float32)[:, :, :3], False
    yield src, idx, readonly, False
    yield src.view(_Sub), idx, out, False  # an ndarray subclass
    yield src.astype(object), idx, out.astype(object), False
    rec = np.zeros(50, [("a", np.int32), ("b", np.float64)])
    yield rec, idx, np.empty(9, rec.dtype), False


def test_gather_hot_path_is_decided_in_one_native_call(rng):
    # kernels.gather(..., out=) on arrays already in the kernel's form makes one native
    # call that checks them (gather_rows): the checks as Python attribute reads took
    # 1.0 us of a 9 us 1024 x 128 float32 batch.  Any other form returns -2 and leaves
    # out untouched, and the general path still gives source[indices].
    for src, idx, out, hot in _hot_path_cases(rng):
        before = out.copy()
        got = _kernels.gather_rows(src, idx, out)
        if hot:
            assert got == -1
            np.testing.assert_array_equal(out, src[idx])
        else:
            assert got == -2, (src.dtype, src.strides, idx.dtype, idx.shape, out.shape)
            np.testing.assert_array_equal(out, before)
            ok_out = out.flags.writeable and out.flags.c_contiguous and out.dtype == src.dtype
            ok_out = ok_out and out.shape == (idx.size, *src.shape[1:]) and idx.ndim == 1
            if ok_out and src.dtype != object:
                assert kernels.gather(src, idx, out=out) is out
                np.testing.assert_array_equal(out, np.asarray(src)[idx])


def test_gather_hot_path_reports_a_bad_index_and_writes_nothing():
    src = np.arange(8.0).reshape(4, 2)
    out = np.full((3, 2), 7.0)
    assert _kernels.gather_rows(src, np.array([0, 4, -1]), out) == 1
    assert (out == 7.0).all()
    assert _kernels.gather_rows(src, np.array([], np.int64), np.empty((0, 2))) == -1
