"""Sequence record readers over many netCDF/HDF5 files: windows cross file boundaries
as the netCDF iterators' do (series order, contiguity checks), unless
``windows_within_files=True``."""

import h5py
import numpy as np
import pytest

from fastiter.netcdf import make_rasm, save_chunks
from fastiter.netcdf.series import SeriesError
from fastiter.records import (
    HDF5SequenceRecordReader,
    NetCDFSequenceRecordReader,
    SequenceRecordReaderDataSetIterator,
)


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    ds = make_rasm(n_time=36, ny=2, nx=3, seed=8)
    root = tmp_path_factory.mktemp("seq")
    paths = save_chunks(ds, str(root), chunks={"time": 12}, parallel="serial", progress=False)
    return ds, paths


def drain(r, n=7):
    seqs, metas = [], []
    while r.has_next():
        s, refs = r.next_sequences(n)
        seqs += s
        metas += refs.to_list()
    return seqs, metas


def test_windows_cross_files_in_time_order(series):
    ds, paths = series
    r = NetCDFSequenceRecordReader([paths[2], paths[0], paths[1]], ["Tair"], window=6, stride=1)
    seqs, metas = drain(r)
    assert len(seqs) == 31  # 36 steps as one series; within files it was 21
    for j, s in enumerate(seqs):
        want = ds.Tair.isel(time=slice(j, j + 6)).values.reshape(6, -1)
        np.testing.assert_array_equal(s, want)
    # window 9 (steps 9..14) starts in the first file and ends in the second
    assert (metas[9].source, metas[9].position) == (paths[0], 9)
    assert (metas[14].source, metas[14].position) == (paths[1], 2)
    again = r.load_from_metadata([metas[9], metas[30], metas[0]])
    for s, g in zip(again, (9, 30, 0)):
        np.testing.assert_array_equal(s, ds.Tair.isel(time=slice(g, g + 6)).values.reshape(6, -1))
    r.reset()
    assert r.skip(29) == 29 and len(drain(r)[0]) == 2
    old = NetCDFSequenceRecordReader(paths, ["Tair"], window=6, stride=1, windows_within_files=True)
    assert len(drain(old)[0]) == 3 * (12 - 6 + 1)


def test_stride_and_an_iterator_on_top(series):
    ds, paths = series
    r = NetCDFSequenceRecordReader(paths, ["Tair"], window=5, stride=4)
    seqs, _ = drain(r, 3)
    assert len(seqs) == (36 - 5) // 4 + 1
    np.testing.assert_array_equal(seqs[2], ds.Tair.isel(time=slice(8, 13)).values.reshape(5, -1))
    r.reset()
    it = SequenceRecordReaderDataSetIterator(r, None, 4, regression=True, label_index=0)
    n = sum(len(b.features) for b in it)
    assert n == len(seqs)


def test_gaps_overlaps_and_metadata_outside_the_series(series, tmp_path):
    ds, paths = series
    with pytest.raises(SeriesError, match="gap along 'time'") as e:
        NetCDFSequenceRecordReader([paths[0], paths[2]], ["Tair"], window=6)
    assert paths[0] in str(e.value) and paths[2] in str(e.value)
    r = NetCDFSequenceRecordReader(
        [paths[0], paths[2]], ["Tair"], window=6, stride=1, allow_gaps=True
    )
    seqs, metas = drain(r)
    assert len(seqs) == 2 * 7  # none crosses the gap
    np.testing.assert_array_equal(seqs[7], ds.Tair.isel(time=slice(24, 30)).values.reshape(6, -1))
    other = str(tmp_path / "overlap.nc")
    ds.isel(time=slice(6, 18)).to_netcdf(other)
    with pytest.raises(SeriesError, match="overlaps"):
        NetCDFSequenceRecordReader([paths[0], other], ["Tair"], window=6)
    from fastiter.records import RecordMetaData

    with pytest.raises(ValueError, match="not the start of a window"):
        r.load_from_metadata([RecordMetaData(paths[0], 8, "x")])  # would cross the gap


def test_hdf5_sequences_cross_files_in_the_given_order(tmp_path, rng):
    data = rng.normal(size=(20, 3))
    paths = []
    for i, (a, b) in enumerate([(0, 8), (8, 20)]):
        p = str(tmp_path / f"h_{i}.h5")
        with h5py.File(p, "w") as f:
            f["x"] = data[a:b]
        paths.append(p)
    seqs, _ = drain(HDF5SequenceRecordReader(str(tmp_path / "h_*.h5"), ["x"], window=4, stride=2))
    assert len(seqs) == 9
    for j, s in enumerate(seqs):
        np.testing.assert_array_equal(s, data[2 * j : 2 * j + 4])
    within = HDF5SequenceRecordReader(paths, ["x"], window=4, stride=2, windows_within_files=True)
    assert len(drain(within)[0]) == 3 + 5
