"""Layout reuse and encode-once: byte-identical to netCDF4 writing every file itself."""

import hashlib
import json
import os

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from fastiter.netcdf import layout, make_rasm, save_chunks
from fastiter.netcdf.encoding import encode_piece, encode_pieces, plan_encoding
from fastiter.netcdf.integrity import check_file
from fastiter.netcdf.split import chunk_slices


@pytest.fixture(autouse=True)
def _fresh_layouts(monkeypatch):
    monkeypatch.setattr(layout, "_CACHE", type(layout._CACHE)())
    monkeypatch.setattr(layout, "ENABLED", True)


def _int_and_datetime_ds():
    rng = np.random.default_rng(5)
    times = pd.date_range("2000-01-01", periods=30, freq="D")
    counts = rng.integers(-5, 500, size=(30, 4, 3)).astype(np.int32)
    ds = xr.Dataset(
        {
            "count": (("time", "y", "x"), counts),
            "temp": (("time", "y", "x"), rng.normal(size=(30, 4, 3))),
        },
        coords={"time": times, "lat": (("y",), np.linspace(-1, 1, 4))},
        attrs={"title": "t", "scale": np.array([1.5, 2.5])},
    )
    ds["count"].encoding = {"_FillValue": np.int32(-999)}
    ds["temp"].attrs["units"] = "K"
    return ds


def _two_dims_ds():
    rng = np.random.default_rng(0)
    return xr.Dataset(
        {"v": (("time", "y", "x"), rng.standard_normal((10, 6, 4)))},
        coords={
            "time": np.arange(10),
            "y": np.arange(6) * 10.0,
            "x": np.arange(4) * 0.5,
            "lat": (("y", "x"), rng.random((6, 4))),
        },
        attrs={"title": "two dims"},
    )


CASES = {
    "rasm-uneven": (lambda: make_rasm(n_time=40, ny=9, nx=11, seed=3), {"time": 12}),
    "two-dims-uneven": (_two_dims_ds, {"time": 4, "y": 4}),
    "rasm-dask": (lambda: make_rasm(n_time=36, ny=6, nx=7, chunks={"time": 12}), None),
    "int-fill-datetime64": (_int_and_datetime_ds, {"time": 7}),
}


