"""Multi-input normalizers: per-index statistics, DL4J's global-plus-override hybrid."""

import numpy as np
import pytest

from fastiter import DataSet, MultiDataSet
from fastiter.preprocessing import (
    DistributionStats,
    MinMaxStats,
    MultiNormalizerHybrid,
    MultiNormalizerMinMaxScaler,
    MultiNormalizerStandardize,
)


def _arrays(seed=0, n=30):
    rng = np.random.default_rng(seed)
    return (
        [rng.normal(4, 2, (n, 3)), rng.uniform(-5, 5, (n, 2, 6))],
        [rng.normal(10, 3, (n, 2)), rng.uniform(0, 1, (n, 1))],
    )


def _batches(feats, labs, size, fmasks=None):
    n = feats[0].shape[0]
    for lo in range(0, n, size):
        sl = slice(lo, lo + size)
        yield MultiDataSet(
            [f[sl] for f in feats],
            [y[sl] for y in labs],
            None if fmasks is None else [None if m is None else m[sl] for m in fmasks],
        )


def test_standardize_per_input_streaming():
    feats, labs = _arrays()
    mask = np.ones((30, 6))
    mask[3, 2:] = 0
    norm = MultiNormalizerStandardize()
    norm.fit_label(True)
    norm.fit(list(_batches(feats, labs, 7, [None, mask])))
    np.testing.assert_allclose(norm.get_feature_mean(0), feats[0].mean(0), rtol=1e-6)
    real = np.concatenate([feats[1][i][:, mask[i] != 0].T for i in range(30)])
    np.testing.assert_allclose(norm.get_feature_mean(1), real.mean(0), rtol=1e-6)
    np.testing.assert_allclose(norm.get_feature_std(1), real.std(0), rtol=1e-6)
    np.testing.assert_allclose(norm.get_label_std(0), labs[0].std(0), rtol=1e-6)
    assert norm.num_inputs() == 2 and norm.num_outputs() == 2
    mds = MultiDataSet([f.copy() for f in feats], [y.copy() for y in labs], [None, mask])
    norm.pre_process(mds)
    np.testing.assert_allclose(mds.features[0].mean(0), 0, atol=1e-9)
    assert np.all(mds.features[1][3, :, 2:] == 0)  # padded steps zeroed
    np.testing.assert_allclose(mds.labels[0].std(0), 1, rtol=1e-9)
    norm.revert(mds)
    np.testing.assert_allclose(mds.features[0], feats[0], rtol=1e-12)
    np.testing.assert_allclose(mds.labels[1], labs[1], rtol=1e-12)


def test_labels_untouched_without_fit_label():
    feats, labs = _arrays()
    norm = MultiNormalizerMinMaxScaler(-1, 1)
    norm.fit(MultiDataSet(feats, labs))
    mds = MultiDataSet([f.copy() for f in feats], [y.copy() for y in labs])
    norm.pre_process(mds)
    np.testing.assert_array_equal(mds.labels[0], labs[0])
    np.testing.assert_allclose(mds.features[0].min(0), -1)
    np.testing.assert_allclose(mds.features[0].max(0), 1)
    np.testing.assert_array_equal(norm.get_feature_max(1), feats[1].max(axis=(0, 2)))


def test_hybrid_global_default_with_overrides():
    feats, labs = _arrays()
    norm = (
        MultiNormalizerHybrid()
        .min_max_scale_all_inputs(0, 10)
        .standardize_input(1)
        .standardize_output(1)
    )
    norm.fit(list(_batches(feats, labs, 8)))
    assert isinstance(norm.get_input_stats(0), MinMaxStats)
    assert isinstance(norm.get_input_stats(1), DistributionStats)
    assert isinstance(norm.get_output_stats(1), DistributionStats)
    with pytest.raises(IndexError, match="output 0"):
        norm.get_output_stats(0)  # no global output strategy, no override: not fitted
    mds = MultiDataSet([f.copy() for f in feats], [y.copy() for y in labs])
    norm.pre_process(mds)
    np.testing.assert_allclose(mds.features[0].max(0), 10)
    np.testing.assert_allclose(mds.features[1].mean(axis=(0, 2)), 0, atol=1e-9)
    np.testing.assert_array_equal(mds.labels[0], labs[0])  # left alone
    np.testing.assert_allclose(mds.labels[1].std(0), 1, rtol=1e-9)
    norm.revert(mds)
    for got, want in zip(mds.features + mds.labels, feats + labs):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_hybrid_bad_index():
    with pytest.raises(ValueError, match="index"):
        MultiNormalizerHybrid().standardize_input(-1)


def test_multi_before_fit_and_wrong_type():
    with pytest.raises(RuntimeError, match="not fitted"):
        MultiNormalizerStandardize().pre_process(MultiDataSet([np.ones((2, 2))]))
    norm = MultiNormalizerStandardize()
    norm.fit(MultiDataSet([np.ones((2, 2))]))
    with pytest.raises(TypeError, match="MultiDataSet"):
        norm.pre_process(DataSet(np.ones((2, 2))))


def test_multi_changing_array_count_refused():
    with pytest.raises(ValueError, match="batch 1"):
        MultiNormalizerStandardize().fit(
            [MultiDataSet([np.ones((2, 2))]), MultiDataSet([np.ones((2, 2)), np.ones((2, 2))])]
        )


def test_multi_transform_more_inputs_than_fitted():
    norm = MultiNormalizerStandardize()
    norm.fit(MultiDataSet([np.ones((2, 2))]))
    with pytest.raises(ValueError, match="no fitted statistics"):
        norm.pre_process(MultiDataSet([np.ones((2, 2)), np.ones((2, 2))]))


def test_multi_empty_source():
    with pytest.raises(ValueError, match="empty"):
        MultiNormalizerStandardize().fit([])
