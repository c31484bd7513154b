"""NetCDFDataSetIterator over many files as one series: windows across file boundaries,
file order, gaps and overlaps, CF decoding against xarray, handles, random access."""

import gc
import multiprocessing as mp
import os
import shutil

import netCDF4
import numpy as np
import pytest
import xarray as xr
from fdcount import fds_to

import fastiter._ncaccess as access
from fastiter import AsyncDataSetIterator
from fastiter.netcdf import make_rasm, save_chunks
from fastiter.netcdf.reader import HDF5DataSetIterator, NetCDFDataSetIterator
from fastiter.netcdf.series import SeriesError
from fastiter.records import NetCDFRecordReader


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    ds = make_rasm(n_time=36, ny=3, nx=4, seed=5)
    ds["Tlag"] = ds.Tair.shift(time=-1).fillna(-1.0)
    root = tmp_path_factory.mktemp("series")
    paths = save_chunks(ds, str(root), chunks={"time": 12}, parallel="serial", progress=False)
    return ds, paths


def flat(ds, var="Tair"):
    return ds[var].values.reshape(ds.sizes["time"], -1)


def windows(it):
    return np.concatenate([b.features for b in it])


def test_windows_cross_file_boundaries(series):
    ds, paths = series
    it = NetCDFDataSetIterator(paths, "Tair", batch_size=8, window=6, stride=1, dtype=np.float64)
    x = windows(it)
    assert len(x) == it.num_examples() == 31  # 36 steps, window 6: a continuous series
    assert (
        len(
            windows(
                NetCDFDataSetIterator(
                    paths, "Tair", batch_size=8, window=6, stride=1, windows_within_files=True
                )
            )
        )
        == 21
    )
    # window 9 holds steps 9..14: the last three of file 0 and the first three of file 1
    want = ds.Tair.isel(time=slice(9, 15)).values.reshape(6, -1).T
    np.testing.assert_array_equal(x[9], want)
    for s in range(31):
        np.testing.assert_array_equal(x[s], flat(ds)[s : s + 6].T)


def test_window_stride_and_labels_across_files(series):
    ds, paths = series
    it = NetCDFDataSetIterator(
        paths,
        "Tair",
        labels="Tlag",
        batch_size=5,
        window=4,
        stride=3,
        fill_value=0.0,
        dtype=np.float64,
    )
    b = list(it)
    x, y = np.concatenate([d.features for d in b]), np.concatenate([d.labels for d in b])
    starts = list(range(0, 36 - 4 + 1, 3))
    assert len(x) == len(starts) == 11
    for j, s in enumerate(starts):
        np.testing.assert_array_equal(x[j], np.nan_to_num(flat(ds)[s : s + 4].T))
        np.testing.assert_array_equal(y[j], flat(ds, "Tlag")[s : s + 4].T)


def test_unsorted_input_is_put_in_time_order(series):
    ds, paths = series
    kw = dict(batch_size=7, window=6, stride=1, fill_value=0.0)
    a = windows(NetCDFDataSetIterator(paths, "Tair", **kw))
    b = windows(NetCDFDataSetIterator(paths[::-1], "Tair", **kw))
    c = windows(NetCDFDataSetIterator([paths[1], paths[2], paths[0]], "Tair", **kw))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
    steps = np.concatenate(
        [d.features for d in NetCDFDataSetIterator(paths[::-1], "Tair", batch_size=9)]
    )
    np.testing.assert_array_equal(steps, flat(ds).astype(np.float32))


def test_gap_is_refused_naming_both_files_or_allowed(series, tmp_path):
    ds, paths = series
    kept = [paths[0], paths[2]]
    with pytest.raises(SeriesError, match="gap along 'time'") as e:
        NetCDFDataSetIterator(kept, "Tair", window=6)
    assert paths[0] in str(e.value) and paths[2] in str(e.value)
    it = NetCDFDataSetIterator(
        kept, "Tair", window=6, stride=1, allow_gaps=True, batch_size=4, dtype=np.float64
    )
    x = windows(it)
    assert len(x) == 2 * (12 - 6 + 1)  # no window crosses the gap
    np.testing.assert_array_equal(x[7], flat(ds)[24:30].T)


def test_overlap_is_refused_naming_both_files(series, tmp_path):
    ds, paths = series
    other = str(tmp_path / "overlap.nc")
    ds.isel(time=slice(6, 18)).to_netcdf(other)
    with pytest.raises(SeriesError, match="overlaps") as e:
        NetCDFDataSetIterator([paths[0], other, paths[2]], "Tair", window=6)
    assert paths[0] in str(e.value) and other in str(e.value)
    with pytest.raises(SeriesError, match="overlaps"):  # the same file twice
        NetCDFDataSetIterator([paths[0], paths[0]], "Tair")


