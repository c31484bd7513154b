"""``fastiter bench`` says what it measured: ratios in words, columns that line up, a
chart whose labels are the JSON's ratios, and every workload family in ``--quick``."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from fastiter import benchmark  # the old import path of fastiter.bench.core

ROWS = [  # one win, one loss, one case without a ceiling, names of different lengths
    {
        "group": "a rather long case name, 1024 x 128 f32",
        "fastiter_s": 2.1e-3,
        "gbps": 3.2,
        "ceiling_s": 1.32e-3,
        "x_ceiling": 1.59,
        "peers": {
            "numpy": {"seconds": 0.0271, "ratio": 12.9},
            "torch index_select": {"seconds": 1.49e-3, "ratio": 0.71},
        },
        "notes": ["a note"],
    },
    {
        "group": "short",
        "fastiter_s": 2.1e-5,
        "gbps": 0.1,
        "peers": {"queue": {"seconds": 5.04e-3, "ratio": 240.0}},
        "notes": [],
    },
]


def _label_ratio(text: str) -> float:
    """The ratio a chart label stands for: '12.9× faster' -> 12.9, '1.41× slower' -> 1/1.41."""
    m = re.fullmatch(r"([\d.]+)× (faster|slower)", text)
    assert m, f"not a ratio label: {text!r}"
    value = float(m.group(1))
    return value if m.group(2) == "faster" else 1 / value


def test_text_report_words_ratios_and_aligns_columns():
    lines = benchmark.format_rows(ROWS)
    header, case1, win, loss, note, case2, win2 = lines
    assert win.strip() == "12.9× faster than numpy (27.1 ms)"
    assert loss.strip() == "1.41× slower than torch index_select (1.49 ms)"
    assert case1.endswith("1.59× the ceiling's time")
    assert win2.strip() == "240× faster than queue (5.04 ms)"
    # the value columns start at the same place on every case line, whatever the name
    col = header.index("fastiter")
    assert len(ROWS[0]["group"]) < col and case1[col - 2 : col] == "  "
    assert case1.index("3.20") == case2.index("0.10")


def test_chart_labels_are_the_ratios_in_order(tmp_path):
    labels = benchmark.plot_ratios(ROWS, tmp_path / "c.png")
    assert labels == ["12.9× faster", "1.41× slower", "240× faster"]
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    res = subprocess.run(
        [sys.executable, "-m", "fastiter.cli", "bench", "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert res.returncode == 0, res.stderr
    return out, res.stdout, json.loads((out / "results.json").read_text())


@pytest.mark.slow
def test_bench_quick_writes_json_and_png(quick_run):
    """``fastiter bench --quick`` from the command line: results.json with a ratio for
    every peer, and the chart."""
    out, _, data = quick_run
    groups = [r["group"] for r in data["results"]]
    for kind in ("one_hot", "gather_scaled", "netCDF pure write"):  # kernel, iterator, writer
        assert any(g.startswith(kind) for g in groups), groups
    for r in data["results"]:
        assert r["fastiter_s"] > 0 and r["gbps"] > 0
        for peer in r["peers"].values():
            assert peer["ratio"] > 0
    png = (out / "results.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000


@pytest.mark.slow
def test_quick_covers_every_workload_family(quick_run):
    _, _, data = quick_run
    groups = [r["group"] for r in data["results"]]
    for family in (
        "one_hot",
        "gather_scaled",
        "pad",
        "gather ",
        "collate",
        "random",
        "hand-off",
        "normalizer",
        "shuffled epoch",
        "DataSet save",
        "netCDF",
        "async consumer-bound",
        "NetCDFDataSetIterator",
    ):
        assert sum(g.startswith(family) for g in groups) >= 1, (family, groups)


@pytest.mark.slow
def test_quick_text_names_every_peer_in_words(quick_run):
    _, stdout, data = quick_run
    for r in data["results"]:
        for peer, v in r["peers"].items():
            assert benchmark.describe_ratio(v["ratio"], peer) in stdout
        if "x_ceiling" in r:
            assert benchmark.describe_ceiling(r["x_ceiling"]) in stdout
    assert "x ceiling" not in stdout and "speed-up vs" not in stdout


@pytest.mark.slow
def test_png_labels_match_the_json(quick_run):
    out, _, data = quick_run
    assert (out / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    labels = data["chart_labels"]  # read back from the figure that results.png holds
    ratios = [v["ratio"] for r in data["results"] for v in r["peers"].values()]
    assert len(labels) == len(ratios)
    for text, ratio in zip(labels, ratios):
        assert _label_ratio(text) == pytest.approx(ratio, rel=0.01), (text, ratio)
