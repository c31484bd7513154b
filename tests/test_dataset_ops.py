"""DataSet selection methods (split, shuffle, batch_by, as_list, sample) and label helpers."""

import numpy as np
import pytest

from fastiter import DataSet, MultiDataSet, SplitTestAndTrain


def onehot(classes, c=3):
    return np.eye(c, dtype=np.float32)[classes]


def labelled(n=6, classes=None):
    classes = list(range(n)) if classes is None else classes
    return DataSet(
        np.arange(n, dtype=np.float64)[:, None] * np.ones((1, 2)),
        onehot([c % 3 for c in classes]),
        example_metadata=[f"m{i}" for i in range(n)],
        label_names=["a", "b", "c"],
    )


def col0(ds):
    return ds.features[:, 0].tolist()


# --- split_test_and_train -----------------------------------------------------------
def test_split_by_count_takes_the_first_n_as_train():
    s = labelled().split_test_and_train(4)
    assert isinstance(s, SplitTestAndTrain)
    assert col0(s.train) == [0, 1, 2, 3] and col0(s.test) == [4, 5]
    assert s.get_train() is s.train and s.get_test() is s.test
    train, test = s
    assert test.example_metadata == ["m4", "m5"] and train.label_names == ["a", "b", "c"]


@pytest.mark.parametrize(
    "n, f, k",
    [(10, 0.7, 7), (3125, 0.7, 2187), (100, 0.29, 29), (10, 0.01, 1), (3, 0.5, 1), (6, 0.99, 5)],
)
def test_split_by_fraction_is_exact_floor_with_at_least_one(n, f, k):
    s = DataSet(np.arange(n, dtype=float)[:, None]).split_test_and_train(f)
    assert len(s.train) == k and len(s.test) == n - k
    assert col0(s.train) == list(range(k))


def test_split_with_seed_shuffles_a_copy_reproducibly():
    ds = labelled(10)
    a, b = ds.split_test_and_train(6, seed=3), ds.split_test_and_train(6, seed=3)
    assert a.train == b.train and a.test == b.test
    assert sorted(col0(a.train) + col0(a.test)) == list(range(10))
    assert col0(a.train) != list(range(6))  # shuffled (fixed seed, checked once)
    assert col0(ds) == list(range(10))  # the source is untouched
    # metadata travels with its rows
    assert [f"m{int(v)}" for v in col0(a.test)] == a.test.example_metadata


@pytest.mark.parametrize(
    "arg, exc, words",
    [
        (6, ValueError, "[1, 5]"),
        (0, ValueError, "got 0"),
        (1.0, ValueError, "(0, 1)"),
        (0.0, ValueError, "(0, 1)"),
        (-0.5, ValueError, "got -0.5"),
        ("3", TypeError, "str"),
        (True, TypeError, "True"),
    ],
)
def test_split_rejects_bad_arguments(arg, exc, words):
    with pytest.raises(exc) as err:
        labelled().split_test_and_train(arg)
    assert "n_or_fraction" in str(err.value) or "fraction" in str(err.value)
    assert words in str(err.value)


def test_split_needs_two_examples():
    with pytest.raises(ValueError, match="at least 2 examples, got 1"):
        DataSet(np.ones((1, 1))).split_test_and_train(0.5)


# --- shuffle ------------------------------------------------------------------------
def test_shuffle_moves_everything_together_and_returns_its_seed():
    ds = DataSet(
        np.arange(8.0)[:, None],
        onehot([0, 1, 2, 0, 1, 2, 0, 1]),
        np.arange(8.0),
        np.arange(8.0) * 10,
        example_metadata=list(range(8)),
    )
    seed = ds.shuffle()
    assert isinstance(seed, int)
    order = [int(v) for v in col0(ds)]
    assert sorted(order) == list(range(8))
    assert ds.example_metadata == order
    assert ds.features_mask.tolist() == order
    assert ds.labels_mask.tolist() == [10 * i for i in order]
    assert np.argmax(ds.labels, 1).tolist() == [i % 3 for i in order]
    again = DataSet(np.arange(8.0)[:, None])
    assert again.shuffle(seed) == seed and col0(again) == order


