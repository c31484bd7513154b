"""Early termination, workspace shield, reconstruction, multiple epochs and the adapters."""

import doctest

import numpy as np
import pytest

import fastiter
from fastiter import (
    ArrayDataSetIterator,
    DataSet,
    EarlyTerminationDataSetIterator,
    EarlyTerminationMultiDataSetIterator,
    MultiDataSet,
    MultiDataSetIteratorAdapter,
    MultiDataSetWrapperIterator,
    MultipleEpochsIterator,
    NoSuchElementError,
    ReconstructionDataSetIterator,
    WorkspacesShieldDataSetIterator,
)
from fastiter.dataset import order
from fastiter.iterators import adapters, epochs, splitter, wrappers


class Counter:
    """A pre-processor that counts its calls and adds 1 to the features."""

    def __init__(self):
        self.calls = 0

    def pre_process(self, ds):
        self.calls += 1
        feats = ds.features if isinstance(ds, DataSet) else ds.features[0]
        feats += 1


def counting(n, batch=1, labels=True):
    x = np.arange(n, dtype=np.float64)[:, None]
    return ArrayDataSetIterator(x, -x if labels else None, batch)


def firsts(batches):
    return [float(ds.features[0, 0]) for ds in batches]


@pytest.mark.parametrize("module", [order, adapters, epochs, splitter, wrappers])
def test_doctests(module):
    res = doctest.testmod(module, extraglobs={"np": np}, optionflags=doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0


# --- early termination ----------------------------------------------------------------
def test_early_termination_stops_and_resets():
    it = EarlyTerminationDataSetIterator(counting(10), 3)
    assert firsts(it) == [0, 1, 2]
    with pytest.raises(NoSuchElementError):
        it.next()
    it.reset()
    assert firsts(it) == [0, 1, 2]
    assert len(it) == 3
    assert len(EarlyTerminationDataSetIterator(counting(2), 5)) == 2
    assert firsts(EarlyTerminationDataSetIterator(counting(2), 5)) == [0, 1]


def test_early_termination_next_num_counts_as_one():
    base = ArrayDataSetIterator(np.ones((10, 1)), None, 2)
    it = EarlyTerminationDataSetIterator(base, 2)
    it.next(2)
    it.next(2)
    assert not it.has_next()


def test_early_termination_validates():
    with pytest.raises(ValueError, match="termination_point must be >= 1"):
        EarlyTerminationDataSetIterator(counting(3), 0)
    with pytest.raises(TypeError, match="base must be a DataSetIterator"):
        EarlyTerminationDataSetIterator([1, 2], 2)
    with pytest.raises(TypeError, match="base must be a MultiDataSetIterator"):
        EarlyTerminationMultiDataSetIterator(counting(3), 2)


def test_early_termination_forwards_pre_processor_once():
    base, pp = counting(5), Counter()
    it = EarlyTerminationDataSetIterator(base, 2)
    it.pre_processor = pp
    assert base.pre_processor is pp
    assert firsts(it) == [1, 2] and pp.calls == 2
    assert float(it.batch_at(1).features[0, 0]) == 2  # random access follows the base
    with pytest.raises(IndexError):
        it.batch_at(2)  # past the termination point


def test_early_termination_multi():
    it = EarlyTerminationMultiDataSetIterator(MultiDataSetIteratorAdapter(counting(5)), 4)
    assert [float(m.features[0][0, 0]) for m in it] == [0, 1, 2, 3]


# --- workspace shield -----------------------------------------------------------------
def test_workspace_shield_copies():
    class Reusing(ArrayDataSetIterator):
        buf = np.zeros((1, 1))

        def _next_batch(self, num):
            ds = super()._next_batch(num)
            self.buf[...] = ds.features
            return DataSet(self.buf, None)

    raw = list(Reusing(np.arange(3.0)[:, None], None, 1))
    assert firsts(raw) == [2, 2, 2]  # every batch aliases the reused buffer
    it = WorkspacesShieldDataSetIterator(Reusing(np.arange(3.0)[:, None], None, 1))
    assert firsts(it) == [0, 1, 2]
    assert it.reset_supported() and it.async_supported()


# --- reconstruction ---------------------------------------------------------------------
def test_reconstruction_labels_equal_features_and_preprocess_once():
    it = ReconstructionDataSetIterator(counting(4, 2))
    pp = Counter()
    it.pre_processor = pp
    out = list(it)
    assert pp.calls == 2
    for ds, lo in zip(out, (0, 2)):
        np.testing.assert_array_equal(ds.features[:, 0], [lo + 1, lo + 2])
        np.testing.assert_array_equal(ds.labels[:, 0], [lo, lo + 1])  # copy taken before
    assert it.total_outcomes() == 1


def test_reconstruction_copies_features_mask():
    x = np.ones((2, 3, 4))
    m = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], np.float32)
    ds = ReconstructionDataSetIterator(ArrayDataSetIterator(x, None, 2, features_mask=m)).next()
    np.testing.assert_array_equal(ds.labels, x)
    np.testing.assert_array_equal(ds.labels_mask, m)
    assert ds.labels is not ds.features


# --- multiple epochs --------------------------------------------------------------------
def test_multiple_epochs_over_iterator_both_argument_orders():
    for it in (
        MultipleEpochsIterator(counting(3, 2), 3),
        MultipleEpochsIterator(3, counting(3, 2)),
    ):
        assert firsts(it) == [0, 2] * 3
        assert len(it) == 6
        it.reset()
        assert firsts(it) == [0, 2] * 3


