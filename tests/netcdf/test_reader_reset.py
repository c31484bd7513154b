"""Resetting a netCDF/HDF5 iterator to new files: ``it.reset(paths=...)``."""

import gc
import os

import numpy as np
import pytest
from fdcount import fds_to

from fastiter.netcdf import make_rasm, save_chunks
from fastiter.netcdf.reader import HDF5DataSetIterator, NetCDFDataSetIterator
from fastiter.netcdf.series import SeriesError


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    ds = make_rasm(n_time=48, ny=3, nx=4, seed=11)
    root = tmp_path_factory.mktemp("reset")
    paths = save_chunks(ds, str(root), chunks={"time": 12}, parallel="serial", progress=False)
    return ds, paths


def flat(ds):
    return ds.Tair.values.reshape(ds.sizes["time"], -1)


def windows(it):
    return np.concatenate([b.features for b in it])


def test_reset_to_new_paths_reads_them_and_closes_the_rest(series):
    ds, paths = series
    gc.collect()
    it = NetCDFDataSetIterator(
        paths[:3], "Tair", batch_size=8, window=6, stride=1, dtype=np.float64
    )
    assert len(windows(it)) == 36 - 5
    assert fds_to(paths[:3]) >= 3 and fds_to(paths[3:]) == 0
    epoch = it.state_dict()["epoch"]
    it.reset(paths=paths[2:])  # months 24..47: file 2 stays open, 0 and 1 close
    assert fds_to(paths[:2]) == 0
    assert sorted(it.open_files()) == sorted(paths[2:])  # file 3 was opened to check it
    assert it.state_dict()["epoch"] == epoch + 1 and it.num_examples() == 24 - 5
    x = windows(it)
    assert len(x) == 19
    for j in range(19):  # every window, including those across the file boundary
        want = ds.Tair.isel(time=slice(24 + j, 30 + j)).values.reshape(6, -1).T
        np.testing.assert_array_equal(x[j], want)
    it.reset(paths=os.path.join(os.path.dirname(paths[0]), "*.nc"))  # a glob: all 4
    assert len(windows(it)) == 48 - 5
    it.close()
    assert fds_to(paths) == 0


def test_reset_to_new_paths_gives_a_fresh_shuffled_plan(series):
    ds, paths = series
    kw = dict(batch_size=5, window=4, stride=2, shuffle=True, seed=3, fill_value=0.0)
    it = NetCDFDataSetIterator(paths[:1], "Tair", **kw)
    windows(it)
    it.reset(paths=paths[1:3])
    got = windows(it)
    fresh = NetCDFDataSetIterator(paths[1:3], "Tair", **kw)
    fresh.reset()  # the same epoch number (1) over the same files: the same batches
    np.testing.assert_array_equal(got, windows(fresh))
    assert len(got) == (24 - 4) // 2 + 1
    for it_ in (it, fresh):
        it_.close()


def test_bad_new_paths_are_refused_and_change_nothing(series, tmp_path):
    ds, paths = series
    it = NetCDFDataSetIterator(
        paths[:2], "Tair", batch_size=8, window=6, stride=1, dtype=np.float64
    )
    before = windows(it)
    with pytest.raises(SeriesError, match="gap along 'time'") as e:
        it.reset(paths=[paths[0], paths[2]])
    assert paths[0] in str(e.value) and paths[2] in str(e.value)
    assert fds_to(paths[2:]) == 0  # the file the check opened is closed again
    with pytest.raises(FileNotFoundError, match="matches no file"):
        it.reset(paths=str(tmp_path / "none*.nc"))
    with pytest.raises(ValueError, match="at least one file"):
        it.reset(paths=[])
    with pytest.raises(TypeError, match="must be a path, a list of paths or a glob"):
        it.reset(paths=42)
    other = make_rasm(n_time=12, ny=2, nx=4, seed=1)
    small = str(tmp_path / "small.nc")
    other.to_netcdf(small)
    with pytest.raises(ValueError, match=r"\[8\] values per step .* \[12\]"):
        it.reset(paths=[small])
    nolabel = str(tmp_path / "novar.nc")
    ds.isel(time=slice(24, 36)).drop_vars("Tair").to_netcdf(nolabel)
    with pytest.raises(ValueError, match="no variable 'Tair'") as e:
        it.reset(paths=[nolabel])
    assert nolabel in str(e.value)
    # refused resets left the iterator as it was: same files, same windows, same epoch
    assert sorted(it.open_files()) == sorted(paths[:2]) and fds_to([small, nolabel]) == 0
    it.reset()
    np.testing.assert_array_equal(windows(it), before)
    it.close()


def test_reset_keeps_the_kept_columns_or_refuses(series, tmp_path):
    ds, paths = series
    it = NetCDFDataSetIterator(paths[:1], "Tair", batch_size=8, drop_nan_columns=True)
    cols = it.feature_columns.copy()
    it.reset(paths=paths[1:])
    np.testing.assert_array_equal(it.feature_columns, cols)
    np.testing.assert_array_equal(windows(it), flat(ds)[12:, cols].astype(np.float32))
    moved = ds.isel(time=slice(0, 12)).copy(deep=True)
    moved["Tair"][0, 0, 0] = np.nan if not np.isnan(moved.Tair[0, 0, 0]) else 1.0
    odd = str(tmp_path / "odd.nc")
    moved.to_netcdf(odd)
    with pytest.raises(ValueError, match="keeps other feature columns"):
        it.reset(paths=[odd])
    it.close()


def test_hdf5_iterator_resets_to_new_paths(tmp_path, rng):
    import h5py

    data = rng.normal(size=(30, 2))
    paths = []
    for i in range(3):
        p = str(tmp_path / f"d_{i}.h5")
        with h5py.File(p, "w") as f:
            f["x"] = data[10 * i : 10 * i + 10]
        paths.append(p)
    it = HDF5DataSetIterator(paths[:1], "x", batch_size=4, window=3, dtype=np.float64)
    assert len(windows(it)) == 3
    it.reset(paths=paths[1:])
    x = windows(it)
    assert len(x) == 6 and paths[0] not in it.open_files()
    np.testing.assert_array_equal(x[3], data[19:22].T)  # crosses d_1 -> d_2
    it.close()
