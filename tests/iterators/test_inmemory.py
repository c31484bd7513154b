"""ListDataSetIterator, ViewIterator, the singletons and Doubles/Floats: batches vs numpy."""

import numpy as np
import pytest

from fastiter import (
    DataSet,
    DoublesDataSetIterator,
    FloatsDataSetIterator,
    ListDataSetIterator,
    MultiDataSet,
    SingletonDataSetIterator,
    SingletonMultiDataSetIterator,
    ViewIterator,
)


def col0(ds):
    return ds.features[:, 0].tolist()


def numbered(n, t=None):
    x = np.arange(n, dtype=np.float64)
    feats = x[:, None] if t is None else x[:, None, None] * np.ones((1, 2, t))
    return DataSet(
        feats,
        np.eye(3)[np.arange(n) % 3],
        example_metadata=list(range(n)),
        label_names=["a", "b", "c"],
    )


# --- ListDataSetIterator ------------------------------------------------------------
def test_list_iterator_merges_batch_items_per_next():
    it = ListDataSetIterator(numbered(7).as_list(), batch_size=3)
    batches = list(it)
    assert [col0(b) for b in batches] == [[0, 1, 2], [3, 4, 5], [6]]
    assert batches[1].example_metadata == [3, 4, 5]
    assert (len(it), it.batch(), it.reset_supported(), it.async_supported()) == (3, 3, True, False)
    assert it.get_labels() == ["a", "b", "c"] and it.input_columns() == 1
    assert it.total_outcomes() == 3


def test_list_iterator_default_batch_is_five_and_items_may_hold_several_examples():
    items = numbered(12).batch_by(2)  # 6 items of 2 examples
    it = ListDataSetIterator(items)
    assert [len(b) for b in it] == [10, 2]


def test_list_iterator_merges_time_series_of_different_lengths():
    items = [numbered(1, t=2), numbered(1, t=4)]
    b = ListDataSetIterator(items, 2).next()
    assert b.features.shape == (2, 2, 4)
    assert b.features_mask.tolist() == [[1, 1, 0, 0], [1, 1, 1, 1]]


def test_list_iterator_next_num_and_resume():
    it = ListDataSetIterator(numbered(7).as_list(), batch_size=3)
    assert col0(it.next(2)) == [0, 1] and col0(it.next()) == [2, 3, 4]
    state = it.state_dict()
    again = ListDataSetIterator(numbered(7).as_list(), batch_size=3)
    again.load_state_dict(state)
    assert col0(again.next()) == col0(it.next()) == [5, 6]
    assert not again.has_next()


def test_list_iterator_rejects_non_datasets():
    with pytest.raises(TypeError, match=r"datasets\[1\] must be a DataSet, got int"):
        ListDataSetIterator([numbered(1), 3])
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        ListDataSetIterator([numbered(1)], 0)


# --- ViewIterator -------------------------------------------------------------------
def test_view_iterator_slices_with_masks_and_metadata():
    ds = numbered(5, t=3)
    ds.features_mask = np.tril(np.ones((5, 3)))
    batches = list(ViewIterator(ds, 2))
    assert [b.example_metadata for b in batches] == [[0, 1], [2, 3], [4]]
    assert batches[2].features_mask.tolist() == [[1, 1, 1]]
    np.testing.assert_array_equal(batches[1].features, ds.features[2:4])
    with pytest.raises(NotImplementedError, match="num=None or num == batch size"):
        ViewIterator(ds, 2).next(3)
    with pytest.raises(TypeError, match="dataset must be a DataSet, got ndarray"):
        ViewIterator(np.ones((2, 2)), 1)


# --- singletons ---------------------------------------------------------------------
def test_singleton_gives_one_batch_per_epoch():
    ds = numbered(4)
    it = SingletonDataSetIterator(ds)
    assert [b for b in it] == [ds] and list(it) == [ds]
    assert it.batch() == 4 and len(it) == 1 and not it.has_next()


def test_singleton_multi():
    m = MultiDataSet([np.ones((2, 3))], [np.zeros((2, 1))])
    it = SingletonMultiDataSetIterator(m)
    assert list(it) == [m] and list(it) == [m]
    with pytest.raises(TypeError, match="dataset must be a MultiDataSet"):
        SingletonMultiDataSetIterator(numbered(1))


# --- Doubles / Floats ---------------------------------------------------------------
def pairs(n):
    return [([float(i), -float(i)], [float(i % 2), float(1 - i % 2)]) for i in range(n)]


@pytest.mark.parametrize(
    "cls, dtype", [(DoublesDataSetIterator, np.float64), (FloatsDataSetIterator, np.float32)]
)
def test_pairs_iterators_keep_the_partial_last_batch(cls, dtype):
    it = cls(pairs(7), batch_size=3)
    batches = list(it)
    assert [len(b) for b in batches] == [3, 3, 1]
    assert all(b.features.dtype == dtype and b.labels.dtype == dtype for b in batches)
    feats = np.concatenate([b.features for b in batches])
    np.testing.assert_array_equal(feats, np.array([p[0] for p in pairs(7)], dtype))
    assert it.reset_supported() and it.async_supported() and it.indexable
    assert [len(b) for b in cls(pairs(7), 3, drop_last=True)] == [3, 3]


def test_pairs_iterators_accept_a_generator_and_validate():
    it = DoublesDataSetIterator(((np.ones(2) * i, np.eye(2)[i % 2]) for i in range(4)), 2)
    assert [col0(b) for b in it] == [[0, 1], [2, 3]]
    with pytest.raises(ValueError, match=r"pairs\[2\] has feature shape \(3,\)"):
        DoublesDataSetIterator([([1, 2], [1]), ([1, 2], [1]), ([1, 2, 3], [1])], 2)
    with pytest.raises(TypeError, match=r"pairs\[0\] must be a \(feature, label\) pair"):
        DoublesDataSetIterator([5], 2)
    with pytest.raises(TypeError, match=r"pairs\[0\] feature must have a numeric dtype"):
        FloatsDataSetIterator([(["a"], [1])], 2)
    with pytest.raises(ValueError, match="at least one"):
        FloatsDataSetIterator([], 2)
    with pytest.raises(ValueError, match="batch_size must be >= 1, got -2"):
        FloatsDataSetIterator(pairs(2), -2)


def test_list_iterator_resume_after_many_small_next_num_calls():
    it = ListDataSetIterator(numbered(7).as_list(), batch_size=3)
    for _ in range(5):
        it.next(1)  # 5 batches returned, more than the nominal 3 per epoch
    state = it.state_dict()
    again = ListDataSetIterator(numbered(7).as_list(), batch_size=3)
    again.load_state_dict(state)
    assert again.state_dict() == state
    assert col0(again.next()) == col0(it.next()) == [5, 6]
    with pytest.raises(ValueError, match="cursor must be in"):
        again.load_state_dict({**state, "cursor": 8})
