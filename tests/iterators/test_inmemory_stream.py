"""ExistingDataSetIterator and the re-batching Iterator(Multi)DataSetIterator."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastiter import (
    DataSet,
    ExistingDataSetIterator,
    IteratorDataSetIterator,
    IteratorMultiDataSetIterator,
    MultiDataSet,
    NoSuchElementError,
    UnsupportedOperationError,
)


def rows(lo, hi):
    x = np.arange(lo, hi, dtype=np.float64)
    return DataSet(x[:, None], x[:, None] * 10, example_metadata=[int(v) for v in x])


def col0(ds):
    return ds.features[:, 0].tolist()


# --- ExistingDataSetIterator --------------------------------------------------------
def test_existing_over_a_list_is_resettable_and_indexable():
    items = [rows(0, 2), rows(2, 5)]
    it = ExistingDataSetIterator(items, labels=["x"])
    assert [col0(b) for b in it] == [[0, 1], [2, 3, 4]]
    assert [col0(b) for b in it] == [[0, 1], [2, 3, 4]]  # __iter__ reset
    assert it.reset_supported() and not it.async_supported() and it.indexable
    assert len(it) == 2 and col0(it.batch_at(1)) == [2, 3, 4]
    assert it.get_labels() == ["x"] and it.input_columns() == 1


def test_existing_over_a_reiterable_that_is_not_a_sequence():
    class Again:
        def __iter__(self):
            return iter([rows(0, 1), rows(1, 3)])

    it = ExistingDataSetIterator(Again())
    assert it.reset_supported() and not it.indexable
    assert [len(b) for b in it] == [1, 2] and [len(b) for b in it] == [1, 2]
    with pytest.raises(TypeError, match="does not know its number of batches"):
        len(it)


def test_existing_over_a_generator_is_one_shot():
    it = ExistingDataSetIterator(rows(i, i + 1) for i in range(3))
    assert not it.reset_supported()
    assert it.input_columns() == 1  # peeks without consuming
    assert [col0(b) for b in it] == [[0], [1], [2]]
    assert list(it) == []  # no reset possible: the epoch is over
    with pytest.raises(UnsupportedOperationError, match="does not support reset"):
        it.reset()
    with pytest.raises(NoSuchElementError):
        it.next()


def test_existing_validates_its_items():
    with pytest.raises(TypeError, match="single DataSet; use ViewIterator"):
        ExistingDataSetIterator(rows(0, 2))
    with pytest.raises(TypeError, match="must be an iterable, got int"):
        ExistingDataSetIterator(5)
    it = ExistingDataSetIterator([rows(0, 1), "oops"])
    it.next()
    with pytest.raises(TypeError, match="iterable item 1 must be a DataSet, got str"):
        it.next()
    with pytest.raises(NotImplementedError, match="next.num. is not supported"):
        ExistingDataSetIterator([rows(0, 1)]).next(1)


def test_existing_one_shot_state_loads_into_a_fresh_stream():
    def stream():
        return (rows(i, i + 1) for i in range(5))

    it = ExistingDataSetIterator(stream())
    it.next(), it.next()
    state = it.state_dict()
    fresh = ExistingDataSetIterator(stream())
    fresh.load_state_dict(state)
    assert [col0(b) for b in fresh] == [col0(b) for b in it] == [[2], [3], [4]]
    with pytest.raises(UnsupportedOperationError, match="fresh iterator"):
        it.load_state_dict(state)


# --- IteratorDataSetIterator --------------------------------------------------------
def test_rebatching_splits_big_items_and_merges_small_ones():
    sizes = [2, 7, 1, 0, 3]  # 13 examples, an empty item in the stream
    bounds = np.cumsum([0] + sizes)
    stream = (rows(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:]))
    it = IteratorDataSetIterator(stream, batch_size=4)
    batches = list(it)
    assert [col0(b) for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12]]
    assert batches[2].example_metadata == [8, 9, 10, 11]
    assert batches[1].labels[:, 0].tolist() == [40, 50, 60, 70]
    assert it.batch() == 4 and not it.reset_supported() and it.async_supported()


def test_rebatching_next_num():
    it = IteratorDataSetIterator(iter([rows(0, 10)]), batch_size=4)
    assert col0(it.next(3)) == [0, 1, 2] and col0(it.next()) == [3, 4, 5, 6]


@given(st.lists(st.integers(0, 9), max_size=8), st.integers(1, 6))
def test_rebatching_property_exact_sizes_and_order(sizes, b):
    bounds = np.cumsum([0] + sizes)
    total = int(bounds[-1])
    it = IteratorDataSetIterator([rows(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:])], b)
    out = list(it)
    assert [len(x) for x in out] == [b] * (total // b) + ([total % b] if total % b else [])
    got = [v for x in out for v in col0(x)]
    assert got == list(range(total))


def test_rebatching_resume_into_a_fresh_stream():
    def make():
        return IteratorDataSetIterator((rows(i, i + 3) for i in range(0, 12, 3)), 5)

    it = make()
    it.next()
    state = it.state_dict()
    rest = [col0(b) for b in it]
    fresh = make()
    fresh.load_state_dict(state)
    assert [col0(b) for b in fresh] == rest == [[5, 6, 7, 8, 9], [10, 11]]


def test_rebatching_multi():
    def mds(lo, hi):
        x = np.arange(lo, hi, dtype=np.float64)[:, None]
        return MultiDataSet([x, x * 2], [x * 3])

    it = IteratorMultiDataSetIterator([mds(0, 3), mds(3, 4), mds(4, 9)], batch_size=4)
    out = list(it)
    assert [b.features[1][:, 0].tolist() for b in out] == [[0, 2, 4, 6], [8, 10, 12, 14], [16]]
    assert not it.async_supported() and not it.reset_supported()
    with pytest.raises(TypeError, match="iterator item 0 must be a MultiDataSet, got DataSet"):
        IteratorMultiDataSetIterator([rows(0, 1)], 1).next()
    with pytest.raises(TypeError, match="batch_size must be an integer >= 1"):
        IteratorMultiDataSetIterator([], 1.5)


def test_rebatching_shapes_come_from_the_next_item_without_consuming_it():
    it = IteratorDataSetIterator(iter([rows(0, 3)]), 2)
    assert it.input_columns() == 1 and it.total_outcomes() == 1
    assert [len(b) for b in it] == [2, 1]
    with pytest.raises(NotImplementedError, match="no batch left"):
        it.input_columns()


def test_rebatching_multi_resume_into_a_fresh_stream():
    def make():
        items = (
            MultiDataSet([np.arange(i, i + 2, dtype=float)[:, None]], []) for i in range(0, 10, 2)
        )
        return IteratorMultiDataSetIterator(items, 3)

    it = make()
    it.next(), it.next()
    state = it.state_dict()
    rest = [b.features[0][:, 0].tolist() for b in it]
    fresh = make()
    fresh.load_state_dict(state)
    assert [b.features[0][:, 0].tolist() for b in fresh] == rest == [[6, 7, 8], [9]]


def test_existing_calls_iter_once_per_epoch():
    class Counting:
        calls = 0

        def __iter__(self):
            Counting.calls += 1
            return iter([rows(0, 1)])

    it = ExistingDataSetIterator(Counting())
    assert Counting.calls == 1
    list(it), list(it)
    assert Counting.calls == 2


class Doubler:
    def pre_process(self, ds):
        ds.features *= 2


@pytest.mark.parametrize("sizes", [[3, 3], [2, 5, 1], [6]])
def test_stream_pre_processor_never_edits_the_items(sizes):
    bounds = np.cumsum([0] + sizes)
    items = [rows(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:])]
    for it in (IteratorDataSetIterator(iter(items), 3), ExistingDataSetIterator(items)):
        it.pre_processor = Doubler()
        got = [v for b in it for v in col0(b)]
        assert got == [2.0 * v for v in range(int(bounds[-1]))]
    assert [v for d in items for v in col0(d)] == list(range(int(bounds[-1])))


def test_rebatching_pads_time_series_of_different_lengths():
    a = DataSet(np.ones((2, 1, 3)), np.ones((2, 1, 3)))
    b = DataSet(np.ones((1, 1, 5)), np.ones((1, 1, 5)))
    first, second, third = IteratorDataSetIterator(iter([a, b, a]), 2)  # 5 examples
    assert first.features_mask is None and first.features.shape == (2, 1, 3)
    assert second.features.shape == (2, 1, 5)
    assert second.features_mask.tolist() == [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]
    assert second.features[1, 0].tolist() == [1, 1, 1, 0, 0]
    assert third.features.shape == (1, 1, 3) and third.features_mask is None
