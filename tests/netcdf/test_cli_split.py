"""``fastiter split`` end to end."""
import os

import xarray as xr

from fastiter.cli import main
from fastiter.netcdf import make_rasm


def test_split_writes_verifies_and_summarises(tmp_path, capsys):
    src = tmp_path / "in.nc"
    ds = make_rasm(ny=6, nx=7)
    ds.to_netcdf(src)
    out = tmp_path / "out"
    rc = main(["split", str(src), str(out), "--dim", "time", "--size", "12", "--workers", "2",
               "--compress", "1", "--verify", "--no-progress", "--prefix", "rasm"])
    assert rc == 0
    text = capsys.readouterr().out
    for word in ("files", "3 (3 written)", "data bytes", "time", "MB/s"):
        assert word in text
    names = sorted(n for n in os.listdir(out) if n.endswith(".nc"))
    assert names == ["rasm_1980-09-16_1981-08-17.nc", "rasm_1981-09-16_1982-08-17.nc",
                     "rasm_1982-09-16_1983-08-17.nc"]
    with xr.open_mfdataset([str(out / n) for n in names], combine="by_coords") as back:
        xr.testing.assert_identical(back.load(), ds)
    # a second run refuses to clobber and says why
    assert main(["split", str(src), str(out), "--no-progress", "--prefix", "rasm"]) == 2
    assert "already exist" in capsys.readouterr().err


def test_split_bad_arguments(tmp_path, capsys):
    assert main(["split", str(tmp_path / "missing.nc"), str(tmp_path / "o")]) == 2
    assert "not found" in capsys.readouterr().err
    src = tmp_path / "in.nc"
    make_rasm(n_time=3, ny=2, nx=2).to_netcdf(src)
    assert main(["split", str(src), str(tmp_path / "o"), "--dim", "lat"]) == 2
    assert "no dimension 'lat'" in capsys.readouterr().err
    assert main(["split", str(src), str(tmp_path / "o"), "--size", "0"]) == 2
