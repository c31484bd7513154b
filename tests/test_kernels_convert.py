"""gather_scaled (the fused uint8 gather + float conversion) against tests/reference.py."""

from __future__ import annotations

import numpy as np
import pytest
import reference
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fastiter import kernels

FLOATS = [np.float32, np.float64]
SCALES = st.sampled_from([1.0, 1 / 255, 0.5, -3.25, 1e-3, 0.0])
THRESHOLDS = st.one_of(st.none(), st.integers(0, 255))


@given(data=st.data(), dt=st.sampled_from(FLOATS), scale=SCALES, threshold=THRESHOLDS)
def test_gather_scaled_matches_reference(data, dt, scale, threshold):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=40))
    src = data.draw(hnp.arrays(np.uint8, shape))
    idx = data.draw(st.lists(st.integers(0, shape[0] - 1), max_size=12)) if shape[0] else []
    got = kernels.gather_scaled(src, np.array(idx, np.int64), scale, threshold=threshold, dtype=dt)
    want = reference.gather_scaled(src, idx, scale, threshold, dt)
    assert got.shape == want.shape and got.dtype == dt and got.flags.c_contiguous
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dt", FLOATS)
@pytest.mark.parametrize("threshold", [None, 30])
def test_large_batch_split_across_the_pool_matches_reference(dt, threshold, rng):
    src = rng.integers(0, 256, (3000, 28, 28), dtype=np.uint8)  # every byte value
    idx = rng.permutation(3000)[:2500]  # many 64 KiB chunks
    got = kernels.gather_scaled(src, idx, 1 / 255, threshold=threshold, dtype=dt)
    np.testing.assert_array_equal(got, reference.gather_scaled(src, idx, 1 / 255, threshold, dt))


def test_every_pixel_value_scales_as_one_float32_multiply():
    src = np.arange(256, dtype=np.uint8).reshape(1, 256)
    got = kernels.gather_scaled(src, [0], 1 / 255)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got[0], np.arange(256, dtype=np.float32) * np.float32(1 / 255))
    assert got[0, 255] == 1.0 and got[0, 0] == 0.0


def test_threshold_is_strictly_greater_as_dl4j_binarize():
    src = np.array([[0, 29, 30, 31, 255]], np.uint8)
    assert kernels.gather_scaled(src, [0], threshold=30).tolist() == [[0, 0, 0, 1, 1]]
    assert kernels.gather_scaled(src, [0], 2.0, threshold=0).tolist() == [[0, 2, 2, 2, 2]]
    assert kernels.gather_scaled(src, [0], threshold=255).tolist() == [[0] * 5]


def test_indices_none_converts_all_rows_and_strided_sources(rng):
    base = rng.integers(0, 256, (10, 12), dtype=np.uint8)
    for src in (base, base[::2], base[:, 3:9], base[::-1], np.asfortranarray(base)):
        np.testing.assert_array_equal(
            kernels.gather_scaled(src, None, 0.5), reference.gather_scaled(src, None, 0.5)
        )
        idx = rng.integers(0, src.shape[0], 7).astype(np.int32)
        np.testing.assert_array_equal(
            kernels.gather_scaled(src, idx, 0.5, dtype=np.float64),
            reference.gather_scaled(src, idx, 0.5, None, np.float64),
        )


def test_out_reused_and_checked():
    src = np.array([[1, 2], [3, 4]], np.uint8)
    out = np.full((3, 2), -1.0, np.float32)
    assert kernels.gather_scaled(src, [1, 0, 1], 2.0, out=out) is out
    assert out.tolist() == [[6, 8], [2, 4], [6, 8]]
    with pytest.raises(ValueError, match="out must have shape"):
        kernels.gather_scaled(src, [0], out=np.empty((2, 2), np.float32))
    with pytest.raises(ValueError, match="dtype float64"):
        kernels.gather_scaled(src, [0], dtype=np.float64, out=np.empty((1, 2), np.float32))


@pytest.mark.parametrize("bad,pos", [(-1, 2), (4, 2), (2**40, 2)])
def test_bad_index_names_position_and_writes_nothing(bad, pos):
    src = np.arange(8, dtype=np.uint8).reshape(4, 2)
    out = np.full((3, 2), 7.0, np.float32)
    with pytest.raises(IndexError, match=rf"indices\[{pos}\] = {bad} is out of range .* 4 rows"):
        kernels.gather_scaled(src, np.array([0, 1, bad]), out=out)
    assert (out == 7.0).all()


def test_rejects_bad_arguments():
    u8 = np.ones((3, 2), np.uint8)
    with pytest.raises(TypeError, match="source must be a uint8 array.*float64"):
        kernels.gather_scaled(np.ones((3, 2)), [0])
    with pytest.raises(TypeError, match="dtype must be float32 or float64, got int32"):
        kernels.gather_scaled(u8, [0], dtype=np.int32)
    with pytest.raises(ValueError, match=r"threshold must be in \[0, 255\].*got 256"):
        kernels.gather_scaled(u8, [0], threshold=256)
    with pytest.raises(TypeError, match="threshold must be an integer"):
        kernels.gather_scaled(u8, [0], threshold=0.5)
    with pytest.raises(TypeError, match="scale must be a real number"):
        kernels.gather_scaled(u8, [0], scale="1")
    with pytest.raises(ValueError, match="scale must be finite"):
        kernels.gather_scaled(u8, [0], scale=float("nan"))
    with pytest.raises(TypeError, match="1-D integer"):
        kernels.gather_scaled(u8, [[0]])
    with pytest.raises(IndexError, match="0 rows"):
        kernels.gather_scaled(np.ones((0, 2), np.uint8), [0])


