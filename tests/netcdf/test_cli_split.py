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
    rc = main(
        [
            "split",
            str(src),
            str(out),
            "--dim",
            "time",
            "--size",
            "12",
            "--workers",
            "2",
            "--compress",
            "1",
            "--verify",
            "--no-progress",
            "--prefix",
            "rasm",
        ]
    )
    assert rc == 0
    text = capsys.readouterr().out
    for word in ("files", "3 (3 written)", "data bytes", "time", "MB/s"):
        assert word in text
    names = sorted(n for n in os.listdir(out) if n.endswith(".nc"))
    assert names == [
        "rasm_1980-09-16_1981-08-17.nc",
        "rasm_1981-09-16_1982-08-17.nc",
        "rasm_1982-09-16_1983-08-17.nc",
    ]
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


def test_split_words_errors_as_options_and_summarises_briefly(tmp_path, capsys):
    ds = make_rasm(n_time=24, ny=3, nx=4)
    inputs = []
    for i, part in enumerate((ds.isel(time=slice(0, 12)), ds.isel(time=slice(12, 24)))):
        inputs.append(str(tmp_path / f"in{i}.nc"))
        part.to_netcdf(inputs[-1])
    out = str(tmp_path / "out")
    assert (
        main(["split", *inputs, out, "--size", "6", "--workers", "2", "--verify", "--no-progress"])
        == 0
    )
    text = capsys.readouterr().out
    assert "2 input files" in text and inputs[0] not in text  # inputs are not echoed
    assert "verified" in text and "passed" in text
    assert "runner" in text and "2 workers" in text
    assert main(["split", *inputs, out, "--size", "6", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "--overwrite" in err and "--resume" in err and "overwrite=True" not in err
    # a different split of the same inputs cannot be resumed into the same set
    assert main(["split", *inputs, out, "--size", "12", "--resume", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "chunk plan" in err and "--overwrite" in err and "overwrite=True" not in err
    assert main(["split", *inputs, out, "--size", "6", "--resume", "--no-progress"]) == 0
    assert "4 kept by --resume" in capsys.readouterr().out
    assert main(["split", *inputs, out, "--strict", "--no-progress"]) == 2
    assert "--strict only applies with --resume" in capsys.readouterr().err
