"""File-backed iterators: FileDataSetIterator/FileMultiDataSetIterator (re-batching),
FileSplitDataSetIterator, DataSetLoaderIterator, ExistingMiniBatchDataSetIterator."""

import doctest
import os

import numpy as np
import pytest

from fastiter import (
    DataSet,
    DataSetLoaderIterator,
    ExistingMiniBatchDataSetIterator,
    FileDataSetIterator,
    FileMultiDataSetIterator,
    FileSplitDataSetIterator,
    MultiDataSet,
)
from fastiter.iterators import files, loaders


def npz_save(path, ds):
    np.savez(path, features=ds.features, labels=ds.labels)


def npz_load(path):
    with np.load(path) as z:
        return DataSet(z["features"], z["labels"])


def npz_load_multi(path):
    with np.load(path) as z:
        return MultiDataSet([z["features"]], [z["labels"]])


def make_tree(tmp_path, sizes, nested=True):
    """Files of consecutive example ids: file i holds sizes[i] examples."""
    start = 0
    for i, n in enumerate(sizes):
        ids = np.arange(start, start + n, dtype=np.float64)[:, None]
        folder = tmp_path / (f"sub{i % 2}" if nested else "")
        folder.mkdir(exist_ok=True)
        npz_save(folder / f"f{i:03d}.npz", DataSet(ids, ids * 2))
        start += n
    (tmp_path / "notes.txt").write_text("not a dataset")
    return start


def ids(batches):
    return [b.features[:, 0].astype(int).tolist() for b in batches]


@pytest.mark.parametrize("module", [files, loaders])
def test_doctests(module):
    res = doctest.testmod(
        module, extraglobs={"np": np, "DataSet": DataSet, "MultiDataSet": MultiDataSet, "os": os}
    )
    assert res.attempted > 0 and res.failed == 0


def test_rebatching_merges_splits_and_carries_leftovers(tmp_path):
    total = make_tree(tmp_path, [3, 1, 7, 2, 5], nested=False)
    it = FileDataSetIterator(tmp_path, batch_size=4, extensions="npz", loader=npz_load)
    got = ids(it)
    assert [len(b) for b in got] == [4, 4, 4, 4, 2]
    assert sum(got, []) == list(range(total))  # every example once, in file order
    for b in it:
        np.testing.assert_array_equal(b.labels, b.features * 2)


def test_one_file_per_batch_and_recursive_walk(tmp_path):
    make_tree(tmp_path, [2, 3, 1, 4])
    it = FileDataSetIterator(tmp_path, extensions=[".NPZ"], loader=npz_load)
    got = ids(it)
    # sorted walk: sub0 holds files 0 and 2, sub1 files 1 and 3
    assert got == [[0, 1], [5], [2, 3, 4], [6, 7, 8, 9]]
    flat = FileDataSetIterator(tmp_path / "sub0", loader=npz_load, recursive=False)
    assert len(list(flat)) == 2
    with pytest.raises(ValueError, match="no files found"):
        FileDataSetIterator(tmp_path, extensions="bin", loader=npz_load)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="no files found"):
        FileDataSetIterator(empty, loader=npz_load)
    with pytest.raises(ValueError, match="existing folder"):
        FileDataSetIterator(tmp_path / "missing", loader=npz_load)


def test_shuffled_file_order_per_reset_is_seeded(tmp_path):
    make_tree(tmp_path, [1] * 12, nested=False)
    a = FileDataSetIterator(tmp_path, shuffle=True, seed=3, extensions="npz", loader=npz_load)
    b = FileDataSetIterator(tmp_path, shuffle=True, seed=3, extensions="npz", loader=npz_load)
    e0 = sum(ids(a), [])
    a.reset()
    e1 = sum(ids(a), [])
    assert sorted(e0) == sorted(e1) == list(range(12))
    assert e0 != e1 and e0 != list(range(12))
    assert sum(ids(b), []) == e0


def test_pre_processor_once_on_both_paths(tmp_path):
    make_tree(tmp_path, [2, 3], nested=False)

    class AddOne:
        calls = 0

        def pre_process(self, ds):
            AddOne.calls += 1
            ds.features += 1000

    for bs in (None, 2):
        AddOne.calls = 0
        it = FileDataSetIterator(tmp_path, batch_size=bs, extensions="npz", loader=npz_load)
        it.pre_processor = AddOne()
        out = list(it)
        assert AddOne.calls == len(out)
        assert sum(ids(out), []) == list(range(1000, 1005))


def test_multi_file_iterator(tmp_path):
    make_tree(tmp_path, [3, 4], nested=False)
    it = FileMultiDataSetIterator(tmp_path, 5, extensions="npz", loader=npz_load_multi)
    got = [m.features[0][:, 0].astype(int).tolist() for m in it]
    assert got == [[0, 1, 2, 3, 4], [5, 6]]


def test_wrong_loader_output_raises(tmp_path):
    make_tree(tmp_path, [2], nested=False)
    it = FileDataSetIterator(tmp_path, extensions="npz", loader=npz_load_multi)
    with pytest.raises(TypeError, match="expected a DataSet"):
        it.next()


@pytest.mark.parametrize("bs,k", [(None, 2), (4, 1), (4, 3), (3, 5)])
def test_file_iterator_resumes(tmp_path, resumes, bs, k):
    make_tree(tmp_path, [3, 1, 7, 2, 5])
    resumes(
        lambda: FileDataSetIterator(
            tmp_path, bs, shuffle=True, seed=8, extensions="npz", loader=npz_load
        ),
        k,
        epochs=2,
    )


