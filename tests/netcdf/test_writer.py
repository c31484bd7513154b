"""save_chunks / save_mfdataset: the files re-open identical to the source, safely."""

import json
import os

import cftime
import numpy as np
import pytest
import xarray as xr

from fastiter.netcdf import (
    ChunkWriteError,
    chunk_paths,
    filejob,
    make_rasm,
    save_chunks,
    save_mfdataset,
    split_by_chunks,
)

RASM_NAMES = [
    "filename_1980-09-16_1981-08-17.nc",
    "filename_1981-09-16_1982-08-17.nc",
    "filename_1982-09-16_1983-08-17.nc",
]


def _reopen(paths, **kw):
    with xr.open_mfdataset(paths, combine="by_coords", **kw) as back:
        return back.load()


@pytest.mark.parametrize("parallel", ["processes", "threads", "serial"])
def test_rasm_three_files_identical(tmp_path, parallel):
    ds = make_rasm(ny=20, nx=30, chunks={"time": 12})
    paths = save_chunks(ds, str(tmp_path), parallel=parallel, workers=2, progress=False)
    assert [os.path.basename(p) for p in paths] == RASM_NAMES
    assert sorted(os.listdir(tmp_path)) == sorted(RASM_NAMES + ["filename.manifest.json"])
    back = _reopen(paths)
    xr.testing.assert_identical(back, ds.compute())
    assert back.attrs == ds.attrs and back.Tair.attrs == ds.Tair.attrs
    assert np.isnan(back.Tair.values).any()  # ocean NaNs survive


def test_full_size_rasm_numpy_backed(tmp_path):
    ds = make_rasm()  # 36 x 205 x 275 like the tutorial file, numpy-backed
    paths = save_chunks(ds, str(tmp_path), chunks={"time": 12}, progress=False, verify=True)
    assert [os.path.basename(p) for p in paths] == RASM_NAMES
    xr.testing.assert_identical(_reopen(paths), ds)


def test_one_time_encoding_for_every_file(tmp_path):
    ds = make_rasm(ny=3, nx=4)
    del ds.time.encoding["units"], ds.time.encoding["calendar"], ds.time.encoding["dtype"]
    paths = save_chunks(ds, str(tmp_path), chunks={"time": 12}, progress=False, parallel="serial")
    units = set()
    for p in paths:
        with xr.open_dataset(p, decode_times=False) as f:
            units.add((f.time.attrs["units"], f.time.attrs["calendar"]))
            assert "_FillValue" not in f.xc.attrs and "_FillValue" not in f.time.attrs
    assert len(units) == 1, units
    xr.testing.assert_identical(_reopen(paths), ds)


def test_uneven_last_chunk_and_index_naming(tmp_path):
    ds = make_rasm(n_time=30, ny=3, nx=4)
    pieces = list(split_by_chunks(ds, {"time": 12}))
    assert [p.sizes["time"] for p in pieces] == [12, 12, 6]
    paths = save_chunks(
        ds, str(tmp_path), chunks={"time": 12}, naming="index", progress=False, parallel="serial"
    )
    assert [os.path.basename(p) for p in paths] == [
        "filename_0.nc",
        "filename_1.nc",
        "filename_2.nc",
    ]
    xr.testing.assert_identical(_reopen(paths), ds)


def test_two_dims_with_coordinates(tmp_path):
    rng = np.random.default_rng(0)
    ds = xr.Dataset(
        {"v": (("time", "y", "x"), rng.standard_normal((10, 6, 4)))},
        coords={
            "time": np.arange(10),
            "y": np.arange(6) * 10.0,
            "x": np.arange(4) * 0.5,
            "lat": (("y", "x"), rng.random((6, 4))),
        },
        attrs={"title": "two dims"},
    )
    pieces = list(split_by_chunks(ds, {"time": 4, "y": 4}))
    assert [dict(p.sizes) for p in pieces][:2] == [
        {"time": 4, "y": 4, "x": 4},
        {"time": 4, "y": 2, "x": 4},
    ]
    assert len(pieces) == 6
    np.testing.assert_array_equal(pieces[1].lat.values, ds.lat.values[4:])
    paths = save_chunks(
        ds, str(tmp_path), chunks={"time": 4, "y": 4}, naming="index", progress=False, workers=2
    )
    xr.testing.assert_identical(_reopen(paths), ds)