def test_multiple_epochs_over_dataset():
    ds = DataSet(np.arange(5.0)[:, None], np.zeros((5, 1)))
    assert [len(b) for b in MultipleEpochsIterator(ds, 2)] == [5, 5]
    assert firsts(MultipleEpochsIterator(ds, 2, batch_size=2)) == [0, 2, 4] * 2


def test_multiple_epochs_validates():
    class OneShot(ArrayDataSetIterator):
        def reset_supported(self):
            return False

    with pytest.raises(ValueError, match="needs a base that can reset"):
        MultipleEpochsIterator(OneShot(np.ones((2, 1)), None, 1), 2)
    with pytest.raises(ValueError, match="num_epochs must be >= 1"):
        MultipleEpochsIterator(counting(2), 0)
    with pytest.raises(TypeError, match="DataSetIterator or a DataSet"):
        MultipleEpochsIterator("x", 2)


def test_multiple_epochs_pre_processor_once_per_batch():
    pp = Counter()
    it = MultipleEpochsIterator(counting(2), 2)
    it.pre_processor = pp
    assert firsts(it) == [1, 2, 1, 2] and pp.calls == 4


# --- adapters ---------------------------------------------------------------------------
def test_adapter_round_trip_keeps_masks():
    x = np.random.default_rng(0).random((4, 2, 3))
    m = np.ones((4, 3), np.float32)
    m[0, 2] = 0
    base = ArrayDataSetIterator(x, x[:, :1], 2, features_mask=m, labels_mask=m)
    back = list(MultiDataSetWrapperIterator(MultiDataSetIteratorAdapter(base)))
    base.reset()
    assert back == list(base)


def test_wrapper_rejects_two_inputs_and_fills_missing_labels():
    class Two(fastiter.MultiDataSetIterator):
        def __init__(self, mds):
            super().__init__()
            self.mds, self.done = mds, False

        def has_next(self):
            return not self.done

        def _next_batch(self, num):
            self.done = True
            return self.mds

    bad = MultiDataSetWrapperIterator(Two(MultiDataSet([np.ones((2, 1)), np.ones((2, 1))])))
    with pytest.raises(ValueError, match="one features array"):
        bad.next()
    ds = MultiDataSetWrapperIterator(Two(MultiDataSet([np.ones((2, 3))]))).next()
    np.testing.assert_array_equal(ds.labels, np.ones((2, 3)))


def test_adapter_pre_processor_applied_once():
    pp = Counter()
    it = MultiDataSetIteratorAdapter(counting(3))
    it.pre_processor = pp
    assert [float(m.features[0][0, 0]) for m in it] == [1, 2, 3] and pp.calls == 3


# --- resume -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make,k,epochs",
    [
        (lambda: EarlyTerminationDataSetIterator(counting(10, 2), 4), 2, 2),
        (
            lambda: EarlyTerminationMultiDataSetIterator(
                MultiDataSetIteratorAdapter(counting(10, 2)), 3
            ),
            1,
            2,
        ),
        (lambda: WorkspacesShieldDataSetIterator(counting(5, 2)), 1, 2),
        (lambda: ReconstructionDataSetIterator(counting(5, 2)), 2, 2),
        (lambda: MultipleEpochsIterator(counting(5, 2), 3), 4, 2),
        (lambda: MultipleEpochsIterator(DataSet(np.arange(5.0)[:, None]), 3, batch_size=2), 5, 2),
        (lambda: MultiDataSetIteratorAdapter(counting(5, 2)), 2, 2),
        (lambda: MultiDataSetWrapperIterator(MultiDataSetIteratorAdapter(counting(5, 2))), 1, 2),
    ],
    ids=[
        "early",
        "early-multi",
        "shield",
        "reconstruction",
        "epochs",
        "epochs-ds",
        "adapter",
        "wrapper",
    ],
)
def test_resume(resumes, make, k, epochs):
    resumes(make, k, epochs)


def test_resume_with_shuffled_base(resumes):
    resumes(
        lambda: EarlyTerminationDataSetIterator(
            ArrayDataSetIterator(np.arange(20.0)[:, None], None, 3, shuffle=True, seed=9), 5
        ),
        3,
        3,
    )


def test_load_state_of_other_type_raises():
    state = EarlyTerminationDataSetIterator(counting(3), 2).state_dict()
    with pytest.raises(ValueError, match="not a ReconstructionDataSetIterator"):
        ReconstructionDataSetIterator(counting(3)).load_state_dict(state)


def test_own_pre_processor_never_changes_data_the_base_keeps():
    from fastiter import JointMultiDataSetIterator, ViewIterator

    src = DataSet(np.arange(4.0)[:, None], np.zeros((4, 1)))
    before = src.copy()
    makers = [
        lambda: MultipleEpochsIterator(src, 2, batch_size=2),
        lambda: ReconstructionDataSetIterator(ViewIterator(src, 2)),
        lambda: MultiDataSetIteratorAdapter(ViewIterator(src, 2)),
        lambda: MultiDataSetWrapperIterator(MultiDataSetIteratorAdapter(ViewIterator(src, 2))),
        lambda: JointMultiDataSetIterator(-1, ViewIterator(src, 2)),
    ]
    for make in makers:
        it = make()
        it.pre_processor = Counter()
        first = list(it)
        second = list(it)
        assert first == second  # each epoch processed once, from unchanged data
        assert src == before, make
