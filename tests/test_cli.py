import subprocess
import sys


def test_demo_runs_the_whole_mission_small(tmp_path):
    out = tmp_path / "demo"
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "fastiter.cli",
            "demo",
            "--years",
            "3",
            "--ny",
            "21",
            "--nx",
            "27",
            "--batch-size",
            "4",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    text = res.stdout
    for step in ("[1] generated", "[2] wrote 3 files", "[3] pipeline", "[4] "):
        assert step in text, text
    kept = sorted(p.name for p in (out / "fastiter").glob("*.nc"))
    assert kept == [
        "filename_1980-09-16_1981-08-17.nc",
        "filename_1981-09-16_1982-08-17.nc",
        "filename_1982-09-16_1983-08-17.nc",
    ]
    assert "xr.save_mfdataset" in text and "batches/s" in text
