"""Everything ``ds.to_netcdf`` writes, ``save_chunks`` writes, or refuses before writing
anything, naming the variable and why (issue 15, case 5)."""

import os

import numpy as np
import pytest
import xarray as xr

from fastiter.netcdf import save_chunks

KW = dict(naming="index", parallel="serial", progress=False)


def _base():
    rng = np.random.default_rng(0)
    return xr.Dataset(
        {"v": (("time", "y"), rng.standard_normal((24, 5)))}, coords={"time": np.arange(24)}
    )


def _mf(paths):
    with xr.open_mfdataset(
        paths, combine="by_coords", data_vars="minimal", coords="minimal", compat="override"
    ) as back:
        return back.load()


def _same_as_to_netcdf(tmp_path, ds, paths):
    ref = tmp_path / "ref.nc"
    ds.to_netcdf(ref)
    with xr.open_dataset(ref) as want:
        xr.testing.assert_identical(_mf(paths), want.load())


def test_empty_piece_is_skipped_and_the_set_is_complete(tmp_path):
    ds = _base()
    res = save_chunks(ds, str(tmp_path / "o"), chunks={"time": (24, 0)}, **KW)
    assert len(res) == 1 and res.empty == 1
    _same_as_to_netcdf(tmp_path, ds, res)
    doc = (tmp_path / "o" / "filename.manifest.json").read_text()
    assert '"complete": true' in doc
    res = save_chunks(ds, str(tmp_path / "o2"), chunks={"time": (0, 10, 0, 14, 0)}, **KW)
    assert len(res) == 2
    _same_as_to_netcdf(tmp_path, ds, res)


def test_a_dimension_of_length_zero_writes_one_valid_file(tmp_path):
    ds = _base().isel(time=slice(0, 0))
    res = save_chunks(ds, str(tmp_path / "o"), chunks={"time": 6}, **KW)
    assert len(res) == 1
    _same_as_to_netcdf(tmp_path, ds, res)


@pytest.mark.parametrize("lazy", [False, True])
def test_variable_length_strings(tmp_path, lazy):
    ds = _base().assign(s=("time", np.array([f"s{i}" * (i % 4) for i in range(24)], dtype=object)))
    if lazy:
        ds = ds.chunk({"time": 6})
    res = save_chunks(ds, str(tmp_path / "o"), chunks={"time": 6}, **KW)
    _same_as_to_netcdf(tmp_path, ds.load(), res)


def test_lazy_datetime_units_from_the_whole_variable(tmp_path):
    times = np.array(
        ["2000-01-01"] + [f"2000-01-{i + 2:02d}T05:00" for i in range(23)], dtype="datetime64[ns]"
    )
    ds = _base().assign(t=("time", times)).chunk({"time": 6})
    res = save_chunks(ds, str(tmp_path / "o"), chunks={"time": 6}, **KW)
    _same_as_to_netcdf(tmp_path, ds.load(), res)


def test_lazy_timedelta(tmp_path):
    deltas = np.array([0] + [3600 * (i + 1) + 7 for i in range(23)], dtype="timedelta64[s]")
    ds = _base().assign(d=("time", deltas.astype("timedelta64[ns]"))).chunk({"time": 6})
    res = save_chunks(ds, str(tmp_path / "o"), chunks={"time": 6}, **KW)
    _same_as_to_netcdf(tmp_path, ds.load(), res)


def test_bool_scalar_variable_and_dimensionless_coordinate(tmp_path):
    ds = _base().assign(b=("time", np.arange(24) % 3 == 0), sc=((), 3.5))
    ds = ds.assign_coords(height=2.0)
    res = save_chunks(ds, str(tmp_path / "o"), chunks={"time": 6}, **KW)
    _same_as_to_netcdf(tmp_path, ds, res)
    back = _mf(res)
    assert back.b.dtype == bool and back.sc.ndim == 0 and float(back.height) == 2.0


def test_complex_is_refused_before_anything_is_written(tmp_path):
    ds = _base().assign(c=("time", np.arange(24) * 1j))
    with pytest.raises(TypeError, match="'c'.*complex"):
        save_chunks(ds, str(tmp_path / "o"), chunks={"time": 6}, **KW)
    assert not (tmp_path / "o").exists()


def test_a_failing_encoding_is_refused_before_the_first_byte(tmp_path):
    ds = _base()
    ds.v.encoding["dtype"] = "not-a-dtype"
    with pytest.raises((TypeError, ValueError), match="v"):
        save_chunks(ds, str(tmp_path / "o"), chunks={"time": 6}, **KW)
    assert not os.path.exists(tmp_path / "o")
