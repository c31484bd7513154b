"""DataSet's in-place feature transforms and per-example statistics vs numpy references."""

import numpy as np
import pytest

from fastiter import DataSet


def test_scale_min_and_max_per_feature_column():
    x = np.array([[0.0, 10.0, 3.0], [5.0, 20.0, 3.0], [10.0, 30.0, 3.0]])
    ds = DataSet(x.copy())
    ds.scale_min_and_max(2, 4)
    ref = (x - x.min(0)) / np.where(np.ptp(x, 0) == 0, 1, np.ptp(x, 0)) * 2 + 2
    np.testing.assert_allclose(ds.features, ref)
    assert ds.features[:, 2].tolist() == [2.0, 2.0, 2.0]  # constant column -> min


def test_scale_min_and_max_rank3_uses_dimension1_and_leaves_the_source():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    ds = DataSet(x)
    ds.scale_min_and_max()
    for f in range(3):
        col = x[:, f, :]
        np.testing.assert_allclose(ds.features[:, f, :], (col - col.min()) / np.ptp(col))
    assert ds.features.dtype == np.float32 and x[0, 0, 0] == 0 and x[1, 2, 3] == 23
    with pytest.raises(ValueError, match="min must be <= max, got min=2.0, max=1.0"):
        ds.scale_min_and_max(2, 1)


def test_squish_binarize_multiply_divide():
    x = np.array([[-2.0, 0.0, 0.5, 3.0]])
    ds = DataSet(x.copy())
    ds.squish_to_range(-1, 1)
    assert ds.features.tolist() == [[-1.0, 0.0, 0.5, 1.0]]
    ds = DataSet(x.copy())
    ds.binarize(0.5)
    assert ds.features.tolist() == [[0, 0, 0, 1]] and ds.features.dtype == x.dtype
    ds = DataSet(np.array([[1, 2]], np.uint8))
    ds.multiply_by(1.5)
    assert ds.features.tolist() == [[1.5, 3.0]] and ds.features.dtype == np.float32
    ds.divide_by(3)
    assert ds.features.tolist() == [[0.5, 1.0]]
    with pytest.raises(ValueError, match="divisor must be non-zero"):
        ds.divide_by(0)
    with pytest.raises(TypeError, match="factor must be a real number, got 'x'"):
        ds.multiply_by("x")
    with pytest.raises(ValueError, match="needs features"):
        DataSet(None, np.ones((1, 1))).binarize()


def test_transforms_do_not_write_through_to_the_callers_array():
    x = np.array([[1.0, 2.0]])
    ds = DataSet(x)
    for op in (
        lambda d: d.multiply_by(3),
        lambda d: d.binarize(1.5),
        lambda d: d.squish_to_range(0, 1),
        lambda d: d.scale_min_and_max(),
    ):
        op(ds)
    assert x.tolist() == [[1.0, 2.0]]


def test_example_statistics():
    x = np.random.default_rng(0).normal(size=(4, 3, 5))
    ds = DataSet(x)
    np.testing.assert_allclose(ds.example_sums(), x.reshape(4, -1).sum(1))
    np.testing.assert_allclose(ds.example_maxs(), x.reshape(4, -1).max(1))
    np.testing.assert_allclose(ds.example_means(), x.reshape(4, -1).mean(1))
    assert DataSet(np.array([[1.0, 2.0], [3.0, 5.0]])).example_sums().tolist() == [3.0, 8.0]


def test_normalize_standardizes_each_feature():
    x = np.random.default_rng(1).normal(3.0, 2.0, size=(50, 4))
    ds = DataSet(x.copy())
    ds.normalize()
    np.testing.assert_allclose(ds.features, (x - x.mean(0)) / x.std(0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: (rng.normal(1e4, 3.0, size=(40, 3)).astype(np.float32), None),
        lambda rng: (rng.integers(0, 255, size=(12, 3, 4, 5)).astype(np.uint8), None),
        lambda rng: (
            rng.normal(size=(6, 2, 7)),
            (np.arange(7)[None, :] < rng.integers(1, 8, size=(6, 1))).astype(np.float32),
        ),
        lambda rng: (np.c_[rng.normal(size=9), np.full(9, 4.0)], None),
    ],
    ids=["float32-offset", "uint8-images", "masked-series", "constant-feature"],
)
def test_normalize_gives_the_numbers_of_normalizer_standardize(make):
    from fastiter.preprocessing import NormalizerStandardize

    x, mask = make(np.random.default_rng(7))
    ours = DataSet(x.copy(), features_mask=mask)
    ours.normalize()
    theirs = DataSet(x.copy(), features_mask=mask)
    norm = NormalizerStandardize()
    norm.fit(theirs)
    norm.transform(theirs)
    assert ours.features.dtype == theirs.features.dtype
    np.testing.assert_array_equal(ours.features, theirs.features)


def test_normalize_needs_no_preprocessing_package(monkeypatch):
    import sys

    # None in sys.modules makes any import of fastiter.preprocessing raise ImportError
    monkeypatch.setitem(sys.modules, "fastiter.preprocessing", None)
    x = np.array([[1.0, 10.0], [3.0, 30.0]])
    ds = DataSet(x)
    ds.normalize()
    assert ds.features.tolist() == [[-1.0, -1.0], [1.0, 1.0]]
    assert x.tolist() == [[1.0, 10.0], [3.0, 30.0]]  # the caller's array is not written


def test_normalize_refuses_a_fully_masked_feature_set():
    ds = DataSet(np.ones((2, 1, 3)), features_mask=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="no data was added"):
        ds.normalize()
