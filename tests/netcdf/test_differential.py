"""Differential test: ``save_chunks`` + ``open_mfdataset`` against ``ds.to_netcdf`` +
``open_dataset``, over generated datasets.

Each case is drawn from its own seed (printed in the test id, so a failure replays with
``-k 'case-<seed>'``): dtypes (ints with fill values, floats with NaN and a
``_FillValue``, bool, variable-length strings, datetime64 with NaT, timedelta64), scalar
variables and dimensionless coordinates, chunk plans with uneven and empty pieces, split
along one or two dimensions, numpy-backed or dask-backed (split by its own dask chunks).
Most cases run serially or on threads to stay quick; every 25th runs on processes.
"""

import numpy as np
import pytest
import xarray as xr

from fastiter.netcdf import save_chunks

CASES = 220
INTS = ["int8", "int16", "int32", "int64", "uint8", "uint16"]
KINDS = ["f4", "f8", "int", "bool", "str", "datetime", "timedelta", "f8"]


def _values(rng, kind, shape):
    """(values, encoding) for one variable of ``kind``."""
    n = int(np.prod(shape))
    if kind in ("f4", "f8"):
        v = rng.standard_normal(n).astype(kind)
        v[rng.random(n) < 0.2] = np.nan
        enc = {"_FillValue": np.array(-9999, kind)[()]} if rng.random() < 0.5 else {}
        return v.reshape(shape), enc
    if kind == "int":
        dt = np.dtype(INTS[rng.integers(len(INTS))])
        info = np.iinfo(dt)
        v = rng.integers(max(info.min, -1000), min(info.max, 1000), n).astype(dt)
        enc = {}
        if rng.random() < 0.4:  # a masked integer: float with NaN written as int + fill
            fill = dt.type(info.max)
            out = v.astype("f8")
            out[rng.random(n) < 0.2] = np.nan
            return out.reshape(shape), {"_FillValue": fill, "dtype": dt}
        return v.reshape(shape), enc
    if kind == "bool":
        return (rng.random(n) < 0.5).reshape(shape), {}
    if kind == "str":
        words = np.array(
            [("w" * int(k)) + str(int(k)) for k in rng.integers(0, 7, n)], dtype=object
        )
        return words.reshape(shape), {}
    if kind == "datetime":
        base = np.datetime64("1999-12-31T00:00", "ns")
        step = rng.choice([3600, 86400, 90, 1]).astype("i8")
        v = base + (rng.integers(0, 400, n) * step).astype("timedelta64[s]")
        v = v.astype("datetime64[ns]")
        if rng.random() < 0.3 and n:
            v[rng.integers(n)] = np.datetime64("NaT")
        return v.reshape(shape), {}
    v = (rng.integers(0, 10_000, n) * rng.choice([1, 60, 3600])).astype("timedelta64[s]")
    return v.astype("timedelta64[ns]").reshape(shape), {}


def _sizes(rng, n):
    """A chunk spec along a dimension of length ``n``: int, or a tuple with 0s."""
    if n == 0 or rng.random() < 0.4:
        return int(rng.integers(1, max(n, 1) + 2))
    cuts = np.sort(rng.integers(0, n + 1, rng.integers(1, 4)))
    sizes = np.diff(np.concatenate([[0], cuts, [n]])).tolist()
    if rng.random() < 0.3:
        sizes.insert(int(rng.integers(len(sizes) + 1)), 0)  # an empty piece
    return tuple(int(s) for s in sizes)


def _dataset(rng):
    nt = int(rng.choice([0, 1, 2, 5, 7, 12, 13]))
    nx = int(rng.integers(1, 5))
    times = np.datetime64("2001-01-01", "ns") + np.arange(nt) * np.timedelta64(6, "h")
    coords = {"time": times if rng.random() < 0.6 else np.arange(nt) * 10}
    if rng.random() < 0.5:
        coords["x"] = np.arange(nx) * 0.5
    if rng.random() < 0.3:
        coords["height"] = 2.5  # a coordinate without a dimension
    data_vars = {}
    for i in range(int(rng.integers(1, 4))):
        dims = [("time", "x"), ("time",), ("x",), ()][rng.choice(4, p=[0.5, 0.3, 0.1, 0.1])]
        shape = tuple({"time": nt, "x": nx}[d] for d in dims)
        kind = KINDS[rng.integers(len(KINDS))]
        values, enc = _values(rng, kind, shape)
        attrs = {} if kind in ("datetime", "timedelta") else {"units": f"u{i}"}
        data_vars[f"v{i}"] = xr.Variable(dims, values, attrs, enc)
    ds = xr.Dataset(data_vars, coords=coords, attrs={"title": "generated", "n": nt})
    split = {"time": _sizes(rng, nt)}
    if "x" in coords and rng.random() < 0.25:
        split["x"] = _sizes(rng, nx)
    return ds, split


def _reference(ds, path):
    import warnings

    with warnings.catch_warnings():
        # xarray warns that it loads lazy object (string) variables to type them
        warnings.filterwarnings("ignore", "variable .* dtype=object")
        ds.to_netcdf(path)
    with xr.open_dataset(path) as want:
        return want.load()


def _mf(paths):
    dims = ("time", "x")
    with xr.open_mfdataset(
        paths,
        combine="by_coords",
        data_vars="minimal",
        coords="minimal",
        compat="override",
        join="outer",
    ) as back:
        back = back.load()
    return back.transpose(*[d for d in dims if d in back.dims], ...)


# xarray's mask coder casts NaN to the integer dtype before it fills them (both sides)
@pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")
@pytest.mark.parametrize("seed", [pytest.param(s, id=f"case-{s}") for s in range(CASES)])
def test_save_chunks_matches_to_netcdf(tmp_path, seed):
    rng = np.random.default_rng([15, seed])
    ds, split = _dataset(rng)
    lazy = rng.random() < 0.35
    kw = {"chunks": split}
    if lazy:
        ds = ds.chunk(split)
        kw = {"chunks": None} if rng.random() < 0.5 and dict(ds.chunks) else kw
    parallel = "processes" if seed % 25 == 0 else ("threads" if seed % 3 == 0 else "serial")
    want = _reference(ds, tmp_path / "ref.nc")
    paths = save_chunks(
        ds,
        str(tmp_path / "out"),
        naming="index",
        parallel=parallel,
        workers=2,
        progress=False,
        **kw,
    )
    assert len(paths) >= 1 and len(paths) == len(paths.written)
    got = _mf(list(paths))
    # open_mfdataset puts variables in file order; compare as sets of variables
    xr.testing.assert_identical(got[list(want.variables)], want)
    assert set(got.variables) == set(want.variables)
