import subprocess
import sys


def test_demo_prints_summary():
    res = subprocess.run([sys.executable, "-m", "fastiter.cli", "demo", "--examples", "1000"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "fastiter demo" in res.stdout and "1000 examples" in res.stdout


def test_bench_quick_writes_json_and_png(tmp_path):
    import json

    res = subprocess.run([sys.executable, "-m", "fastiter.cli", "bench", "--quick",
                          "--out", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    data = json.loads((tmp_path / "results.json").read_text())
    groups = [r["group"] for r in data["results"]]
    assert any(g.startswith("one_hot") for g in groups)
    for r in data["results"]:
        assert r["fastiter_s"] > 0 and r["gbps"] > 0
        for peer in r["peers"].values():
            assert peer["ratio"] > 0
    png = (tmp_path / "results.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000