def test_empty_batch_and_numpy_scalar_scale():
    src = np.ones((3, 4), np.uint8)
    assert kernels.gather_scaled(src, np.array([], np.int64)).shape == (0, 4)
    got = kernels.gather_scaled(src, np.array([2]), np.float32(0.25))
    assert got.tolist() == [[0.25] * 4]


def test_njit_code_calls_the_fused_kernel(rng):
    pytest.importorskip("numba")
    from fastiter import jit as fjit

    c_gather_scaled = fjit.native("gather_scaled_u8")

    @fjit.jit_native
    def batch(src, idx, out, bad):
        return c_gather_scaled(
            src.ctypes,
            src.shape[0],
            src.strides[0],
            src.shape[1],
            idx.ctypes,
            idx.size,
            1.0,
            30,
            out.ctypes,
            fjit.FI_FLOAT64,
            bad.ctypes,
        )

    src = rng.integers(0, 256, (20, 9), dtype=np.uint8)
    out = np.empty((3, 9))
    bad = np.full(1, -1, np.int64)
    assert batch(src, np.array([4, 0, 19]), out, bad) == 0
    np.testing.assert_array_equal(
        out, reference.gather_scaled(src, [4, 0, 19], 1.0, 30, np.float64)
    )
    assert batch(src, np.array([4, 20, 1]), out, bad) == -2 and bad[0] == 1  # FI_ERANGE


# --- gather_scaled_labeled: features and label rows of one batch in one call ------------
@given(
    data=st.data(),
    dt=st.sampled_from(FLOATS),
    scale=SCALES,
    threshold=THRESHOLDS,
    label_dt=st.sampled_from([np.float32, np.float64, np.int8, np.uint8]),
)
def test_gather_scaled_labeled_matches_reference(data, dt, scale, threshold, label_dt):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=20))
    src = data.draw(hnp.arrays(np.uint8, shape))
    table = data.draw(
        hnp.arrays(
            label_dt,
            (shape[0], data.draw(st.integers(0, 5))),
            elements=st.integers(-3, 3) if label_dt != np.uint8 else st.integers(0, 3),
        )
    )
    idx = np.array(data.draw(st.lists(st.integers(0, shape[0] - 1), max_size=12)), np.int64)
    x, y = kernels.gather_scaled_labeled(src, idx, table, scale, threshold=threshold, dtype=dt)
    np.testing.assert_array_equal(x, reference.gather_scaled(src, idx, scale, threshold, dt))
    assert x.dtype == dt and x.shape == (len(idx),) + shape[1:]
    np.testing.assert_array_equal(y, table[idx])
    assert y.dtype == table.dtype and y.flags.c_contiguous and x.flags.c_contiguous


def test_gather_scaled_labeled_reshapes_and_accepts_other_layouts(rng):
    src = rng.integers(0, 256, (50, 784), dtype=np.uint8)
    ids = rng.integers(0, 10, 50)
    table = kernels.one_hot(ids, 10)
    idx = rng.permutation(50)[:17]
    x, y = kernels.gather_scaled_labeled(src, idx, table, 1 / 255, shape=(1, 28, 28))
    assert x.shape == (17, 1, 28, 28)
    np.testing.assert_array_equal(
        x.reshape(17, 784), reference.gather_scaled(src, idx, 1 / 255, None, np.float32)
    )
    np.testing.assert_array_equal(y.argmax(1), ids[idx])
    x2, y2 = kernels.gather_scaled_labeled(
        np.asfortranarray(src), idx.tolist(), table, 1 / 255, shape=[1, 28, 28]
    )
    np.testing.assert_array_equal(x2, x)
    np.testing.assert_array_equal(y2, y)


@pytest.mark.parametrize("bad, pos", [([0, 5], 1), ([-1, 0], 0), ([2, 1, 99], 2)])
def test_gather_scaled_labeled_bad_index_names_position(bad, pos):
    src = np.zeros((5, 3), np.uint8)
    with pytest.raises(IndexError, match=rf"indices\[{pos}\]"):
        kernels.gather_scaled_labeled(src, np.array(bad), np.eye(5, dtype=np.float32))


def test_gather_scaled_labeled_rejects_bad_arguments():
    src, table = np.zeros((4, 6), np.uint8), np.zeros((4, 2), np.float32)
    with pytest.raises(TypeError, match="uint8"):
        kernels.gather_scaled_labeled(src.astype(np.int16), [0], table)
    with pytest.raises(ValueError, match="one row per source row"):
        kernels.gather_scaled_labeled(src, [0], table[:3])
    for shape in [(5,), (2, 2), (-6,)]:
        with pytest.raises(ValueError, match="row length 6"):
            kernels.gather_scaled_labeled(src, [0], table, shape=shape)
    with pytest.raises(ValueError, match="shape"):  # the fast path's own check
        kernels.gather_scaled_labeled(src, np.array([0]), table, 1.0, shape=(4,))
    with pytest.raises(ValueError, match="threshold"):
        kernels.gather_scaled_labeled(src, [0], table, threshold=256)
    with pytest.raises(TypeError, match="dtype"):
        kernels.gather_scaled_labeled(src, [0], table, dtype=np.int32)
    with pytest.raises(TypeError, match="indices"):
        kernels.gather_scaled_labeled(src, [[0]], table)


def test_gather_scaled_labeled_empty_batch():
    x, y = kernels.gather_scaled_labeled(
        np.ones((3, 4), np.uint8), np.array([], np.int64), np.ones((3, 2), np.float32), 0.5
    )
    assert x.shape == (0, 4) and y.shape == (0, 2)
