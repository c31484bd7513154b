"""DataSet / MultiDataSet construction, validation, selection, merge and equality."""

import numpy as np
import pytest

from fastiter import DataSet, MultiDataSet


def onehot(classes, c):
    return np.eye(c, dtype=np.float32)[classes]


def test_sizes_and_shapes():
    ds = DataSet(np.zeros((4, 3, 5)), onehot([0, 1, 1, 0], 2))
    assert (ds.num_examples(), len(ds), ds.num_inputs(), ds.num_outcomes()) == (4, 4, 3, 2)
    assert DataSet().num_examples() == 0 and DataSet().is_empty()
    assert DataSet(None, np.zeros((3, 2))).num_examples() == 3


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (
            dict(features=np.zeros((4, 2)), labels=np.zeros((3, 2))),
            ["features has 4", "labels has 3"],
        ),
        (
            dict(features=np.zeros((4, 2, 5)), features_mask=np.ones((4, 4))),
            ["features_mask", "(4, 5)", "(4, 4)"],
        ),
        (
            dict(features=np.zeros((4, 2)), labels=np.zeros((4, 2)), labels_mask=np.ones((3,))),
            ["labels_mask has 3", "features has 4"],
        ),
        (dict(features=None, features_mask=np.ones((2, 2))), ["features_mask", "features is None"]),
        (dict(features=np.float64(1.0)), ["features", "scalar"]),
    ],
)
def test_bad_shapes_raise_naming_the_argument(kwargs, words):
    with pytest.raises(ValueError) as err:
        DataSet(**kwargs)
    for w in words:
        assert w in str(err.value)


@pytest.mark.parametrize("name", ["features", "labels", "features_mask", "labels_mask"])
def test_non_numeric_dtype_raises(name):
    arrays = dict(features=np.zeros((2, 3)), labels=np.zeros((2, 2)))
    arrays[name] = np.array(["x", "y"]) if name.endswith("mask") else np.array([["a"]] * 2)
    with pytest.raises(TypeError, match=f"{name} must have a numeric dtype.*<U1"):
        DataSet(**arrays)


def test_metadata_length_checked():
    with pytest.raises(ValueError, match="example_metadata must have one entry per example"):
        DataSet(np.zeros((3, 1)), example_metadata=["a", "b"])


def test_getitem_get_and_range():
    x = np.arange(10.0).reshape(5, 2)
    ds = DataSet(x, onehot([0, 1, 2, 0, 1], 3), example_metadata=list("abcde"))
    assert ds[1].features.tolist() == [[2.0, 3.0]] and ds[-1].example_metadata == ["e"]
    assert ds.get([4, 0]).features[:, 0].tolist() == [8.0, 0.0]
    assert ds.get([4, 0]).example_metadata == ["e", "a"]
    assert ds[np.array([True, False, False, False, True])].example_metadata == ["a", "e"]
    r = ds.get_range(1, 3)
    assert r.features.tolist() == x[1:3].tolist() and r.example_metadata == ["b", "c"]
    with pytest.raises(IndexError, match="5 is out of range"):
        ds.get(5)
    with pytest.raises(IndexError, match="start=3, end=2"):
        ds.get_range(3, 2)
    with pytest.raises(IndexError, match="dtype float"):
        ds[np.array([0.5])]


def test_masks_follow_selection():
    fm = np.array([[1, 1, 0], [1, 0, 0]], np.float32)
    ds = DataSet(np.ones((2, 1, 3)), np.ones((2, 1, 3)), fm, fm * 2)
    assert ds[1].features_mask.tolist() == [[1, 0, 0]]
    assert ds[1].labels_mask.tolist() == [[2, 0, 0]]


def test_copy_is_deep_and_equal():
    ds = DataSet(np.ones((2, 2)), np.zeros((2, 1)), example_metadata=[1, 2], label_names=["x"])
    c = ds.copy()
    assert c == ds and c.example_metadata == [1, 2] and c.label_names == ["x"]
    c.features[0, 0] = 7
    c.example_metadata.append(3)
    assert ds.features[0, 0] == 1 and ds.example_metadata == [1, 2]
    assert c != ds
    assert ds.detach() == ds and ds.detach().features is not ds.features


def test_eq_distinguishes_missing_arrays():
    a = DataSet(np.ones((2, 2)))
    assert a != DataSet(np.ones((2, 2)), np.ones((2, 1)))
    assert a != DataSet(np.ones((2, 3)))
    assert (a == "x") is False


def test_merge_rank2_masks_default_to_ones():
    a = DataSet(np.ones((2, 2)), np.ones((2, 1)), labels_mask=np.array([1.0, 0.0]))
    b = DataSet(np.zeros((1, 2)), np.zeros((1, 1)))
    m = DataSet.merge([a, DataSet(), b])
    assert m.features.tolist() == [[1, 1], [1, 1], [0, 0]]
    assert m.labels_mask.tolist() == [1.0, 0.0, 1.0] and m.features_mask is None