def test_two_dims_named_by_time_collide(tmp_path):
    ds = make_rasm(n_time=12, ny=4, nx=2)
    pieces = list(split_by_chunks(ds, {"time": 12, "y": 2}))
    with pytest.raises(ValueError, match="more than one piece"):
        chunk_paths(pieces, root=str(tmp_path))
    with pytest.raises(ValueError, match="more than one piece"):
        save_chunks(ds, str(tmp_path), chunks={"time": 12, "y": 2}, progress=False)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "calendar,expected",
    [
        ("noleap", ["f_2001-02-28_2001-03-02.nc", "f_2001-03-03_2001-03-03.nc"]),
        ("360_day", ["f_2001-02-28_2001-02-30.nc", "f_2001-03-01_2001-03-01.nc"]),
    ],
)
def test_cftime_calendars(tmp_path, calendar, expected):
    times = xr.date_range("2001-02-28", periods=4, freq="D", calendar=calendar, use_cftime=True)
    ds = xr.Dataset(
        {"v": (("time", "x"), np.arange(8.0).reshape(4, 2) + 1)}, coords={"time": times}
    )
    paths = save_chunks(
        ds, str(tmp_path), prefix="f", chunks={"time": 3}, progress=False, parallel="serial"
    )
    assert [os.path.basename(p) for p in paths] == expected
    back = _reopen(paths, decode_times=xr.coders.CFDatetimeCoder(use_cftime=True))
    assert isinstance(back.time.values[0], cftime.datetime)
    assert back.time.values[0].calendar == calendar
    xr.testing.assert_identical(back, ds)


def test_datetime64_naming_and_roundtrip(tmp_path):
    times = np.array(
        ["1999-12-30T06", "1999-12-31T18", "2000-01-01T00", "2000-01-02T12"], dtype="datetime64[ns]"
    )
    ds = xr.Dataset({"v": ("time", np.arange(1.0, 5.0))}, coords={"time": times})
    paths = save_chunks(
        ds, str(tmp_path), prefix="d", chunks={"time": 2}, progress=False, parallel="serial"
    )
    assert [os.path.basename(p) for p in paths] == [
        "d_1999-12-30_1999-12-31.nc",
        "d_2000-01-01_2000-01-02.nc",
    ]
    xr.testing.assert_identical(_reopen(paths), ds)


def test_int_variable_with_fill_value(tmp_path):
    data = np.arange(1, 13, dtype=np.int16).reshape(6, 2)
    ds = xr.Dataset({"n": (("time", "x"), data, {"units": "count"})}, coords={"time": np.arange(6)})
    ds.n.encoding["_FillValue"] = np.int16(-999)
    ds = ds.where(ds.n != 5)  # float with a NaN, written back as int16 + -999
    ds.n.encoding.update({"_FillValue": np.int16(-999), "dtype": np.dtype("int16")})
    paths = save_chunks(
        ds, str(tmp_path), chunks={"time": 4}, naming="index", progress=False, workers=2
    )
    with xr.open_dataset(paths[0], mask_and_scale=False) as raw:
        assert raw.n.dtype == np.int16 and raw.n.attrs["_FillValue"] == -999
        assert int(raw.n.values[2, 0]) == -999
    xr.testing.assert_identical(_reopen(paths), ds)


def test_compression_and_chunksizes_clamped(tmp_path):
    ds = make_rasm(n_time=30, ny=6, nx=5)
    paths = save_chunks(
        ds,
        str(tmp_path),
        chunks={"time": 12},
        compression=1,
        encoding={"Tair": {"chunksizes": (24, 6, 5)}},
        progress=False,
        parallel="serial",
    )
    import netCDF4

    with netCDF4.Dataset(paths[2]) as nc:
        f = nc["Tair"].filters()
        assert f["zlib"] and f["shuffle"] and f["complevel"] == 1
        assert nc["Tair"].chunking() == [6, 6, 5]  # clamped to this file's 6 steps
    xr.testing.assert_identical(_reopen(paths), ds)


