import subprocess
import sys


def test_demo_prints_summary():
    res = subprocess.run([sys.executable, "-m", "fastiter.cli", "demo", "--examples", "1000"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "fastiter demo" in res.stdout and "1000 examples" in res.stdout
