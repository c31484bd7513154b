"""NormalizerStandardize / NormalizerMinMaxScaler: DL4J's fit, transform and revert rules."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastiter
from fastiter import ArrayDataSetIterator, DataSet
from fastiter.preprocessing import EPS, NormalizerMinMaxScaler, NormalizerStandardize


def _data(seed=0, n=50, f=4):
    rng = np.random.default_rng(seed)
    return rng.normal(5.0, 3.0, (n, f)), rng.normal(-2.0, 0.5, (n, 2))


def test_eps_is_dl4j_threshold():
    assert EPS == 1e-5


@given(batch=st.integers(1, 60), seed=st.integers(0, 2**31))
def test_streaming_fit_equals_numpy_for_any_batch_size(batch, seed):
    x, y = _data(seed)
    norm = NormalizerStandardize()
    norm.fit(ArrayDataSetIterator(x, y, batch_size=batch))
    np.testing.assert_allclose(norm.get_mean(), x.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(norm.get_std(), x.std(axis=0), rtol=1e-6)


def test_float32_offset_data_fits_within_1e6():
    x = (1e4 + np.random.default_rng(3).standard_normal((10_000, 8))).astype(np.float32)
    norm = NormalizerStandardize()
    norm.fit(ArrayDataSetIterator(x, batch_size=333))
    ref = x.astype(np.float64)
    np.testing.assert_allclose(norm.get_mean(), ref.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(norm.get_std(), ref.std(axis=0), rtol=1e-6)
    ds = DataSet(x.copy())
    norm.pre_process(ds)
    assert ds.features.dtype == np.float32
    np.testing.assert_allclose(ds.features.astype(np.float64).std(axis=0), 1.0, rtol=1e-3)


def test_transform_and_revert_round_trip():
    x, y = _data()
    norm = NormalizerStandardize()
    norm.fit(DataSet(x, y))
    ds = DataSet(x.copy(), y.copy())
    norm.pre_process(ds)
    np.testing.assert_allclose(ds.features, (x - x.mean(0)) / x.std(0), rtol=1e-12)
    np.testing.assert_array_equal(ds.labels, y)  # labels untouched without fit_label
    norm.revert(ds)
    np.testing.assert_allclose(ds.features, x, rtol=1e-12)


def test_pre_process_changes_the_arrays_in_place():
    x, _ = _data()
    norm = NormalizerStandardize()
    norm.fit(DataSet(x))
    arr = x.copy()
    ds = DataSet(arr)
    norm.pre_process(ds)
    assert ds.features is arr
    out = norm.transform(arr)
    assert out is arr


def test_fit_label_fits_and_transforms_labels():
    x, y = _data()
    norm = NormalizerStandardize()
    norm.fit_label(True)
    norm.fit(ArrayDataSetIterator(x, y, batch_size=7))
    np.testing.assert_allclose(norm.get_label_mean(), y.mean(0), rtol=1e-6)
    np.testing.assert_allclose(norm.get_label_std(), y.std(0), rtol=1e-6)
    ds = DataSet(x.copy(), y.copy())
    norm.pre_process(ds)
    np.testing.assert_allclose(ds.labels, (y - y.mean(0)) / y.std(0), rtol=1e-10)
    norm.revert(ds)
    np.testing.assert_allclose(ds.labels, y, rtol=1e-12)


def test_fit_label_without_labels_raises():
    norm = NormalizerStandardize()
    norm.fit_label(True)
    with pytest.raises(ValueError, match="no labels"):
        norm.fit(DataSet(np.ones((3, 2))))


def test_transform_before_fit_raises():
    for norm in (NormalizerStandardize(), NormalizerMinMaxScaler()):
        with pytest.raises(RuntimeError, match="not fitted"):
            norm.pre_process(DataSet(np.ones((2, 2))))
        with pytest.raises(RuntimeError, match="not fitted"):
            norm.transform(np.ones((2, 2)))
        with pytest.raises(RuntimeError, match="not fitted"):
            norm.revert(DataSet(np.ones((2, 2))))


def test_constant_feature_is_neither_nan_nor_crash():
    x = np.column_stack([np.full(10, 7.0), np.arange(10.0)])
    std = NormalizerStandardize()
    std.fit(DataSet(x))
    assert std.get_std()[0] == 1e-5  # population std 0, clamped to DL4J's EPS
    ds = DataSet(x.copy())
    std.pre_process(ds)
    assert np.all(np.isfinite(ds.features)) and np.all(ds.features[:, 0] == 0.0)
    mm = NormalizerMinMaxScaler()
    mm.fit(DataSet(x))
    assert mm.get_max()[0] - mm.get_min()[0] == pytest.approx(1e-5)  # range widened to EPS
    ds = DataSet(x.copy())
    mm.pre_process(ds)
    assert np.all(np.isfinite(ds.features)) and np.all(ds.features[:, 0] == 0.0)


def test_std_is_population_std():
    norm = NormalizerStandardize()
    norm.fit(DataSet(np.array([[1.0], [3.0]])))
    assert norm.get_std().tolist() == [1.0]  # sample std would be sqrt(2)


def test_minmax_maps_fitted_range_to_target():
    x, _ = _data(1)
    norm = NormalizerMinMaxScaler(-2, 3)
    norm.fit(ArrayDataSetIterator(x, batch_size=9))
    np.testing.assert_array_equal(norm.get_min(), x.min(0))
    np.testing.assert_array_equal(norm.get_max(), x.max(0))
    ds = DataSet(x.copy())
    norm.pre_process(ds)
    np.testing.assert_allclose(ds.features.min(0), -2.0, atol=1e-12)
    np.testing.assert_allclose(ds.features.max(0), 3.0, atol=1e-12)
    np.testing.assert_allclose(
        ds.features, (x - x.min(0)) / (x.max(0) - x.min(0)) * 5 - 2, rtol=1e-12
    )
    norm.revert(ds)
    np.testing.assert_allclose(ds.features, x, rtol=1e-12)


@pytest.mark.parametrize("lo, hi", [(1, 1), (2, 0), (0, np.inf)])
def test_minmax_bad_target_range(lo, hi):
    with pytest.raises(ValueError, match="min"):
        NormalizerMinMaxScaler(lo, hi)


@pytest.mark.parametrize("cls", [NormalizerStandardize, NormalizerMinMaxScaler])
def test_rank3_masked_fit_and_zeroed_padding(cls):
    rng = np.random.default_rng(5)
    x = rng.normal(2, 3, (6, 3, 5))
    mask = np.ones((6, 5))
    mask[1, 3:] = 0
    mask[4, 1:] = 0
    x[np.broadcast_to((mask == 0)[:, None, :], x.shape)] = 1e9  # padding garbage
    norm = cls()
    norm.fit(ArrayDataSetIterator(x, batch_size=4, features_mask=mask))
    real = np.concatenate([x[i][:, mask[i] != 0].T for i in range(6)])
    if cls is NormalizerStandardize:
        np.testing.assert_allclose(norm.get_mean(), real.mean(0), rtol=1e-6)
        np.testing.assert_allclose(norm.get_std(), real.std(0), rtol=1e-6)
    else:
        np.testing.assert_array_equal(norm.get_max(), real.max(0))
    ds = DataSet(x.copy(), features_mask=mask)
    norm.pre_process(ds)
    assert np.all(ds.features[1, :, 3:] == 0) and np.all(ds.features[4, :, 1:] == 0)
    assert np.all(np.abs(ds.features) < 10)
    norm.revert(ds)
    assert np.all(ds.features[1, :, 3:] == 0)  # still 0 after revert
    real_steps = np.broadcast_to((mask != 0)[:, None, :], x.shape)
    np.testing.assert_allclose(ds.features[real_steps], x[real_steps], rtol=1e-9)


def test_rank4_per_channel():
    x = np.random.default_rng(2).uniform(0, 255, (4, 3, 5, 5))
    norm = NormalizerStandardize()
    norm.fit(ArrayDataSetIterator(x, batch_size=3))
    np.testing.assert_allclose(norm.get_mean(), x.mean(axis=(0, 2, 3)), rtol=1e-6)
    ds = DataSet(x.copy())
    norm.pre_process(ds)
    np.testing.assert_allclose(ds.features.mean(axis=(0, 2, 3)), 0, atol=1e-9)
    np.testing.assert_allclose(ds.features.std(axis=(0, 2, 3)), 1, rtol=1e-9)


def test_rank5_refused():
    with pytest.raises(ValueError, match="rank 5"):
        NormalizerStandardize().fit(DataSet(np.zeros((1, 1, 1, 1, 1))))


def test_fit_resets_iterator_before_and_after():
    x, _ = _data()
    it = ArrayDataSetIterator(x, batch_size=10)
    it.next()
    it.next()  # half-consumed: fit must still see everything
    norm = NormalizerStandardize()
    norm.fit(it)
    np.testing.assert_allclose(norm.get_mean(), x.mean(0), rtol=1e-6)
    assert it.has_next() and it.next().features[0].tolist() == x[0].tolist()


def test_fit_on_iterator_whose_pre_processor_is_the_normalizer():
    x, _ = _data()
    it = ArrayDataSetIterator(x, batch_size=16)
    norm = NormalizerStandardize()
    it.pre_processor = norm
    norm.fit(it)  # must not run the unfitted normalizer on its own input
    assert it.pre_processor is norm
    out = np.concatenate([ds.features for ds in it])
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-9)


def test_fit_on_list_of_datasets():
    x, _ = _data()
    norm = NormalizerStandardize()
    norm.fit([DataSet(x[:20]), DataSet(x[20:])])
    np.testing.assert_allclose(norm.get_mean(), x.mean(0), rtol=1e-6)


def test_fit_rejects_non_datasets():
    with pytest.raises(TypeError, match="DataSet"):
        NormalizerStandardize().fit(np.ones((3, 3)))
    with pytest.raises(TypeError, match="batch 1"):
        NormalizerStandardize().fit([DataSet(np.ones((2, 2))), "x"])


def test_fit_with_no_data_raises():
    with pytest.raises(ValueError, match="no data"):
        NormalizerStandardize().fit([])
    with pytest.raises(ValueError, match="no data"):
        NormalizerMinMaxScaler().fit(DataSet(np.ones((2, 2, 3)), features_mask=np.zeros((2, 3))))


def test_nan_data_raises_clearly():
    with pytest.raises(ValueError, match="NaN"):
        NormalizerStandardize().fit(DataSet(np.array([[1.0], [np.nan]])))


def test_feature_count_mismatch_at_transform():
    norm = NormalizerStandardize()
    norm.fit(DataSet(np.ones((3, 2))))
    with pytest.raises(ValueError, match="fitted on 2"):
        norm.transform(np.ones((3, 5)))


def test_integer_features_become_float():
    norm = NormalizerMinMaxScaler()
    norm.fit(DataSet(np.array([[0], [10]], dtype=np.uint8)))
    ds = DataSet(np.array([[5], [10]], dtype=np.uint8))
    norm.pre_process(ds)
    assert ds.features.dtype == np.float32 and ds.features.ravel().tolist() == [0.5, 1.0]


def test_known_statistics_constructor():
    norm = NormalizerStandardize(mean=[1.0, 2.0], std=[2.0, 0.0])
    assert norm.get_std().tolist() == [2.0, 1e-5]
    assert norm.transform(np.array([[3.0, 2.0]])).tolist() == [[1.0, 0.0]]
    with pytest.raises(ValueError, match="together"):
        NormalizerStandardize(mean=[1.0])


def test_works_as_iterator_pre_processor_and_top_level_names():
    assert fastiter.NormalizerStandardize is NormalizerStandardize
    assert "NormalizerMinMaxScaler" in fastiter.__all__
    x, _ = _data()
    norm = NormalizerMinMaxScaler()
    norm.fit(DataSet(x))
    it = ArrayDataSetIterator(x, batch_size=8)
    it.pre_processor = norm
    out = np.concatenate([ds.features for ds in it])
    assert out.min() == pytest.approx(0) and out.max() == pytest.approx(1)


def test_failed_fit_restores_iterator_pre_processor():
    x = np.ones((6, 2))
    it = ArrayDataSetIterator(x, batch_size=3)
    norm = NormalizerStandardize()
    norm.fit_label(True)  # the batches have no labels: fit fails part-way
    it.pre_processor = norm
    with pytest.raises(ValueError, match="no labels"):
        norm.fit(it)
    assert it.pre_processor is norm and not norm.is_fit()


def test_nan_and_inf_padding_neither_counts_nor_survives():
    x = np.random.default_rng(8).normal(0, 1, (3, 2, 4))
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1], [1, 0, 0, 0]])
    x[0, :, 2] = np.nan
    x[0, :, 3] = np.inf
    x[2, :, 1:] = -np.inf
    norm = NormalizerStandardize()
    norm.fit(DataSet(x, features_mask=mask))
    assert np.all(np.isfinite(norm.get_mean()))
    ds = DataSet(x.copy(), features_mask=mask)
    norm.pre_process(ds)
    assert np.all(np.isfinite(ds.features))
    assert np.all(ds.features[np.broadcast_to((mask == 0)[:, None, :], x.shape)] == 0)


def test_rank3_labels_fitted_with_label_mask():
    rng = np.random.default_rng(9)
    y = rng.normal(3, 2, (5, 2, 6))
    lmask = (rng.uniform(size=(5, 6)) > 0.3).astype(np.float32)
    lmask[:, 0] = 1
    y[np.broadcast_to((lmask == 0)[:, None, :], y.shape)] = -1e8
    norm = NormalizerMinMaxScaler()
    norm.fit_label(True)
    norm.fit(ArrayDataSetIterator(rng.normal(size=(5, 3)), y, batch_size=2, labels_mask=lmask))
    real = np.concatenate([y[i][:, lmask[i] != 0].T for i in range(5)])
    np.testing.assert_array_equal(norm.get_label_min(), real.min(0))
    np.testing.assert_array_equal(norm.get_label_max(), real.max(0))


@given(batch=st.integers(1, 12), seed=st.integers(0, 2**31))
def test_masked_streaming_fit_through_iterator_equals_numpy(batch, seed):
    rng = np.random.default_rng(seed)
    x = (1e4 + rng.standard_normal((12, 3, 7))).astype(np.float32)
    mask = (rng.uniform(size=(12, 7)) > 0.4).astype(np.float32)
    mask[:, 0] = 1
    norm = NormalizerStandardize()
    norm.fit(ArrayDataSetIterator(x, batch_size=batch, features_mask=mask))
    real = np.concatenate([x[i][:, mask[i] != 0].T for i in range(12)]).astype(np.float64)
    np.testing.assert_allclose(norm.get_mean(), np.mean(real, axis=0), rtol=1e-6)
    np.testing.assert_allclose(norm.get_std(), np.std(real, axis=0), rtol=1e-6)
