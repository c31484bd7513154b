"""The netCDF/HDF5 access layer: every read path gives the values h5py gives."""

import h5py
import numpy as np
import pytest

import fastiter._ncaccess as access
from fastiter._ncaccess import VariableSource


@pytest.fixture
def h5file(tmp_path, rng):
    p = str(tmp_path / "d.h5")
    data = {
        "le": rng.normal(size=(10, 3, 2)),  # contiguous: pread
        "be": rng.normal(size=(10, 4)).astype(">f8"),  # big-endian: pread + cast
        "i16": rng.integers(-50, 50, size=(10, 2)).astype(np.int16),
        "chunked": rng.normal(size=(10, 5)).astype(np.float32),  # h5py's read
        "empty": None,  # never written: h5py
    }
    with h5py.File(p, "w") as f:
        for k, v in data.items():
            if k == "chunked":
                f.create_dataset(k, data=v, chunks=(3, 5))
            elif k == "empty":
                f.create_dataset(k, shape=(10, 2), dtype="f8")
            else:
                f.create_dataset(k, data=v)
    return p, data


def test_storage_offsets_only_where_one_pread_is_exact(h5file):
    p, _ = h5file
    src = VariableSource(p, ["le", "be", "i16", "chunked", "empty"], 0)
    storage = {n: v.storage for n, v in zip(src.variables, src.info[0])}
    assert storage["le"] is not None and storage["be"] is not None
    assert storage["chunked"] is None and storage["empty"] is None
    src.close()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_path_matches_h5py(h5file, dtype, monkeypatch):
    p, data = h5file
    names = ["le", "be", "i16", "chunked", "empty"]
    with h5py.File(p, "r") as f:
        want = np.concatenate([f[n][3:9].reshape(6, -1).astype(dtype) for n in names], 1)
    monkeypatch.setattr(access, "_PREAD_BYTES", 40)  # several pieces per read
    src = VariableSource(p, names, 0)
    got = src.read_into(0, 3, 9, np.empty((6, want.shape[1]), dtype))
    np.testing.assert_array_equal(got, want)
    single = src.read_into(0, 2, 7, np.empty((5, 6), np.float64), slice(0, 1))
    np.testing.assert_array_equal(single, data["le"][2:7].reshape(5, 6))
    with pytest.raises(IndexError, match="outside file"):
        src.read_into(0, 8, 11, np.empty((3, want.shape[1]), dtype))
    with pytest.raises(ValueError, match="C-contiguous float array"):
        src.read_into(0, 0, 2, np.empty((2, want.shape[1]), np.int32))
    src.close()


# --- one behaviour for every front end (issue 18, step 2) ---------------------------------
def _nc(path, values, fill=None):
    import netCDF4

    with netCDF4.Dataset(path, "w") as d:  # netCDF4 = HDF5 underneath: every front end
        d.createDimension("time", values.shape[0])
        d.createDimension("x", values.shape[1])
        v = d.createVariable("v", values.dtype, ("time", "x"), fill_value=fill)
        v.set_auto_maskandscale(False)
        v[:] = values


def _read_all(front, paths, names):
    """Every record of ``paths`` through one front end, as ``[steps, columns]``."""
    from fastiter.netcdf import HDF5DataSetIterator, NetCDFDataSetIterator
    from fastiter.records import HDF5RecordReader, NetCDFRecordReader

    if front == "NetCDFDataSetIterator":
        it = NetCDFDataSetIterator(paths, names, batch_size=7, dtype=np.float64)
    elif front == "HDF5DataSetIterator":
        it = HDF5DataSetIterator(paths, names, batch_size=7, dtype=np.float64)
    elif front == "NetCDFRecordReader":
        return NetCDFRecordReader(paths, names, "time").next_records(10**6)[0]
    else:
        return HDF5RecordReader(paths, names).next_records(10**6)[0]
    return np.concatenate([b.features for b in it])


FRONTS = ["NetCDFDataSetIterator", "HDF5DataSetIterator", "NetCDFRecordReader", "HDF5RecordReader"]


@pytest.mark.parametrize("front", FRONTS)
def test_a_missing_variable_is_a_value_error_naming_the_file(tmp_path, rng, front):
    good, bad = str(tmp_path / "a_1.nc"), str(tmp_path / "a_2.nc")
    _nc(good, rng.normal(size=(4, 2)))
    import netCDF4

    with netCDF4.Dataset(bad, "w") as d:
        d.createDimension("time", 4)
        d.createVariable("w", "f8", ("time",))[:] = np.arange(4.0)
    with pytest.raises(ValueError, match=r"a_2\.nc: no variable 'v'; it has \['w'\]"):
        _read_all(front, [good, bad], ["v"])
    with pytest.raises(FileNotFoundError, match="matches no file"):
        _read_all(front, str(tmp_path / "zz*.nc"), ["v"])
    # a netCDF-4 dimension without a variable is a zero-filled HDF5 dataset: not data
    with pytest.raises(ValueError, match=r"a_2\.nc: no variable 'time'; it has \['w'\]"):
        _read_all(front, [bad], ["time"])


@pytest.mark.parametrize("front", FRONTS)
@pytest.mark.parametrize("dtype,fill", [(np.float64, -999.0), (np.int16, -32767)])
def test_fill_values_become_nan(tmp_path, rng, front, dtype, fill):
    raw = rng.integers(0, 100, size=(9, 3)).astype(dtype)
    raw[rng.random(raw.shape) < 0.3] = fill
    p = str(tmp_path / "f.nc")
    _nc(p, raw, fill=dtype(fill))
    want = np.where(raw == fill, np.nan, raw.astype(np.float64))
    np.testing.assert_array_equal(_read_all(front, p, ["v"]), want)


@pytest.mark.parametrize("front", FRONTS)
def test_globs_are_sorted_naturally(tmp_path, front):
    for i in (10, 2, 1):  # no time coordinate: the files stay in the glob's order
        _nc(str(tmp_path / f"s_{i}.nc"), np.full((2, 1), float(i)))
    got = _read_all(front, str(tmp_path / "s_*.nc"), ["v"])
    assert got[:, 0].tolist() == [1.0, 1.0, 2.0, 2.0, 10.0, 10.0]