def test_a_file_with_a_different_variable_set(series, tmp_path):
    ds, paths = series
    odd = str(tmp_path / "odd.nc")
    ds.isel(time=slice(12, 24)).drop_vars("Tlag").to_netcdf(odd)
    with pytest.raises(ValueError, match="no variable 'Tlag'") as e:
        NetCDFDataSetIterator([paths[0], odd, paths[2]], "Tair", labels="Tlag")
    assert odd in str(e.value)
    # the variables asked for are all there: extra or missing others do not matter
    x = windows(
        NetCDFDataSetIterator([paths[0], odd, paths[2]], "Tair", batch_size=40, dtype=np.float64)
    )
    np.testing.assert_array_equal(x, flat(ds))


def _cf_file(path, t0, values, **attrs):
    with netCDF4.Dataset(path, "w") as d:
        d.createDimension("time", values.shape[0])
        d.createDimension("x", values.shape[1])
        t = d.createVariable("time", "f8", ("time",))
        t.units, t.calendar = "days since 2000-01-01", "standard"
        t[:] = np.arange(t0, t0 + values.shape[0])
        fill = attrs.pop("_FillValue", None)
        v = d.createVariable("v", values.dtype, ("time", "x"), fill_value=fill)
        v.set_auto_maskandscale(False)
        for k, a in attrs.items():
            setattr(v, k, a)
        v[:] = values


CASES = {
    "nan_fill": (np.float32, dict(_FillValue=np.float32(np.nan))),
    "float_fill": (np.float64, dict(_FillValue=-9999.0)),
    "int_fill": (np.int16, dict(_FillValue=np.int16(-32767))),
    "scale_offset": (
        np.int16,
        dict(_FillValue=np.int16(-1), scale_factor=np.float32(0.01), add_offset=np.float32(273.15)),
    ),
    "missing_value": (np.int32, dict(missing_value=np.int32(7))),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_decoding_matches_xarray(tmp_path, rng, case):
    dtype, attrs = CASES[case]
    raw = rng.integers(0, 500, size=(20, 3)).astype(dtype)
    fill = attrs.get("_FillValue", attrs.get("missing_value"))
    raw[rng.random(raw.shape) < 0.2] = fill
    paths = [str(tmp_path / f"{case}_{i}.nc") for i in range(2)]
    _cf_file(paths[0], 0, raw[:10], **dict(attrs))
    _cf_file(paths[1], 10, raw[10:], **dict(attrs))
    with xr.open_mfdataset(paths, combine="by_coords") as back:
        want = back.v.values.astype(np.float64)
    assert np.isnan(want).any()
    got = windows(NetCDFDataSetIterator(paths, "v", batch_size=6, dtype=np.float64))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=1e-6)  # xarray may decode in float32
    got32 = windows(NetCDFDataSetIterator(paths, "v", batch_size=6))
    np.testing.assert_allclose(got32, want.astype(np.float32), rtol=1e-6)
    # the one access layer: the HDF5 iterator and the record reader decode alike
    h5 = windows(HDF5DataSetIterator(paths, "v", batch_size=6, dtype=np.float64))
    rec = NetCDFRecordReader(paths, ["v"], "time").next_records(100)[0]
    np.testing.assert_array_equal(h5, got)
    np.testing.assert_array_equal(rec, got)


def test_netcdf3_files_read_through_netcdf4(series, tmp_path):
    ds, _ = series
    paths = []
    for i in range(3):
        p = str(tmp_path / f"c{i}.nc")
        ds.isel(time=slice(12 * i, 12 * i + 12)).to_netcdf(p, format="NETCDF3_64BIT")
        paths.append(p)
    x = windows(
        NetCDFDataSetIterator(
            paths, "Tair", labels="Tlag", batch_size=8, window=6, stride=1, dtype=np.float64
        )
    )
    assert len(x) == 31
    np.testing.assert_array_equal(x[10], flat(ds)[10:16].T)


def test_handles_are_cached_across_epochs_and_closed(series, monkeypatch):
    _, paths = series
    gc.collect()  # iterators earlier tests dropped (the fixture is shared) close on GC
    assert fds_to(paths) == 0
    opened = []
    real = access._open_any
    monkeypatch.setattr(access, "_open_any", lambda p: (opened.append(p), real(p))[1])
    it = NetCDFDataSetIterator(paths, "Tair", labels="Tlag", batch_size=5, window=6, stride=1)
    for _ in range(3):
        windows(it)
    assert sorted(opened) == sorted(paths)  # each file opened once, for 3 epochs
    assert len(it.open_files()) == 3
    it.close()
    assert it.open_files() == [] and fds_to(paths) == 0
    windows(it)  # reusable after close: reopens
    it2 = NetCDFDataSetIterator(paths, "Tair", batch_size=5, max_open_files=1)
    windows(it2)
    assert len(it2.open_files()) == 1
    del it, it2
    gc.collect()
    assert fds_to(paths) == 0


def _child_sum(it, q):
    q.put((float(np.nansum(windows(it))), it.open_files() != [], os.getpid()))


