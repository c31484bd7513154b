"""A lazy variable without the split dimension (a coordinate, a static field) holds the
same values in every file: its compute runs once per write, not once per file."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import xarray as xr

from fastiter.netcdf import save_chunks


@pytest.mark.parametrize("runner", ["serial", "threads", "processes"])
def test_a_variable_every_file_shares_is_computed_once(tmp_path, runner):
    calls = tmp_path / "calls"
    calls.mkdir()

    def costly(block):  # counted through files: forked children count too
        (calls / f"{len(list(calls.iterdir()))}-{np.random.randint(1 << 30)}").touch()
        return block * 2.0

    lat = da.map_blocks(
        costly, da.from_array(np.arange(4.0), chunks=4), dtype=float, meta=np.empty(0)
    )
    ds = xr.Dataset(
        {"v": (("time", "lat"), da.ones((6, 4), chunks=(2, 4)))},
        coords={"lat_scaled": ("lat", lat), "time": np.arange(6)},
    )
    paths = save_chunks(
        ds, tmp_path / "out", parallel=runner, workers=2, progress=False, naming="index"
    )
    assert len(paths) == 3
    assert len(list(calls.iterdir())) == 1, "computed once per file instead of once"
    with xr.open_mfdataset(paths, combine="by_coords") as back:
        np.testing.assert_array_equal(back["lat_scaled"].values, np.arange(4.0) * 2)
        np.testing.assert_array_equal(back["v"].values, np.ones((6, 4)))