def test_shuffle_seed_validation():
    with pytest.raises(TypeError, match=r"seed must be an int in \[0, 2\*\*64\), None"):
        labelled().shuffle(1.5)
    with pytest.raises(ValueError, match=r"seed must be an int in \[0, 2\*\*64\), got -1"):
        labelled().shuffle(-1)


# --- batch_by, as_list, sample ------------------------------------------------------
def test_batch_by_and_as_list():
    ds = labelled(5)
    parts = ds.batch_by(2)
    assert [col0(p) for p in parts] == [[0, 1], [2, 3], [4]]
    assert parts[2].example_metadata == ["m4"]
    assert [col0(d) for d in ds.as_list()] == [[i] for i in range(5)]
    for bad, exc in ((0, ValueError), (-1, ValueError), (1.5, TypeError)):
        with pytest.raises(exc, match="n must be"):
            ds.batch_by(bad)


def test_sample_without_replacement_stops_when_used_up():
    ds = labelled(6)
    s = ds.sample(4, seed=2)
    assert len(set(col0(s))) == 4 and s == ds.sample(4, seed=2)
    everything = ds.sample(100, seed=2)
    assert sorted(col0(everything)) == list(range(6))
    with_rep = ds.sample(50, seed=2, with_replacement=True)
    assert len(with_rep) == 50 and len(set(col0(with_rep))) < 50
    assert [f"m{int(v)}" for v in col0(with_rep)] == with_rep.example_metadata
    with pytest.raises(ValueError, match="empty"):
        DataSet().sample(1, seed=0)


# --- label helpers ------------------------------------------------------------------
def test_outcome_and_label_counts():
    ds = DataSet(np.zeros((5, 1)), onehot([2, 0, 2, 2, 0]))
    assert ds[0].outcome() == 2 and ds[1].outcome() == 0
    assert ds.label_counts() == {0: 2, 2: 3}
    with pytest.raises(ValueError, match="1 example, this one has 5"):
        ds.outcome()
    with pytest.raises(ValueError, match=r"shape \[N, C\]"):
        DataSet(np.zeros((2, 1, 3)), np.zeros((2, 2, 3))).label_counts()
    with pytest.raises(ValueError, match="has none"):
        DataSet(np.zeros((2, 1))).label_counts()


def test_filter_by_keeps_order_and_metadata():
    ds = labelled(6, [0, 1, 2, 1, 0, 2])
    f = ds.filter_by([2, 0])
    assert col0(f) == [0, 2, 4, 5] and f.example_metadata == ["m0", "m2", "m4", "m5"]
    assert len(ds) == 6
    with pytest.raises(ValueError, match="class 3 is outside"):
        ds.filter_by([3])
    with pytest.raises(TypeError, match="integer class indices"):
        ds.filter_by([0.5])


def test_filter_and_strip_reencodes_in_the_given_order():
    ds = labelled(6, [0, 1, 2, 1, 0, 2])
    ds.filter_and_strip([2, 1])
    assert col0(ds) == [1, 2, 3, 5]
    assert ds.labels.tolist() == [[0, 1], [1, 0], [0, 1], [1, 0]]
    assert ds.labels.dtype == np.float32 and ds.label_names == ["c", "b"]
    with pytest.raises(ValueError, match="distinct"):
        ds.filter_and_strip([0, 0])


@pytest.mark.parametrize("op", ["filter_by", "filter_and_strip"])
def test_class_filters_on_a_dataset_without_labels_say_so(op):
    # found by mypy: the class list was checked against labels.shape before anything
    # checked that there are labels (an AttributeError on None)
    ds = DataSet(np.ones((3, 2)))
    with pytest.raises(ValueError, match=f"{op} needs labels"):
        getattr(ds, op)([0])