def test_multi_file_iterator_resumes(tmp_path, resumes):
    make_tree(tmp_path, [3, 1, 7])
    resumes(
        lambda: FileMultiDataSetIterator(tmp_path, 2, extensions="npz", loader=npz_load_multi),
        3,
        epochs=2,
    )


def test_file_split_and_loader_iterators(tmp_path):
    make_tree(tmp_path, [2, 2, 2], nested=False)
    paths = sorted(str(p) for p in tmp_path.glob("*.npz"))
    assert ids(FileSplitDataSetIterator(paths, npz_load)) == [[0, 1], [2, 3], [4, 5]]

    class Loader:
        def load(self, path):
            return npz_load(path)

    it = DataSetLoaderIterator(paths, Loader(), shuffle=True, seed=2)
    e0 = ids(it)
    it.reset()
    e1 = ids(it)
    assert sorted(e0) == sorted(e1) == [[0, 1], [2, 3], [4, 5]]
    it.reset()
    assert it.indexable and it.batch_at(0) == it.next()
    many = DataSetLoaderIterator(paths * 3, npz_load, shuffle=True, seed=2)
    orders = set()
    for _ in range(4):
        orders.add(tuple(tuple(b) for b in ids(many)))
    assert len(orders) > 1  # a new permutation per epoch
    with pytest.raises(TypeError, match="single path"):
        FileSplitDataSetIterator(paths[0], npz_load)
    with pytest.raises(ValueError, match="empty"):
        DataSetLoaderIterator([], npz_load)
    with pytest.raises(TypeError, match="loader must be"):
        FileSplitDataSetIterator(paths, 3)
    with pytest.raises(TypeError, match="must return a DataSet"):
        FileSplitDataSetIterator(paths, lambda p: 1).next()


def test_existing_minibatches(tmp_path):
    for i in range(3):
        npz_save(tmp_path / f"dataset-{i}.npz", DataSet(np.full((2, 1), i), np.zeros((2, 1))))
    npz_save(tmp_path / "dataset-4.npz", DataSet(np.ones((1, 1)), np.zeros((1, 1))))  # gap
    it = ExistingMiniBatchDataSetIterator(tmp_path, "dataset-%d.npz", loader=npz_load)
    assert [b[0] for b in ids(it)] == [0, 1, 2]
    with pytest.raises(ValueError, match="no minibatch files"):
        ExistingMiniBatchDataSetIterator(tmp_path, "batch-%d.npz", loader=npz_load)
    with pytest.raises(ValueError, match="one %d"):
        ExistingMiniBatchDataSetIterator(tmp_path, "batch.npz", loader=npz_load)


def test_loader_iterators_resume(tmp_path, resumes):
    make_tree(tmp_path, [1, 2, 3, 4], nested=False)
    paths = sorted(str(p) for p in tmp_path.glob("*.npz"))
    resumes(lambda: FileSplitDataSetIterator(paths, npz_load), 2, epochs=2)
    resumes(lambda: DataSetLoaderIterator(paths, npz_load, shuffle=True, seed=1), 5, epochs=3)
    for i in range(3):
        npz_save(tmp_path / f"dataset-{i}.npz", DataSet(np.full((2, 1), i), np.zeros((2, 1))))
    resumes(
        lambda: ExistingMiniBatchDataSetIterator(tmp_path, "dataset-%d.npz", loader=npz_load),
        1,
        epochs=2,
    )


def test_datasets_saved_by_dataset_save(tmp_path):
    """The default loader reads DataSet.save's HDF5 files, labels names and metadata too."""
    start = 0
    for i, n in enumerate([3, 5, 2]):
        ids_ = np.arange(start, start + n, dtype=np.float32)[:, None]
        DataSet(
            ids_,
            ids_ * 2,
            example_metadata=[f"e{j}" for j in range(start, start + n)],
            label_names=["y"],
        ).save(tmp_path / f"part-{i}.h5")
        start += n
    it = FileDataSetIterator(tmp_path, batch_size=4)
    out = list(it)
    assert ids(out) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert out[1].example_metadata == ["e4", "e5", "e6", "e7"]
    assert it.get_labels() == ["y"] and it.input_columns() == 1
    one = FileDataSetIterator(tmp_path)
    assert [len(b) for b in one] == [3, 5, 2]


def test_multi_datasets_saved_by_save(tmp_path):
    for i in range(3):
        MultiDataSet([np.full((2, 3), i), np.ones((2, 1))], [np.zeros((2, 2))]).save(
            tmp_path / f"m{i}.h5"
        )
    it = FileMultiDataSetIterator(tmp_path, batch_size=3, extensions=".h5")
    out = list(it)
    assert [len(m) for m in out] == [3, 3]
    np.testing.assert_array_equal(out[0].features[0][:, 0], [0, 0, 1])
    assert out[0].num_features_arrays() == 2


def test_existing_minibatches_default_pattern(tmp_path):
    for i in range(4):
        DataSet(np.full((2, 1), i), np.zeros((2, 1))).save(tmp_path / f"dataset-{i}.h5")
    it = ExistingMiniBatchDataSetIterator(tmp_path)
    assert [b[0] for b in ids(it)] == [0, 1, 2, 3]


def test_several_roots(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    DataSet(np.zeros((2, 1)), np.zeros((2, 1))).save(tmp_path / "a" / "x.h5")
    DataSet(np.ones((3, 1)), np.zeros((3, 1))).save(tmp_path / "b" / "y.h5")
    it = FileDataSetIterator([tmp_path / "a", tmp_path / "b"])
    assert [len(b) for b in it] == [2, 3]
    (tmp_path / "c").mkdir()
    with pytest.raises(ValueError, match="no files found"):
        FileDataSetIterator([tmp_path / "a", tmp_path / "c"])