def test_forked_child_opens_its_own_handles(series):
    _, paths = series
    # small blocks: more than the staging cache holds, so the child must read files
    it = NetCDFDataSetIterator(paths, "Tair", batch_size=5, window=6, stride=1, read_size=4)
    total = float(np.nansum(windows(it)))
    parent_handles = it._source.handles._open.copy()
    q = mp.get_context("fork").Queue()
    p = mp.get_context("fork").Process(target=_child_sum, args=(it, q))
    p.start()
    got, child_had_open, pid = q.get(timeout=60)
    p.join(60)
    assert p.exitcode == 0 and got == pytest.approx(total) and child_had_open
    assert pid != os.getpid() and it._source.handles._open == parent_handles
    assert float(np.nansum(windows(it))) == pytest.approx(total)  # parent's still work


@pytest.mark.parametrize("shuffle", [False, True])
def test_random_access_and_two_producers(series, shuffle):
    _, paths = series
    kw = dict(batch_size=4, window=6, stride=1, shuffle=shuffle, seed=9, fill_value=0.0)
    it = NetCDFDataSetIterator(paths, "Tair", labels="Tlag", **kw)
    assert it.indexable and it.num_batches() == 8
    seq = [(b.features, b.labels) for b in it]
    for i in (5, 0, 7, 3):
        b = it.batch_at(i)
        np.testing.assert_array_equal(b.features, seq[i][0])
        np.testing.assert_array_equal(b.labels, seq[i][1])
    base = NetCDFDataSetIterator(paths, "Tair", labels="Tlag", **kw)
    with AsyncDataSetIterator(base, workers=2) as a:
        assert a.producers == 2
        got = [b.features.copy() for b in a]
    assert len(got) == len(seq)
    for g, s in zip(got, seq):
        np.testing.assert_array_equal(g, s[0])
    shards = [NetCDFDataSetIterator(paths, "Tair", **kw).shard(r, 3) for r in range(3)]
    parts = {r: [b.features for b in s] for r, s in enumerate(shards)}
    for i in range(8):
        np.testing.assert_array_equal(parts[i % 3][i // 3], seq[i][0])


def test_shuffle_is_a_pure_function_of_seed_and_epoch(series):
    _, paths = series
    kw = dict(batch_size=6, window=6, stride=1, shuffle=True, seed=4, fill_value=0.0)
    it = NetCDFDataSetIterator(paths, "Tair", **kw)
    e0, e1 = windows(it), windows(it)
    assert not np.array_equal(e0, e1)
    other = NetCDFDataSetIterator(paths, "Tair", **kw)
    other.load_state_dict({"epoch": 1, "position": 0, "seed": 4})
    np.testing.assert_array_equal(windows(other), e1)

    def key(a):
        flat = a.reshape(len(a), -1)
        return flat[np.lexsort(flat.T[::-1])]

    plain = windows(NetCDFDataSetIterator(paths, "Tair", **{**kw, "shuffle": False}))
    np.testing.assert_array_equal(key(e0), key(plain))


def test_missing_dimension_and_bad_arguments(series, tmp_path):
    _, paths = series
    with pytest.raises(ValueError, match="not the record dimension 'lat'"):
        NetCDFDataSetIterator(paths, "Tair", dim="lat")
    with pytest.raises(ValueError, match="no variable 'nope'"):
        NetCDFDataSetIterator(paths, "nope")
    with pytest.raises(FileNotFoundError, match="matches no file"):
        NetCDFDataSetIterator(str(tmp_path / "none*.nc"), "Tair")
    with pytest.raises(ValueError, match="layout"):
        NetCDFDataSetIterator(paths, "Tair", window=3, layout="TFN")
    with pytest.raises(ValueError, match="dtype must be a floating"):
        NetCDFDataSetIterator(paths, "Tair", dtype=np.int32)
    copy = str(tmp_path / "copy.nc")
    shutil.copy(paths[0], copy)
    with pytest.raises(SeriesError, match="overlaps"):
        NetCDFDataSetIterator([copy, paths[0]], "Tair", window=6)


def test_torch_loader_workers_and_ranks_split_an_epoch(series):
    torch = pytest.importorskip("torch")
    from fastiter.torch import IterableDataset

    _, paths = series
    kw = dict(batch_size=4, window=6, stride=1, shuffle=True, seed=2, fill_value=0.0)
    want = [b.features for b in NetCDFDataSetIterator(paths, "Tair", **kw)]  # epoch 0
    got = []
    for rank in range(2):
        it = NetCDFDataSetIterator(paths, "Tair", **kw)
        windows(it)  # the parent has open files and staged blocks before the fork
        ds = IterableDataset(it, rank=rank, world_size=2)
        ds.set_epoch(0)
        loader = torch.utils.data.DataLoader(
            ds, batch_size=None, num_workers=2, multiprocessing_context="fork"
        )
        got += [b["features"].numpy().copy() for b in loader]
    # 2 ranks x 2 forked workers: every batch of the epoch exactly once
    assert len(got) == len(want) == 8
    matched = [next(i for i, w in enumerate(want) if np.array_equal(g, w)) for g in got]
    assert sorted(matched) == list(range(8))
