"""One benchmark registry: the runtime never imports it, no case exists twice, bench/
runs every family of it, and ``fastiter bench --markdown`` prints the README's table."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from fastiter.bench import core, registry

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "fastiter"


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def test_no_runtime_module_imports_the_bench_package():
    top = {PKG / "cli.py", PKG / "benchmark.py"}  # the command and the old import path
    offenders = []
    for path in PKG.rglob("*.py"):
        if PKG / "bench" in path.parents or path in top:
            continue
        if any(
            n == "fastiter.bench" or n.startswith("fastiter.bench.") or n == "fastiter.benchmark"
            for n in _imports(path)
        ):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_no_case_module_is_left_inside_the_runtime_subpackages():
    assert sorted(
        str(p.relative_to(ROOT)) for p in PKG.rglob("*bench*.py") if PKG / "bench" not in p.parents
    ) == ["fastiter/benchmark.py"]


def test_the_bench_package_imports_no_private_module_of_a_subpackage():
    """fastiter._env (the package's own settings) is fine; fastiter._core._ring or
    fastiter.iterators._order are another subpackage's private modules."""
    for path in (PKG / "bench").glob("*.py"):
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "fastiter" and len(parts) > 2 and parts[1] != "bench":
                assert not any(p.startswith("_") and not p.startswith("__") for p in parts[2:]), (
                    path.name,
                    name,
                )


@pytest.fixture(scope="module")
def smoke_cases():
    return {f.name: f.build("smoke") for f in registry.FAMILIES if not f.missing()}


def test_every_case_has_one_key_and_every_check_passes(smoke_cases):
    keys = [c.key for cases in smoke_cases.values() for c in cases]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
    for cases in smoke_cases.values():
        for c in cases:
            assert c.fastiter is not None and (c.peers or c.ceiling), c.key
            if c.check is not None:
                c.check()


def test_bench_folder_runs_every_family_once():
    listed = []
    for path in sorted((ROOT / "bench").glob("bench_*.py")):
        m = re.search(r"^FAMILIES = (\[.*?\])", path.read_text(), re.M)
        if m:
            listed += ast.literal_eval(m.group(1))
    assert sorted(listed) == sorted(f.name for f in registry.FAMILIES)


#: the README table's rows (issue 19 item 5), each with the registry case that measures it
README_ROWS = {
    "one-hot 10⁶ × 10, out=": "one_hot 1Mx10 out=",
    "one-hot 10⁵ × 1000, out=": "one_hot 100kx1000 out=",
    "pad + mask 10k sequences": "pad align_start list out=",
    "gather 1024 × 128": "gather out=",
    "collate 1024": "collate out=",
    "uniform 64M": "random uniform out=",
    "normal 64M": "random normal out=",
    "hand-off, large ring": "hand-off Ring(65536)",
    "hand-off, same capacity": "hand-off Ring(8)",
    "async consumer-bound": "async consumer-bound",
    "async overhead per batch": "async overhead",
    "async overlap, C ~ 2P, with DataLoader": "async overlap",
    "async scaling, producer-bound": "async scaling",
    "MNIST epoch": "mnist epoch",
    "netCDF pure write": "netcdf write",
    "netCDF compute included, with the limit": "netcdf compute 216MB",
    "netCDF zlib 1": "netcdf zlib1",
}


def test_the_full_run_has_every_readme_row_with_numba_where_it_applies(smoke_cases):
    by_key = {c.key: c for cases in smoke_cases.values() for c in cases}
    for row, key in README_ROWS.items():
        assert key in by_key, row
    for key in ("one_hot 1Mx10 out=", "pad align_end flat+offsets out=", "gather out="):
        assert "numba prange, preallocated" in by_key[key].peers
    same = by_key["hand-off Ring(8)"].peers
    assert "queue.Queue(8)" in same
    assert "queue.Queue(8)" not in by_key["hand-off Ring(65536)"].peers
    limit = by_key["netcdf compute 216MB"].ceilings()
    assert sorted(limit) == ["compute alone (dask threads)", "page-cache write of the bytes"]


def test_a_limit_is_the_slowest_of_its_parts():
    case = core.Case(
        "c", lambda: None, {}, 8, ceiling={"fast": lambda: None, "slow": lambda: sum(range(20_000))}
    )
    row = core.run_case(case, repeat=2, min_time=0.001)
    assert row["ceiling_s"] == max(row["ceiling_parts"].values())
    assert row["ceiling_s"] == row["ceiling_parts"]["slow"]


def test_markdown_table_names_the_machine_and_every_peer():
    rows = [
        {
            "group": "one-hot",
            "fastiter_s": 2.9e-3,
            "gbps": 13.0,
            "ceiling_s": 8e-3,
            "x_ceiling": 0.36,
            "notes": ["torch: skipped (not installed)"],
            "peers": {
                "numba prange, preallocated": {"seconds": 3.1e-3, "ratio": 1.07},
                "numpy": {"seconds": 37.9e-3, "ratio": 13.07},
            },
        },
        {
            "group": "netCDF compute",
            "fastiter_s": 0.9,
            "gbps": 0.24,
            "ceiling_s": 0.39,
            "x_ceiling": 2.31,
            "ceiling_parts": {"compute": 0.39, "write": 0.037},
            "notes": [],
            "peers": {"one to_netcdf": {"seconds": 0.70, "ratio": 0.78}},
        },
        {
            "group": "hand-off Ring(8)",
            "fastiter_s": 0.1,
            "gbps": 0.0,
            "items": 100_000,
            "notes": [],
            "peers": {"queue.Queue(8)": {"seconds": 0.5, "ratio": 5.0}},
        },
    ]
    meta = {
        "date": "2026-12-03 12:00:00 UTC",
        "cpu": "Some CPU @ 2GHz",
        "cores": 2,
        "memory_gib": 23.4,
        "versions": {"python": "3.11.7", "numpy": "2.4.6"},
        "load_1min": 1.5,
    }
    text = core.markdown_table(rows, meta)
    assert "Some CPU @ 2GHz, 2 cores" in text and "2026-12-03" in text
    assert "python 3.11.7" in text and "load average 1.50" in text
    lines = [ln for ln in text.splitlines() if ln.startswith("| ")]
    assert lines[0] == "| workload | fastiter | peers and ceiling (same run) | speed-up |"
    one_hot, netcdf, ring = lines[1:]
    assert one_hot == (
        "| one-hot | 2.90 ms | numba prange, preallocated 3.10 ms · numpy "
        "37.9 ms · ceiling 8.00 ms · torch: skipped (not installed) | "
        "1.07× · 13.1× · 0.36× the ceiling's time |"
    )
    assert "limit max(compute 390 ms, write 37.0 ms)" in netcdf
    assert "2.31× the limit's time" in netcdf
    assert "| 1.00 M items/s |" in ring and "queue.Queue(8) 0.200 M items/s" in ring


def test_markdown_option_prints_the_table(tmp_path):
    import subprocess
    import sys

    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "fastiter.cli",
            "bench",
            "--quick",
            "--only",
            "gather_scaled",
            "--markdown",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    table = res.stdout[res.stdout.index("Measured with `fastiter bench --markdown` on ") :]
    assert "| gather_scaled 128x784 u8->f32 out= |" in table
    assert (tmp_path / "results.md").read_text() in res.stdout


def test_only_names_the_families_when_it_gets_a_wrong_one(tmp_path):
    with pytest.raises(ValueError, match=r"family='nope': expected one of \['one_hot'"):
        registry.family("nope")