def test_overwrite_refused_lists_files_before_any_work(tmp_path):
    ds = make_rasm(ny=3, nx=4)
    (tmp_path / RASM_NAMES[1]).write_bytes(b"precious")
    with pytest.raises(FileExistsError, match=RASM_NAMES[1]):
        save_chunks(ds, str(tmp_path), chunks={"time": 12}, progress=False)
    assert sorted(os.listdir(tmp_path)) == [RASM_NAMES[1]]
    assert (tmp_path / RASM_NAMES[1]).read_bytes() == b"precious"
    paths = save_chunks(
        ds, str(tmp_path), chunks={"time": 12}, progress=False, overwrite=True, parallel="serial"
    )
    xr.testing.assert_identical(_reopen(paths), ds)


@pytest.mark.parametrize("checksum", ["xxh3", "sha256"])
@pytest.mark.parametrize("layout_on", [True, False])
def test_manifest_records_sizes_and_checksums(tmp_path, checksum, layout_on, monkeypatch):
    """Each file's regions tile it and re-hash to the record, whichever path wrote it."""
    import hashlib

    import xxhash

    from fastiter.netcdf import layout

    monkeypatch.setattr(layout, "ENABLED", layout_on)
    ds = make_rasm(ny=3, nx=4)
    paths = save_chunks(
        ds, str(tmp_path), chunks={"time": 12}, progress=False, parallel="serial", checksum=checksum
    )
    doc = json.loads((tmp_path / "filename.manifest.json").read_text())
    assert doc["complete"] and doc["expected_files"] == 3 and doc["source"]
    new = xxhash.xxh3_64 if checksum == "xxh3" else hashlib.sha256
    for e, p in zip(doc["files"], paths):
        assert e["path"] == os.path.basename(p) and e["size"] == os.path.getsize(p)
        assert e["algorithm"] == checksum
        with open(p, "rb") as f:
            data = f.read()
        pos = 0
        for n, digest in e["regions"]:
            assert new(data[pos : pos + n]).hexdigest() == digest
            pos += n
        assert pos == len(data)
        # the data digests are those of the values written
        tair = xr.open_dataset(p, mask_and_scale=False).Tair.values
        assert e["content"]["Tair"] == new(tair.tobytes()).hexdigest()


def test_worker_error_names_file_and_chunk(tmp_path, monkeypatch):
    ds = make_rasm(ny=3, nx=4)
    monkeypatch.setattr(filejob, "FAULT", (1, "raise"))
    with pytest.raises(ChunkWriteError) as info:
        save_chunks(ds, str(tmp_path), chunks={"time": 12}, progress=False, workers=2)
    msg = str(info.value)
    assert RASM_NAMES[1] in msg and "time=12:24" in msg and "injected failure" in msg
    assert "worker traceback" in msg and "Traceback" in msg
    assert info.value.path.endswith(RASM_NAMES[1])
    assert RASM_NAMES[1] not in os.listdir(tmp_path)
    assert not [n for n in os.listdir(tmp_path) if ".tmp-" in n]


def test_killed_worker_leaves_no_partial_file_and_resume_completes(tmp_path, monkeypatch):
    ds = make_rasm(n_time=48, ny=8, nx=9, chunks={"time": 12})
    monkeypatch.setattr(filejob, "FAULT", (2, "exit"))
    with pytest.raises(ChunkWriteError, match="died"):
        save_chunks(ds, str(tmp_path), progress=False, workers=2, parallel="processes")
    monkeypatch.setattr(filejob, "FAULT", None)
    names = sorted(os.listdir(tmp_path))
    assert not [n for n in names if ".tmp-" in n], names
    finals = [n for n in names if n.endswith(".nc")]
    assert "filename_1982-09-16_1983-08-17.nc" not in finals
    for n in finals:  # whatever made it under a final name is complete
        with xr.open_dataset(tmp_path / n) as f:
            assert f.sizes["time"] == 12 and np.isfinite(f.Tair.values).any()
    doc = json.loads((tmp_path / "filename.manifest.json").read_text())
    assert doc["complete"] is False
    with pytest.raises(FileExistsError):
        save_chunks(ds, str(tmp_path), progress=False)
    paths = save_chunks(ds, str(tmp_path), progress=False, workers=2, resume=True)
    assert len(paths) == 4
    assert json.loads((tmp_path / "filename.manifest.json").read_text())["complete"]
    xr.testing.assert_identical(_reopen(paths), ds.compute())


