"""make_rasm: the values are a plain function of (seed, step), whatever the chunking."""

import numpy as np
import pytest

from fastiter.netcdf import make_rasm
from fastiter.netcdf.rasm import _grid


def _reference(n_time, ny, nx, seed):
    """The generator written the obvious way, one step at a time."""
    _, yc, ocean = _grid(ny, nx)
    out = []
    for step in range(n_time):
        month = (8 + step) % 12 + 1
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, step])))
        season = 15.0 * np.cos(2.0 * np.pi * (month - 7) / 12.0)
        t = -30.0 + 0.8 * (90.0 - yc) + season + rng.standard_normal(yc.shape)
        t[ocean] = np.nan
        out.append(t)
    return np.stack(out)


@pytest.mark.parametrize("chunks", [None, {"time": 5}, {"time": 12}])
def test_values_bit_identical_to_the_reference(chunks):
    ds = make_rasm(n_time=14, ny=9, nx=11, seed=7, chunks=chunks)
    got = ds.Tair.values
    want = _reference(14, 9, 11, 7)
    assert got.tobytes() == want.tobytes()
    assert np.isnan(got).any() and np.isfinite(got).any()
