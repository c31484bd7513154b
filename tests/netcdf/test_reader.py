"""NetCDFDataSetIterator / HDF5DataSetIterator against numpy references."""

import numpy as np
import pytest

from fastiter.iterators.base import DataSetIterator
from fastiter.netcdf import make_rasm, save_chunks
from fastiter.netcdf.reader import HDF5DataSetIterator, NetCDFDataSetIterator


@pytest.fixture(scope="module")
def rasm_files(tmp_path_factory):
    ds = make_rasm(n_time=30, ny=4, nx=5, seed=7)
    ds["Tlag"] = ds.Tair.shift(time=-1).fillna(-1.0)
    ds.Tlag.attrs = {"units": "C"}
    root = tmp_path_factory.mktemp("rasm")
    paths = save_chunks(ds, str(root), chunks={"time": 12}, parallel="serial", progress=False)
    return ds, paths


def _all(it):
    batches = list(it)
    return batches, np.concatenate([b.features for b in batches])


def test_steps_in_order_with_nan_kept(rasm_files):
    ds, paths = rasm_files
    it = NetCDFDataSetIterator(paths, features=["Tair"], batch_size=7)
    assert isinstance(it, DataSetIterator)
    batches, x = _all(it)
    assert [len(b) for b in batches] == [7, 7, 7, 7, 2] and it.num_batches() == 5
    ref = ds.Tair.values.reshape(30, -1).astype(np.float32)
    np.testing.assert_array_equal(x, ref)  # NaN compare equal in assert_array_equal
    assert np.isnan(x).any() and x.dtype == np.float32


def test_glob_labels_fill_and_drop_columns(rasm_files):
    ds, paths = rasm_files
    root = paths[0].rsplit("/", 1)[0]
    it = NetCDFDataSetIterator(
        f"{root}/filename_*.nc",
        "Tair",
        labels="Tlag",
        batch_size=30,
        drop_nan_columns=True,
        fill_value=-99.0,
        dtype=np.float64,
    )
    b = it.next()
    land = ~np.isnan(ds.Tair.values[0].ravel())
    np.testing.assert_array_equal(it.feature_columns, np.flatnonzero(land))
    np.testing.assert_array_equal(b.features, ds.Tair.values.reshape(30, -1)[:, land])
    np.testing.assert_array_equal(b.labels, ds.Tlag.values.reshape(30, -1))
    it2 = NetCDFDataSetIterator(paths, "Tair", batch_size=30, fill_value=-99.0)
    x = it2.next().features
    assert not np.isnan(x).any() and (x == -99.0).sum() == np.isnan(ds.Tair.values).sum()


def test_windows_dl4j_layout(rasm_files):
    ds, paths = rasm_files
    it = NetCDFDataSetIterator(
        paths, "Tair", batch_size=4, window=5, stride=2, fill_value=0.0, windows_within_files=True
    )
    batches, x = _all(it)
    flat = np.nan_to_num(ds.Tair.values.reshape(30, -1), nan=0.0).astype(np.float32)
    ref = []
    for lo, hi in [(0, 12), (12, 24), (24, 30)]:  # windows stay inside each file
        for s in range(lo, hi - 5 + 1, 2):
            ref.append(flat[s : s + 5].T)
    ref = np.stack(ref)
    assert x.shape == ref.shape == (len(ref), 20, 5)
    np.testing.assert_array_equal(x, ref)
    assert it.num_batches() == -(-len(ref) // 4)


def test_shuffle_is_a_seeded_permutation_per_epoch(rasm_files):
    ds, paths = rasm_files
    plain = _all(NetCDFDataSetIterator(paths, "Tair", batch_size=8, fill_value=0.0))[1]
    it = NetCDFDataSetIterator(
        paths, "Tair", batch_size=8, shuffle=True, seed=3, shuffle_buffer=2, fill_value=0.0
    )
    e0 = _all(it)[1]
    e1 = _all(it)[1]  # __iter__ resets: epoch 1
    again = _all(
        NetCDFDataSetIterator(
            paths, "Tair", batch_size=8, shuffle=True, seed=3, shuffle_buffer=2, fill_value=0.0
        )
    )[1]
    np.testing.assert_array_equal(e0, again)
    assert not np.array_equal(e0, plain) and not np.array_equal(e0, e1)

    def key(a):
        return a[np.lexsort(a.T[::-1])]

    np.testing.assert_array_equal(key(e0), key(plain))
    np.testing.assert_array_equal(key(e1), key(plain))


@pytest.mark.parametrize("shuffle", [False, True])
def test_state_dict_resume(rasm_files, shuffle):
    _, paths = rasm_files
    kw = dict(batch_size=5, shuffle=shuffle, seed=11, fill_value=0.0, read_size=6)
    it = NetCDFDataSetIterator(paths, "Tair", **kw)
    it.reset()  # epoch 1
    head = [it.next().features for _ in range(3)]
    state = it.state_dict()
    _rest = [b.features for b in it]  # consumes the epoch
    fresh = NetCDFDataSetIterator(paths, "Tair", **kw)
    fresh.load_state_dict(state)
    ref = NetCDFDataSetIterator(paths, "Tair", **kw)
    ref.reset()
    expected = [ref.next().features for _ in range(ref.num_batches())]
    got = head + [fresh.next().features for _ in range(fresh.num_batches() - 3)]
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)
    assert not fresh.has_next()


def test_hdf5_iterator_reads_netcdf_files(rasm_files):
    ds, paths = rasm_files
    x = _all(HDF5DataSetIterator(paths, "Tair", batch_size=9))[1]
    np.testing.assert_array_equal(x, ds.Tair.values.reshape(30, -1).astype(np.float32))


def test_drop_last_and_bad_arguments(rasm_files):
    _, paths = rasm_files
    it = NetCDFDataSetIterator(paths, "Tair", batch_size=7, drop_last=True)
    assert [len(b) for b in it] == [7, 7, 7, 7]
    with pytest.raises(FileNotFoundError, match="matches no file"):
        NetCDFDataSetIterator("/nonexistent/*.nc", "Tair")
    with pytest.raises(ValueError, match="batch_size"):
        NetCDFDataSetIterator(paths, "Tair", batch_size=0)
    with pytest.raises(TypeError, match="features"):
        NetCDFDataSetIterator(paths, features=3)
    with pytest.raises(ValueError, match="not the record dimension 'lat'"):
        NetCDFDataSetIterator(paths, "Tair", dim="lat")
    with pytest.raises(ValueError, match="no variable 'nope'"):  # at once, not at next()
        NetCDFDataSetIterator(paths, "nope")


def test_composes_with_async(rasm_files):
    from fastiter import AsyncDataSetIterator

    ds, paths = rasm_files
    base = NetCDFDataSetIterator(paths, "Tair", batch_size=7, fill_value=0.0)
    with AsyncDataSetIterator(base) as it:
        x = np.concatenate([b.features for b in it])
    # the iterator yields float32 (DL4J's dtype), so compare with the source cast alike
    want = np.nan_to_num(ds.Tair.values.reshape(30, -1)).astype(np.float32)
    np.testing.assert_array_equal(x, want)