def test_merge_rank3_pads_at_the_end_with_masks():
    a = DataSet(np.full((1, 2, 2), 1.0), np.full((1, 1, 2), 5.0))
    b = DataSet(
        np.full((2, 2, 4), 2.0),
        np.full((2, 1, 4), 6.0),
        labels_mask=np.array([[1, 1, 1, 0], [1, 1, 1, 1]], np.float64),
    )
    m = DataSet.merge([a, b])
    assert m.features.shape == (3, 2, 4)
    assert m.features[0].tolist() == [[1, 1, 0, 0], [1, 1, 0, 0]]
    assert m.features_mask.tolist() == [[1, 1, 0, 0], [1, 1, 1, 1], [1, 1, 1, 1]]
    assert m.labels_mask.tolist() == [[1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]]


def test_merge_rules_and_errors():
    assert DataSet.merge([]).is_empty()
    with pytest.raises(ValueError, match="some have labels and others do not"):
        DataSet.merge([DataSet(np.ones((1, 2)), np.ones((1, 1))), DataSet(np.ones((1, 2)))])
    with pytest.raises(ValueError, match="rank-5"):
        DataSet.merge([DataSet(np.ones((1, 1, 1, 1, 1)))] * 2)
    with pytest.raises(ValueError, match="different ranks"):
        DataSet.merge([DataSet(np.ones((1, 2))), DataSet(np.ones((1, 2, 1)))])
    with pytest.raises(ValueError, match="differ beyond dimension 0"):
        DataSet.merge([DataSet(np.ones((1, 2))), DataSet(np.ones((1, 3)))])
    img = DataSet.merge([DataSet(np.ones((1, 3, 2, 2))), DataSet(np.zeros((2, 3, 2, 2)))])
    assert img.features.shape == (3, 3, 2, 2) and img.features[1:].sum() == 0


def test_merge_metadata_kept_only_when_all_have_it():
    a = DataSet(np.ones((1, 1)), example_metadata=["a"])
    b = DataSet(np.ones((2, 1)), example_metadata=["b", "c"])
    assert DataSet.merge([a, b]).example_metadata == ["a", "b", "c"]
    assert DataSet.merge([a, DataSet(np.ones((1, 1)))]).example_metadata is None


def test_multidataset_basics_and_validation():
    m = MultiDataSet(
        [np.zeros((3, 2)), np.ones((3, 4, 5))], [np.ones((3, 1))], [None, np.ones((3, 5))]
    )
    assert (m.num_features_arrays(), m.num_labels_arrays(), len(m)) == (2, 1, 3)
    assert m[1].features[1].shape == (1, 4, 5) and m[1].features_masks[0] is None
    with pytest.raises(ValueError, match=r"features\[0\] has 3.*labels\[0\] has 2"):
        MultiDataSet([np.zeros((3, 2))], [np.zeros((2, 1))])
    with pytest.raises(ValueError, match="features_masks must have one entry per features"):
        MultiDataSet([np.zeros((3, 2))], [], [None, None])
    with pytest.raises(ValueError, match=r"features_masks\[0\] must have shape \(3, 5\)"):
        MultiDataSet([np.zeros((3, 2, 5))], [], [np.ones((3, 4))])
    with pytest.raises(TypeError, match=r"labels\[0\] must have a numeric dtype"):
        MultiDataSet([np.zeros((1, 2))], [np.array(["a"])])


def test_multidataset_merge():
    a = MultiDataSet([np.ones((1, 2, 3))], [np.ones((1, 1))], example_metadata=["a"])
    b = MultiDataSet([np.ones((1, 2, 5))], [np.zeros((1, 1))], example_metadata=["b"])
    m = MultiDataSet.merge([a, b])
    assert m.features[0].shape == (2, 2, 5) and m.labels_masks is None
    assert m.features_masks[0].tolist() == [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]
    assert m.example_metadata == ["a", "b"]
    with pytest.raises(ValueError, match="different numbers of arrays"):
        MultiDataSet.merge([a, MultiDataSet([np.ones((1, 2, 3))] * 2, [np.ones((1, 1))])])


def test_data_objects_pickle_for_worker_processes():
    import copy
    import pickle

    ds = DataSet(np.ones((2, 2)), np.zeros((2, 1)), example_metadata=[1, 2], label_names=["a"])
    back = pickle.loads(pickle.dumps(ds))
    assert back == ds and back.example_metadata == [1, 2] and back.label_names == ["a"]
    m = ds.to_multi_data_set()
    assert pickle.loads(pickle.dumps(m)) == m and copy.deepcopy(ds) == ds
