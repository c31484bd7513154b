"""xarray's internals that fastiter.netcdf relies on are still there and still behave.

pyproject.toml caps xarray because of fastiter/netcdf/_xarray_private.py; these tests are
what a new xarray release has to pass before that cap moves up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from fastiter.netcdf import _xarray_private as xp


def test_every_private_name_and_signature_is_unchanged():
    assert xp.changed() == [], (
        f"xarray {xr.__version__} changed internals fastiter.netcdf uses: {xp.changed()}"
    )


def test_a_changed_signature_is_reported(monkeypatch):
    # The check itself can fail: rename a parameter the way a release might.
    def renamed(variable, *, raise_on_invalid=False):
        return {}

    monkeypatch.setattr(xp._nc4, "_extract_nc4_variable_encoding", renamed)
    assert any("_extract_nc4_variable_encoding" in p for p in xp.changed())
    monkeypatch.delattr(xp._locks, "NETCDFC_LOCK")
    assert any("NETCDFC_LOCK is gone" in p for p in xp.changed())


def test_the_encoders_still_do_what_the_writer_needs():
    times = pd.date_range("2000-01-01", periods=3, freq="D")
    num, units, calendar = xp.encode_cf_datetime(times.values, "days since 2000-01-01", "standard")
    np.testing.assert_array_equal(num, [0, 1, 2])
    assert (units, calendar) == ("days since 2000-01-01", "standard")
    num, units = xp.encode_cf_timedelta(np.array([0, 2], "timedelta64[h]"), "hours")
    np.testing.assert_array_equal(num, [0, 2])

    ds = xr.Dataset(
        {"t": (("time", "x"), np.arange(6, dtype=">f4").reshape(3, 2))},
        coords={"time": times, "lat": ("x", [1.0, 2.0])},
    )
    variables, attrs = xp.encode_dataset_coordinates(ds)
    assert variables["t"].attrs["coordinates"] == "lat"
    variables, attrs = xp.cf_encoder(variables, attrs)
    assert variables["time"].dtype.kind in "iu" and "since" in variables["time"].attrs["units"]
    var = xp.force_native_endianness(variables["t"])
    assert var.dtype == np.dtype("float32") and var.dtype.isnative
    var = xp.encode_nc4_variable(var, name="t")
    assert xp.nc4_dtype(var) == np.dtype("float32")
    var.encoding = {"zlib": True, "complevel": 3, "bogus": 1}
    with pytest.raises(ValueError, match="bogus"):
        xp.extract_nc4_variable_encoding(var, raise_on_invalid=True, unlimited_dims=[])
    var.encoding = {"zlib": True, "complevel": 3}
    # netCDF4.createVariable keywords, as the writer passes them on
    assert xp.extract_nc4_variable_encoding(var, raise_on_invalid=True, unlimited_dims=[]) == {
        "compression": "zlib",
        "complevel": 3,
    }
    with xp.HDF5_LOCK, xp.NETCDFC_LOCK:  # the writer holds both across fork
        pass
