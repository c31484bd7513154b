"""The Python face of the kernels against tests/reference.py."""

from __future__ import annotations

import numpy as np
import pytest
import reference
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fastiter import kernels

LABEL_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16]
OUT_DTYPES = [np.bool_, np.uint8, np.int32, np.float16, np.float32, np.float64]


@given(
    data=st.data(),
    ldt=st.sampled_from(LABEL_DTYPES),
    odt=st.sampled_from(OUT_DTYPES),
    num_classes=st.integers(1, 40),
)
def test_one_hot_matches_reference(data, ldt, odt, num_classes):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=7))
    labels = data.draw(hnp.arrays(ldt, shape, elements=st.integers(0, num_classes - 1)))
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    got = kernels.one_hot(labels, num_classes, dtype=odt, axis=axis)
    want = reference.one_hot(labels, num_classes, dtype=odt, axis=axis)
    assert got.dtype == np.dtype(odt)
    np.testing.assert_array_equal(got, want)


def test_one_hot_time_series_layout():
    labels = np.array([[0, 1, 2], [2, 2, 0]])
    got = kernels.one_hot(labels, 3, axis=1)
    assert got.shape == (2, 3, 3)
    assert got[1, :, 0].tolist() == [0, 0, 1] and got[1, :, 2].tolist() == [1, 0, 0]


def test_one_hot_out_is_reused_and_overwritten():
    out = np.full((3, 4), 7, np.float32)
    res = kernels.one_hot(np.array([3, 0, 1]), 4, out=out)
    assert res is out
    np.testing.assert_array_equal(out, np.eye(4, dtype=np.float32)[[3, 0, 1]])


@pytest.mark.parametrize("bad,pos", [(-1, "[1, 0]"), (5, "[1, 0]")])
def test_one_hot_bad_label_names_position_and_value(bad, pos):
    labels = np.array([[0, 1], [bad, 2]])
    out = np.full((2, 2, 5), 9.0, np.float32)
    with pytest.raises(ValueError, match=rf"labels\{pos}\ = {bad} is outside \[0, num_classes=5\)"):
        kernels.one_hot(labels, 5, out=out)
    assert (out == 9.0).all()  # nothing written


@pytest.mark.parametrize(
    "kwargs,err",
    [
        (dict(labels=np.array([0.5]), num_classes=2), TypeError),
        (dict(labels=np.array([0]), num_classes=0), ValueError),
        (dict(labels=np.array([0]), num_classes=2, dtype=np.complex64), TypeError),
        (dict(labels=np.array([0]), num_classes=2, axis=3), ValueError),
        (dict(labels=np.array([0]), num_classes=2, out=np.zeros((1, 3), np.float32)), ValueError),
    ],
)
def test_one_hot_rejects_bad_arguments(kwargs, err):
    with pytest.raises(err):
        kernels.one_hot(**kwargs)


@pytest.mark.parametrize("ldt", [">i2", ">i4", ">i8", ">u2", "<i4", ">u1"])
def test_one_hot_accepts_byte_swapped_labels(ldt):
    # labels read from a big-endian file (IDX, HDF5 written on another machine)
    labels = np.array([[0, 2], [1, 0]], dtype=ldt)
    got = kernels.one_hot(labels, 3)
    np.testing.assert_array_equal(got, reference.one_hot(labels.astype(np.int64), 3))


@pytest.mark.parametrize("num_classes", [2**63, 2**62, 2**64 + 1])
def test_one_hot_huge_num_classes_names_num_classes(num_classes):
    with pytest.raises(ValueError, match=rf"num_classes = {num_classes}.*too large"):
        kernels.one_hot(np.array([0, 1]), num_classes)


def test_gather_takes_byte_swapped_indices():
    src = np.arange(12, dtype=np.float32).reshape(6, 2)
    idx = np.array([5, 0, 3], dtype=">i4")
    np.testing.assert_array_equal(kernels.gather(src, idx), src[[5, 0, 3]])


def test_gather_scaled_labeled_byte_swapped_labels_keep_their_values():
    # label rows read from a big-endian file: the values, not the raw bytes, are kept
    px = np.arange(12, dtype=np.uint8).reshape(6, 2)
    labels = np.arange(6, dtype=">i4")
    idx = np.array([5, 0], dtype=">i8")
    x, y = kernels.gather_scaled_labeled(px, idx, labels)
    assert y.tolist() == [5, 0] and y.dtype.isnative
    np.testing.assert_array_equal(x, px[[5, 0]].astype(np.float32))
    _, y = kernels.gather_scaled_labeled(px, np.array([5, 0]), labels, 1.0, shape=(2,))
    assert y.tolist() == [5, 0]


def test_collate_byte_swapped_items():
    items = [np.array([1, 2], ">i4"), np.array([3, 4], ">i4")]
    got = kernels.collate(items)
    assert got.tolist() == [[1, 2], [3, 4]] and got.dtype.isnative
    with pytest.raises(ValueError, match="native byte order"):
        kernels.collate(items, out=np.empty((2, 2), ">i4"))