def test_sort_by_label_round_robin_then_rest():
    # counts: class 0 x3, class 1 x1, class 2 x2 -> 0 1 2 | 0 (class 1 ran out) | rest 0, 2
    classes = [2, 0, 0, 1, 2, 0]
    ds = DataSet(np.arange(6.0)[:, None], onehot(classes), example_metadata=list(range(6)))
    ds.sort_by_label()
    assert np.argmax(ds.labels, 1).tolist() == [0, 1, 2, 0, 0, 2]
    # within a class the original order is kept
    assert col0(ds) == [1, 3, 0, 2, 5, 4] and ds.example_metadata == [1, 3, 0, 2, 5, 4]


def test_sort_by_label_with_an_absent_class_groups_by_class():
    ds = DataSet(np.arange(4.0)[:, None], onehot([2, 0, 2, 0]))
    ds.sort_by_label()
    assert np.argmax(ds.labels, 1).tolist() == [0, 0, 2, 2]


def test_to_multi_data_set_and_memory_footprint():
    ds = DataSet(
        np.ones((2, 3), np.float32),
        np.ones((2, 2), np.float64),
        labels_mask=np.ones(2, np.int8),
        example_metadata=["a", "b"],
    )
    m = ds.to_multi_data_set()
    assert isinstance(m, MultiDataSet) and m.features[0] is ds.features
    assert m.features_masks is None and m.labels_masks[0] is ds.labels_mask
    assert m.example_metadata == ["a", "b"]
    assert ds.memory_footprint() == 2 * 3 * 4 + 2 * 2 * 8 + 2
    assert m.memory_footprint() == ds.memory_footprint()


# --- indexing edge cases --------------------------------------------------------------
def test_index_edge_cases():
    ds = labelled(4)
    empty = ds[[]]
    assert len(empty) == 0 and empty.example_metadata == []
    with pytest.raises(IndexError, match=r"1-d array of indices, got an array of shape \(1, 2\)"):
        ds[np.array([[0, 1]])]
    with pytest.raises(IndexError, match="example index -5 is out of range for a DataSet of 4"):
        ds[[0, -5]]
    m = ds.to_multi_data_set()
    with pytest.raises(IndexError, match="out of range for a MultiDataSet of 4 examples"):
        m[7]
    assert m[np.array([False, True, True, False])].example_metadata == ["m1", "m2"]


# --- MultiDataSet selection -------------------------------------------------------------
def multi(n=6):
    x = np.arange(n, dtype=np.float64)[:, None]
    return MultiDataSet(
        [x, x * 2], [x * 3], [None, np.ones((n, 1))], example_metadata=list(range(n))
    )


def test_multidataset_shuffle_sample_and_lists_keep_rows_aligned():
    m = multi()
    seed = m.shuffle()
    order = m.example_metadata
    assert sorted(order) == list(range(6))
    assert m.features[0][:, 0].tolist() == order
    assert m.features[1][:, 0].tolist() == [2 * i for i in order]
    assert m.labels[0][:, 0].tolist() == [3 * i for i in order]
    assert m.features_masks[0] is None and m.features_masks[1].shape == (6, 1)
    again = multi()
    again.shuffle(seed)
    assert again == m and again.example_metadata == order
    s = multi().sample(3, seed=4)
    assert s.labels[0][:, 0].tolist() == [3 * i for i in s.example_metadata]
    assert [x.example_metadata for x in multi(3).as_list()] == [[0], [1], [2]]
    assert multi().get([5, 1]).example_metadata == [5, 1]
    assert [len(p) for p in multi(5).batch_by(2)] == [2, 2, 1]
    assert MultiDataSet.merge([MultiDataSet(), multi(2)]) == multi(2)
    assert MultiDataSet().is_empty() and not multi().is_empty()


@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_index_arrays_gather_like_numpy_for_any_layout(layout):
    base = np.arange(60.0).reshape(6, 10)
    x = {"C": base, "F": np.asfortranarray(base), "strided": base[:, ::2]}[layout]
    ds = DataSet(x, example_metadata=list("abcdef"))
    picked = ds[[-1, 0, 3, -2]]
    np.testing.assert_array_equal(picked.features, x[[5, 0, 3, 4]])
    assert picked.example_metadata == ["f", "a", "d", "e"]
    assert picked.features.flags.c_contiguous or layout != "C"