def test_resume_skips_completed_files(tmp_path):
    ds = make_rasm(ny=3, nx=4)
    paths = save_chunks(ds, str(tmp_path), chunks={"time": 12}, progress=False, parallel="serial")
    before = [os.stat(p).st_mtime_ns for p in paths]
    os.remove(paths[1])
    save_chunks(
        ds, str(tmp_path), chunks={"time": 12}, progress=False, parallel="serial", resume=True
    )
    after = [os.stat(p).st_mtime_ns for p in paths]
    assert after[0] == before[0] and after[2] == before[2]
    xr.testing.assert_identical(_reopen(paths), ds)


def test_h5netcdf_engine(tmp_path):
    ds = make_rasm(ny=5, nx=6, chunks={"time": 12})
    paths = save_chunks(
        ds, str(tmp_path), engine="h5netcdf", compression=1, workers=2, progress=False, verify=True
    )
    xr.testing.assert_identical(_reopen(paths), ds.compute())


def test_save_mfdataset_drop_in(tmp_path):
    ds = make_rasm(ny=4, nx=3)
    pieces = list(split_by_chunks(ds, {"time": 12}))
    paths = chunk_paths(pieces, root=str(tmp_path))
    assert save_mfdataset(pieces, paths, workers=2) is None
    xr.testing.assert_identical(_reopen(paths), ds)
    with pytest.raises(ValueError, match="same length"):
        save_mfdataset(pieces, paths[:2])
    with pytest.raises(NotImplementedError, match="mode"):
        save_mfdataset(pieces, paths, mode="a")


def test_bad_arguments(tmp_path):
    ds = make_rasm(ny=2, nx=2)
    with pytest.raises(ValueError, match="not dask-backed"):
        save_chunks(ds, str(tmp_path), progress=False)
    with pytest.raises(ValueError, match="engine"):
        save_chunks(ds, str(tmp_path), chunks={"time": 12}, engine="scipy")
    with pytest.raises(ValueError, match="parallel"):
        save_chunks(ds, str(tmp_path), chunks={"time": 12}, parallel="gpu")
    with pytest.raises(ValueError, match="dimensions"):
        save_chunks(ds, str(tmp_path), chunks={"lat": 12})
    with pytest.raises(ValueError, match="compression"):
        save_chunks(ds, str(tmp_path), chunks={"time": 12}, compression=12)
    assert os.listdir(tmp_path) == []


def test_local_cluster(tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    ds = make_rasm(n_time=24, ny=10, nx=12, chunks={"time": 12})
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        paths = save_chunks(ds, str(tmp_path), parallel=client, progress=False)
        monkeypatch.setattr(filejob, "FAULT", (0, "raise"))
        with pytest.raises(ChunkWriteError, match="chunk 0"):
            save_chunks(ds, str(tmp_path / "bad"), parallel=client, progress=False)
    assert [os.path.basename(p) for p in paths] == RASM_NAMES[:2]
    xr.testing.assert_identical(_reopen(paths), ds.compute())


def test_auto_runs_processes_without_a_client_and_says_which_ran(tmp_path):
    lazy = make_rasm(n_time=24, ny=5, nx=6, chunks={"time": 12})
    res = save_chunks(lazy, str(tmp_path / "a"), progress=False, workers=2, compression=1)
    assert res.runner == "processes" and len(res.written) == 2 and res.nbytes > 0
    # uncompressed: the writes are copies into a reused layout, numpy's compute releases
    # the GIL, and threads were measured faster at every size (fastiter bench --only netcdf_write)
    assert save_chunks(lazy, str(tmp_path / "t"), progress=False, workers=2).runner == "threads"
    res = save_chunks(
        lazy.compute(), str(tmp_path / "b"), chunks={"time": 12}, progress=False, workers=2
    )
    assert res.runner == "threads"  # numpy data into reused layouts: copies only
    assert res.seconds > 0 and res.mb_per_s > 0 and res.file_bytes >= res.nbytes
    assert res.stats()["runner"] == "threads"
