"""netCDF / HDF5 record readers: records and windows along the record dimension."""

from __future__ import annotations

import h5py
import netCDF4
import numpy as np
import pytest

import fastiter.records.netcdf_hdf5 as nh
from fastiter.records import (
    HDF5RecordReader,
    HDF5SequenceRecordReader,
    NetCDFRecordReader,
    NetCDFSequenceRecordReader,
    RecordReaderDataSetIterator,
)


def make_nc(path, rng, steps, chunk=4):
    a = rng.normal(size=(3, steps, 2)).astype(np.float32)  # record dim in the middle
    b = rng.normal(size=steps)
    with netCDF4.Dataset(path, "w") as d:
        d.createDimension("lev", 3)
        d.createDimension("time", None)
        d.createDimension("x", 2)
        va = d.createVariable("a", "f4", ("lev", "time", "x"), chunksizes=(3, chunk, 2))
        va[:] = a
        d.createVariable("b", "f8", ("time",), chunksizes=(chunk,))[:] = b
    # record r = a[:, r, :] flattened, then b[r]
    return np.column_stack([np.moveaxis(a, 1, 0).reshape(steps, -1), b])


def drain(reader, n):
    parts, metas = [], []
    while reader.has_next():
        v, refs = reader.next_records(n)
        parts.append(v.copy())
        metas += refs.to_list()
    return np.concatenate(parts), metas


def test_netcdf_records_across_files_and_blocks(tmp_path, rng, monkeypatch):
    monkeypatch.setattr(nh, "_TARGET_BLOCK_BYTES", 1)  # one chunk per block: many reads
    want = [make_nc(tmp_path / f"f{i}.nc", rng, steps) for i, steps in enumerate((10, 7))]
    r = NetCDFRecordReader(str(tmp_path / "f*.nc"), ["a", "b"], "time")
    assert r.num_columns() == 7 and r._source.block == 4
    got, metas = drain(r, 3)
    np.testing.assert_allclose(got, np.concatenate(want))
    assert [m.position for m in metas] == list(range(10)) + list(range(7))
    np.testing.assert_allclose(
        r.load_from_metadata([metas[12], metas[1]]), np.concatenate(want)[[12, 1]]
    )
    r.reset()
    assert r.skip(15) == 15 and len(drain(r, 5)[0]) == 2


def test_netcdf_windows(tmp_path, rng):
    want = make_nc(tmp_path / "w.nc", rng, 10)
    r = NetCDFSequenceRecordReader(str(tmp_path / "w.nc"), ["a", "b"], "time", window=4, stride=3)
    seqs, refs = r.next_sequences(10)
    assert [m.position for m in refs.to_list()] == [0, 3, 6]
    for s, start in zip(seqs, (0, 3, 6)):
        np.testing.assert_allclose(s, want[start : start + 4])


def test_hdf5_records_feed_an_iterator(tmp_path, rng):
    x = rng.normal(size=(2, 50, 3))  # record axis 1
    y = rng.integers(0, 4, 50).astype(np.int8)
    with h5py.File(tmp_path / "d.h5", "w") as f:
        f.create_dataset("x", data=x, chunks=(2, 8, 3))
        f.create_dataset("y", data=y)
    with pytest.raises(ValueError, match="record axis 1 is not an axis"):
        HDF5RecordReader(str(tmp_path / "d.h5"), ["x", "y"], record_axis=1)
    r = HDF5RecordReader(str(tmp_path / "d.h5"), ["x"], record_axis=1)
    np.testing.assert_allclose(drain(r, 16)[0], np.moveaxis(x, 1, 0).reshape(50, 6))
    w = HDF5SequenceRecordReader(str(tmp_path / "d.h5"), ["y"], window=5)
    seqs, _ = w.next_sequences(100)
    assert len(seqs) == 10
    np.testing.assert_array_equal(seqs[3][:, 0], y[15:20])
    with h5py.File(tmp_path / "e.h5", "w") as f:
        f.create_dataset("x", data=np.column_stack([rng.normal(size=(9, 2)), y[:9]]))
    it = RecordReaderDataSetIterator(HDF5RecordReader(str(tmp_path / "e.h5"), ["x"]), 4, 2, 4)
    labels = np.concatenate([ds.labels for ds in it])
    np.testing.assert_array_equal(labels.argmax(1), y[:9])


def test_bad_variables_and_dimensions(tmp_path, rng):
    make_nc(tmp_path / "v.nc", rng, 5)
    p = str(tmp_path / "v.nc")
    with pytest.raises(ValueError, match="no variable 'zz'"):
        NetCDFRecordReader(p, ["zz"], "time")
    with pytest.raises(ValueError, match="not the record dimension 'x'"):
        NetCDFRecordReader(p, ["b"], "x")
    with pytest.raises(ValueError, match="non-empty list"):
        NetCDFRecordReader(p, "a", "time")
    with pytest.raises(ValueError, match="window must be >= 1"):
        NetCDFSequenceRecordReader(p, ["b"], "time", window=0)


def test_window_metadata_reload(tmp_path, rng):
    want = make_nc(tmp_path / "m.nc", rng, 12)
    r = NetCDFSequenceRecordReader(str(tmp_path / "m.nc"), ["b"], "time", window=3, stride=2)
    _, refs = r.next_sequences(10)
    metas = refs.to_list()
    again = r.load_from_metadata([metas[4], metas[0]])
    np.testing.assert_allclose(again[0][:, 0], want[8:11, -1])
    np.testing.assert_allclose(again[1][:, 0], want[0:3, -1])
