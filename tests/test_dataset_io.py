"""DataSet / MultiDataSet HDF5 persistence: round trips, atomic no-clobber writes, bad files."""

import json
import os

import h5py
import numpy as np
import pytest

from fastiter import DataSet, FormatError, MultiDataSet


def sample_ds():
    rng = np.random.default_rng(3)
    return DataSet(
        rng.normal(size=(3, 2, 4)).astype(np.float32),
        rng.integers(0, 2, size=(3, 5, 4)).astype(np.int8),
        np.array([[1, 1, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1]], np.float32),
        example_metadata=[{"file": "a.csv", "line": 1}, "x", 3],
        label_names=["c0", "c1", "c2", "c3", "c4"],
    )


def test_dataset_round_trip_keeps_arrays_dtypes_metadata(tmp_path):
    ds = sample_ds()
    p = tmp_path / "ds.h5"
    ds.save(p)
    back = DataSet.load(p)
    assert back == ds and back.labels_mask is None
    assert back.features.dtype == np.float32 and back.labels.dtype == np.int8
    assert back.example_metadata == ds.example_metadata
    assert back.label_names == ds.label_names
    assert [f.name for f in tmp_path.iterdir()] == ["ds.h5"]  # no temporary left behind


def test_features_only_and_labels_only(tmp_path):
    for ds in (DataSet(np.ones((2, 2))), DataSet(None, np.ones((2, 1)))):
        ds.save(tmp_path / "x.h5", overwrite=True)
        back = DataSet.load(tmp_path / "x.h5")
        assert back == ds and back.example_metadata is None and back.label_names is None


def test_multidataset_round_trip_with_a_none_mask_entry(tmp_path):
    m = MultiDataSet(
        [np.ones((2, 3)), np.arange(12.0).reshape(2, 2, 3)],
        [np.zeros((2, 1))],
        [None, np.array([[1, 1, 0], [1, 0, 0]], np.float64)],
        example_metadata=["p", "q"],
    )
    m.save(tmp_path / "m.h5")
    back = MultiDataSet.load(tmp_path / "m.h5")
    assert back == m and back.features_masks[0] is None and back.labels_masks is None
    assert back.example_metadata == ["p", "q"]


def test_no_clobber_unless_asked(tmp_path):
    p = tmp_path / "x.h5"
    DataSet(np.ones((1, 1))).save(p)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        DataSet(np.zeros((1, 1))).save(p)
    assert DataSet.load(p).features[0, 0] == 1
    DataSet(np.zeros((1, 1))).save(p, overwrite=True)
    assert DataSet.load(p).features[0, 0] == 0
    assert sorted(f.name for f in tmp_path.iterdir()) == ["x.h5"]


def test_unserialisable_metadata_is_refused_and_leaves_nothing(tmp_path):
    ds = DataSet(np.ones((1, 1)), example_metadata=[object()])
    with pytest.raises(TypeError, match="example_metadata must be JSON-serialisable"):
        ds.save(tmp_path / "x.h5")
    assert list(tmp_path.iterdir()) == []


def test_truncated_file_raises_format_error(tmp_path):
    p = tmp_path / "x.h5"
    DataSet(np.random.default_rng(0).normal(size=(200, 50))).save(p)
    data = p.read_bytes()
    (tmp_path / "cut.h5").write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match="truncated"):
        DataSet.load(tmp_path / "cut.h5")
    (tmp_path / "junk.h5").write_bytes(b"not an hdf5 file at all")
    with pytest.raises(FormatError, match="junk.h5"):
        DataSet.load(tmp_path / "junk.h5")
    with pytest.raises(FileNotFoundError):
        DataSet.load(tmp_path / "missing.h5")


def test_foreign_hdf5_and_wrong_kind_and_future_version(tmp_path):
    with h5py.File(tmp_path / "foreign.h5", "w") as f:
        f["features"] = np.ones((2, 2))
    with pytest.raises(FormatError, match="not one written by fastiter"):
        DataSet.load(tmp_path / "foreign.h5")
    DataSet(np.ones((1, 1))).save(tmp_path / "ds.h5")
    with pytest.raises(FormatError, match="holds a DataSet, not a MultiDataSet"):
        MultiDataSet.load(tmp_path / "ds.h5")
    with h5py.File(tmp_path / "ds.h5", "r+") as f:
        f.attrs["fastiter_format_version"] = 99
    with pytest.raises(FormatError, match="format version 99"):
        DataSet.load(tmp_path / "ds.h5")


def test_file_layout_is_documented_attributes_not_pickle(tmp_path):
    sample_ds().save(tmp_path / "x.h5")
    with h5py.File(tmp_path / "x.h5", "r") as f:
        assert f.attrs["fastiter_kind"] == "DataSet"
        assert int(f.attrs["fastiter_format_version"]) == 1
        assert json.loads(f.attrs["arrays"]) == ["features", "features_mask", "labels"]
        assert json.loads(f.attrs["label_names"])[0] == "c0"
        assert all(f[k].dtype.kind in "fi" for k in f)


def test_missing_dataset_listed_in_arrays_is_a_format_error(tmp_path):
    DataSet(np.ones((1, 1)), np.ones((1, 1))).save(tmp_path / "x.h5")
    with h5py.File(tmp_path / "x.h5", "r+") as f:
        del f["labels"]
    with pytest.raises(FormatError, match="x.h5"):
        DataSet.load(tmp_path / "x.h5")
    assert os.path.exists(tmp_path / "x.h5")


def test_multidataset_without_labels_and_numpy_metadata(tmp_path):
    m = MultiDataSet([np.ones((2, 3))], [], example_metadata=[np.int64(4), np.arange(2)])
    m.save(tmp_path / "m.h5")
    back = MultiDataSet.load(tmp_path / "m.h5")
    assert back == m and back.labels == [] and back.example_metadata == [4, [0, 1]]


def test_a_dataset_subclass_saves_and_loads_as_a_dataset(tmp_path):
    class Mine(DataSet):
        __slots__ = ()

    Mine(np.ones((1, 2))).save(tmp_path / "x.h5")
    assert DataSet.load(tmp_path / "x.h5") == DataSet(np.ones((1, 2)))
    assert isinstance(Mine.load(tmp_path / "x.h5"), Mine)


@pytest.mark.parametrize(
    "dtype", [np.bool_, np.int8, np.uint16, np.int64, np.float16, np.float32, np.float64]
)
def test_every_numeric_dtype_round_trips(tmp_path, dtype):
    x = (np.arange(12).reshape(3, 4) % 3).astype(dtype)
    DataSet(x, x[:, :2], labels_mask=np.array([1, 0, 1], dtype)).save(tmp_path / "x.h5")
    back = DataSet.load(tmp_path / "x.h5")
    assert back.features.dtype == dtype and back.labels_mask.dtype == dtype
    np.testing.assert_array_equal(back.features, x)


def test_empty_objects_round_trip(tmp_path):
    DataSet().save(tmp_path / "d.h5")
    assert DataSet.load(tmp_path / "d.h5").is_empty()
    MultiDataSet().save(tmp_path / "m.h5")
    back = MultiDataSet.load(tmp_path / "m.h5")
    assert back.is_empty() and back.features == [] and back.features_masks is None