def _write(tmp_path, name, ds, chunks, enabled, parallel="serial"):
    layout.ENABLED = enabled
    layout._CACHE.clear()
    root = str(tmp_path / f"{name}-{enabled}-{parallel}")
    return save_chunks(
        ds, root, chunks=chunks, parallel=parallel, workers=2, progress=False, naming="index"
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_layout_files_are_byte_identical_to_netcdf4(tmp_path, case):
    make, chunks = CASES[case]
    ds = make()
    reused = _write(tmp_path, case, ds, chunks, True)
    assert any(isinstance(v, layout.Layout) for v in layout._CACHE.values())
    direct = _write(tmp_path, case, ds, chunks, False)
    assert not layout._CACHE
    assert len(reused) == len(direct) > 2
    for a, b in zip(reused, direct):
        with open(a, "rb") as fa, open(b, "rb") as fb:
            assert fa.read() == fb.read(), os.path.basename(a)
    with xr.open_mfdataset(reused, combine="by_coords") as back:
        xr.testing.assert_identical(back.load(), ds.compute())


def test_layout_manifest_checksums_hashed_in_memory_match_the_files(tmp_path):
    ds = make_rasm(n_time=48, ny=5, nx=6)
    paths = save_chunks(ds, str(tmp_path), chunks={"time": 12}, parallel="serial", progress=False)
    doc = json.loads((tmp_path / "filename.manifest.json").read_text())
    for entry, path in zip(doc["files"], paths):
        assert check_file(path, entry) is None
    # the later files were hashed from memory, one region per writev buffer
    # (time, xc, yc and Tair: 4 data regions between 5 header runs)
    assert [len(e["regions"]) for e in doc["files"]] == [1, 9, 9, 9]
    paths = save_chunks(
        ds,
        str(tmp_path / "s"),
        chunks={"time": 12},
        parallel="serial",
        progress=False,
        checksum="sha256",
    )
    doc = json.loads((tmp_path / "s" / "filename.manifest.json").read_text())
    with open(paths[2], "rb") as f:
        data = f.read()
    pos = 0
    for n, digest in doc["files"][2]["regions"]:
        assert hashlib.sha256(data[pos : pos + n]).hexdigest() == digest
        pos += n
    assert pos == len(data)


def test_layout_not_used_where_it_cannot_apply(tmp_path):
    ds = make_rasm(n_time=24, ny=4, nx=5)
    plan = plan_encoding(ds, compression=1)
    enc = encode_piece(ds.isel(time=slice(0, 12)), plan)
    assert layout.layout_key(enc, "netcdf4") is None  # chunked + zlib
    plain = encode_piece(ds.isel(time=slice(0, 12)), plan_encoding(ds))
    assert layout.layout_key(plain, "netcdf4") is not None
    assert layout.layout_key(plain, "h5netcdf") is None
    unlimited = encode_piece(ds.isel(time=slice(0, 12)), plan_encoding(ds), ["time"])
    assert layout.layout_key(unlimited, "netcdf4") is None
    paths = save_chunks(
        ds, str(tmp_path), chunks={"time": 12}, parallel="serial", progress=False, compression=1
    )
    assert not any(isinstance(v, layout.Layout) for v in layout._CACHE.values())
    with xr.open_mfdataset(paths, combine="by_coords") as back:
        xr.testing.assert_identical(back.load(), ds)


def test_layout_key_separates_headers_that_differ():
    ds = make_rasm(n_time=24, ny=4, nx=5)
    piece = ds.isel(time=slice(0, 12))
    key = layout.layout_key(encode_piece(piece, plan_encoding(ds)), "netcdf4")
    other = piece.copy()
    other.attrs["title"] = "something else"
    assert layout.layout_key(encode_piece(other, plan_encoding(ds)), "netcdf4") != key
    nan_attr = piece.copy()
    nan_attr.Tair.attrs["valid_min"] = np.float64(-0.0)
    key2 = layout.layout_key(encode_piece(nan_attr, plan_encoding(ds)), "netcdf4")
    nan_attr.Tair.attrs["valid_min"] = np.float64(0.0)
    assert layout.layout_key(encode_piece(nan_attr, plan_encoding(ds)), "netcdf4") != key2


@pytest.mark.parametrize("case", sorted(CASES))
def test_encode_pieces_matches_encoding_each_piece(case):
    make, chunks = CASES[case]
    ds = make()
    plan = plan_encoding(ds)
    slices = chunk_slices(ds, chunks)
    for s, got in zip(slices, encode_pieces(ds, plan, slices)):
        want = encode_piece(ds.isel(s), plan)
        assert got.dims == want.dims and got.attrs.keys() == want.attrs.keys()
        assert [v.name for v in got.variables] == [v.name for v in want.variables]
        for g, w in zip(got.variables, want.variables):
            assert (g.dims, g.datatype, g.create) == (w.dims, w.datatype, w.create), g.name
            assert str(g.attrs) == str(w.attrs) and repr(g.fill_value) == repr(w.fill_value)
            np.testing.assert_array_equal(np.asarray(g.data), np.asarray(w.data))


def test_encode_pieces_slices_big_numpy_variables_without_copying():
    ds = make_rasm(n_time=36, ny=40, nx=50)  # Tair is 576 KB per piece, 1.7 MB whole
    slices = chunk_slices(ds, {"time": 12})
    pieces = encode_pieces(ds, plan_encoding(ds), slices)
    for s, piece in zip(slices, pieces):
        tair = next(v for v in piece.variables if v.name == "Tair")
        assert isinstance(tair.data, np.ndarray)
        assert np.shares_memory(tair.data, ds.Tair.values)
        np.testing.assert_array_equal(tair.data, ds.Tair.values[s["time"]])


def test_layout_on_processes_and_threads_round_trips(tmp_path):
    ds = make_rasm(n_time=60, ny=7, nx=8, seed=9)
    for parallel in ("processes", "threads"):
        paths = _write(tmp_path, "par", ds, {"time": 12}, True, parallel)
        with xr.open_mfdataset(paths, combine="by_coords") as back:
            xr.testing.assert_identical(back.load(), ds)


def _gone(pid):
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True  # reaped already
    return False


def test_fork_pool_reaps_children_when_the_caller_is_interrupted(tmp_path, monkeypatch):
    from fastiter.netcdf import forkpool, writer

    class Interrupting:
        def update(self, n=1):
            if n:
                raise KeyboardInterrupt

        def close(self):
            pass

    monkeypatch.setattr(writer, "make_progress", lambda *a: Interrupting())
    ds = make_rasm(n_time=12 * 20, ny=30, nx=40, chunks={"time": 12})
    with pytest.raises(KeyboardInterrupt):
        save_chunks(ds, str(tmp_path), workers=2, parallel="processes")
    assert len(forkpool.last_children) == 2
    assert all(_gone(pid) for pid in forkpool.last_children)
    names = os.listdir(tmp_path)
    assert not [n for n in names if ".tmp-" in n], names
    for n in names:
        if n.endswith(".nc"):
            with xr.open_dataset(tmp_path / n) as f:  # whatever is final is complete
                assert f.sizes["time"] == 12
    assert json.loads((tmp_path / "filename.manifest.json").read_text())["complete"] is False


def test_fork_pool_early_close_and_errors(tmp_path):
    from fastiter.netcdf import forkpool
    from fastiter.netcdf.filejob import FileJob
    from fastiter.netcdf.runners import run_jobs

    ds = make_rasm(n_time=12 * 8, ny=6, nx=7)
    plan = plan_encoding(ds)
    slices = chunk_slices(ds, {"time": 12})
    jobs = [
        FileJob(i, str(tmp_path / f"f{i}.nc"), "", ds.isel(s), plan, checksum=None)
        for i, s in enumerate(slices)
    ]
    gen = run_jobs(jobs, "processes", 2)
    first = next(gen)
    gen.close()
    assert all(_gone(pid) for pid in forkpool.last_children)
    assert os.path.exists(first.path)
    # every job exactly once, results carry what the manifest needs
    results = list(
        run_jobs(
            [
                FileJob(
                    j.index, str(tmp_path / f"g{j.index}.nc"), "", j.piece, plan, checksum="md5"
                )
                for j in jobs
            ],
            "processes",
            3,
        )
    )
    assert sorted(r.index for r in results) == list(range(8))
    for r in results:
        assert r.record["algorithm"] == "md5" and check_file(r.path, r.record) is None
        assert r.size == os.path.getsize(r.path) and r.nbytes > 0


def test_lazy_pieces_are_single_blocks_of_one_optimised_graph():
    import dask.array as da

    from fastiter.netcdf.blocks import LazyBlock

    ds = make_rasm(n_time=40, ny=5, nx=6, chunks={"time": 12})
    lazy = np.sqrt(np.sin(ds) ** 2 + np.cos(ds) ** 2)
    slices = chunk_slices(lazy)
    pieces = encode_pieces(lazy, plan_encoding(lazy), slices)
    want = lazy.Tair.values
    for s, piece in zip(slices, pieces):
        tair = next(v for v in piece.variables if v.name == "Tair")
        assert isinstance(tair.data, LazyBlock) and len(tair.data.graph) <= 3
        np.testing.assert_array_equal(tair.data.compute(), want[s["time"]])
    # a split that does not follow the dask chunks falls back to slicing
    odd = chunk_slices(lazy, {"time": 10})
    for s, piece in zip(odd, encode_pieces(lazy, plan_encoding(lazy), odd)):
        tair = next(v for v in piece.variables if v.name == "Tair")
        assert isinstance(tair.data, da.Array)
        np.testing.assert_array_equal(tair.data.compute(), want[s["time"]])


def test_processes_run_plain_copies_on_threads_and_forks_for_real_work(tmp_path, monkeypatch):
    from fastiter.netcdf import runners

    forked = []
    real = runners.run_forked

    def spy(jobs, n, died):
        forked.append(len(jobs))
        return real(jobs, n, died)

    monkeypatch.setattr(runners, "run_forked", spy)
    ds = make_rasm(n_time=36, ny=6, nx=7)
    paths = save_chunks(
        ds, str(tmp_path / "a"), chunks={"time": 12}, progress=False, parallel="processes"
    )
    assert forked == []  # numpy data, uncompressed: memory copies on threads
    save_chunks(
        ds,
        str(tmp_path / "b"),
        chunks={"time": 12},
        progress=False,
        compression=1,
        parallel="processes",
    )
    save_chunks(ds.chunk({"time": 12}), str(tmp_path / "c"), progress=False, parallel="processes")
    assert forked == [3, 3]
    with xr.open_mfdataset(paths, combine="by_coords") as back:
        xr.testing.assert_identical(back.load(), ds)
