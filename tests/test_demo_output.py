"""``fastiter demo`` explains what it measured and accounts for every folder it writes."""

from __future__ import annotations

import os
import subprocess
import sys

SMALL = ["--years", "3", "--ny", "21", "--nx", "27", "--batch-size", "4"]


def _demo(*args, env=None):
    res = subprocess.run(
        [sys.executable, "-m", "fastiter.cli", "demo", *SMALL, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert res.returncode == 0, res.stderr
    return " ".join(res.stdout.split())  # explanations are wrapped: compare words


def test_demo_keeps_only_its_files_and_names_every_folder(tmp_path):
    out = tmp_path / "demo"
    text = _demo("--out", str(out))
    assert sorted(p.name for p in out.iterdir()) == ["fastiter"]  # comparison copies gone
    for folder in ("fastiter", "xarray", "again"):
        assert str(out / folder) in text, (folder, text)
    assert "removed" in text and f"kept: {out / 'fastiter'}" in text


def test_demo_in_a_temporary_folder_leaves_nothing(tmp_path):
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    text = _demo("--no-compare", env=env)
    assert os.listdir(tmp_path) == []
    assert "temporary folder" in text and "removed" in text


def test_demo_explains_p_c_overlap_workers_and_the_loss(tmp_path):
    text = _demo("--out", str(tmp_path / "d"), "--no-compare", "--workers", "2")
    for words in (
        "P, the producer alone",
        "C, the training alone",
        "max(P, C)",
        "P + C",
        "while the training",
        "2 producer threads",
        "in the order one thread would have made them",
    ):
        assert words in text, (words, text)
    assert "Training loss" in text and "not a training recipe" in text
