"""LabelLastTimeStepPreProcessor and the chaining pre-processors."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastiter import ArrayDataSetIterator, DataSet, MultiDataSet
from fastiter.iterators.base import MultiDataSetIterator
from fastiter.preprocessing import (
    CombinedPreProcessor,
    CompositeDataSetPreProcessor,
    CompositeMultiDataSetPreProcessor,
    DummyPreProcessor,
    ImagePreProcessingScaler,
    LabelLastTimeStepPreProcessor,
    MultiNormalizerStandardize,
    NormalizerStandardize,
)


# --- LabelLastTimeStepPreProcessor ----------------------------------------------------
@given(n=st.integers(1, 6), t=st.integers(1, 6), seed=st.integers(0, 2**31))
def test_last_real_step_by_mask(n, t, seed):
    rng = np.random.default_rng(seed)
    labels = rng.normal(size=(n, 3, t))
    mask = rng.integers(0, 2, (n, t))
    mask[np.arange(n), rng.integers(0, t, n)] = 1  # every example has a real step
    ds = DataSet(np.zeros((n, 2, t)), labels.copy(), labels_mask=mask)
    LabelLastTimeStepPreProcessor().pre_process(ds)
    for i in range(n):
        last = max(j for j in range(t) if mask[i, j] > 0)
        np.testing.assert_array_equal(ds.labels[i], labels[i, :, last])
    assert ds.labels.shape == (n, 3) and ds.labels_mask is None


def test_no_mask_takes_final_step():
    labels = np.arange(24.0).reshape(2, 3, 4)
    ds = DataSet(np.zeros((2, 1, 4)), labels)
    LabelLastTimeStepPreProcessor().pre_process(ds)
    np.testing.assert_array_equal(ds.labels, labels[:, :, 3])


def test_entirely_masked_example_raises():
    ds = DataSet(
        np.zeros((2, 1, 3)), np.ones((2, 2, 3)), labels_mask=np.array([[1, 0, 0], [0, 0, 0]])
    )
    with pytest.raises(ValueError, match=r"examples \[1\] are entirely masked"):
        LabelLastTimeStepPreProcessor().pre_process(ds)


@pytest.mark.parametrize("labels", [np.ones((2, 3)), np.ones((2, 1, 2, 2)), None])
def test_rank_other_than_3_raises(labels):
    with pytest.raises(ValueError, match="rank-3"):
        LabelLastTimeStepPreProcessor().pre_process(DataSet(np.ones((2, 3)), labels))


# --- Composite / Combined / Dummy -----------------------------------------------------
class _Record:
    def __init__(self, log, name, empty=False):
        self.log, self.name, self.empty = log, name, empty

    def pre_process(self, ds):
        self.log.append(self.name)
        if self.empty:
            ds.features = ds.labels = ds.features_mask = ds.labels_mask = None


def test_composite_runs_in_order():
    log = []
    chain = CompositeDataSetPreProcessor(_Record(log, "a"), _Record(log, "b"), _Record(log, "c"))
    chain.pre_process(DataSet(np.ones((1, 1))))
    assert log == ["a", "b", "c"]


def test_stop_on_empty():
    log = []
    parts = (_Record(log, "a"), _Record(log, "b", empty=True), _Record(log, "c"))
    CompositeDataSetPreProcessor(*parts, stop_on_empty=True).pre_process(DataSet(np.ones((1, 1))))
    assert log == ["a", "b"]
    log.clear()
    CompositeDataSetPreProcessor(*parts).pre_process(DataSet(np.ones((1, 1))))
    assert log == ["a", "b", "c"]  # DL4J's default keeps going
    log.clear()
    CompositeDataSetPreProcessor(*parts, stop_on_empty=True).pre_process(DataSet())
    assert log == []


def test_combined_builder_and_effect():
    x = np.full((2, 1, 2, 2), 255.0)
    chain = CombinedPreProcessor().add(ImagePreProcessingScaler()).add(DummyPreProcessor())
    it = ArrayDataSetIterator(x, batch_size=1)
    it.pre_processor = chain
    assert all(ds.features.max() == 1.0 for ds in it)
    log = []
    chain2 = CombinedPreProcessor(_Record(log, "b")).add(_Record(log, "a"), index=0)
    chain2.pre_process(DataSet(np.ones((1, 1))))
    assert log == ["a", "b"]


def test_chain_rejects_non_pre_processors():
    with pytest.raises(TypeError, match="#1"):
        CompositeDataSetPreProcessor(DummyPreProcessor(), "not one")
    with pytest.raises(TypeError):
        CombinedPreProcessor().add(42)
    with pytest.raises(TypeError, match="None"):
        CompositeDataSetPreProcessor().pre_process(None)


def test_dummy_changes_nothing():
    ds = DataSet(np.arange(4.0).reshape(2, 2), np.ones((2, 1)))
    before = ds.copy()
    DummyPreProcessor().pre_process(ds)
    assert ds == before


class _ListMultiIterator(MultiDataSetIterator):
    """A minimal resettable MultiDataSetIterator over a list, for fit and pre-processing."""

    def __init__(self, items):
        super().__init__()
        self._items = items

    def has_next(self):
        return self._position < len(self._items)

    def _next_batch(self, num):
        return self._items[self._position].copy()

    def _restart(self):
        pass

    def reset_supported(self):
        return True


def test_multi_normalizer_fits_from_iterator_and_composite_applies():
    rng = np.random.default_rng(4)
    x = rng.normal(7, 2, (20, 3))
    it = _ListMultiIterator([MultiDataSet([x[i : i + 6]]) for i in range(0, 20, 6)])
    it.next()
    norm = MultiNormalizerStandardize()
    norm.fit(it)  # resets first, so all 20 rows count
    np.testing.assert_allclose(norm.get_feature_mean(0), x.mean(0), rtol=1e-6)
    it.pre_processor = CompositeMultiDataSetPreProcessor(norm, DummyPreProcessor())
    out = np.concatenate([m.features[0] for m in it])
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-9)
    np.testing.assert_allclose(out.std(0), 1, rtol=1e-9)


def test_dataset_normalize_hook_name_exists():
    # DataSet.normalize() (another module) imports this exact name lazily.
    from fastiter.preprocessing import NormalizerStandardize as N

    assert N is NormalizerStandardize
