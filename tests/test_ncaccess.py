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
        "le": rng.normal(size=(10, 3, 2)),                       # contiguous: pread
        "be": rng.normal(size=(10, 4)).astype(">f8"),            # big-endian: pread + cast
        "i16": rng.integers(-50, 50, size=(10, 2)).astype(np.int16),
        "chunked": rng.normal(size=(10, 5)).astype(np.float32),  # h5py's read
        "empty": None,                                           # never written: h5py
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
