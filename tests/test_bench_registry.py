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
    return {f.name: f.build("smoke") for f in registry.FAMILIES if f.skip_reason() is None}


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
    "C→C hand-off": "hand-off C->C",
    "netCDF on LocalCluster(2×1)": "netcdf cluster",
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
    """Every row is in a family of the default full run (not opt-in); a family that
    cannot run here (no compiler, no distributed) is skipped with a note, not absent."""
    by_key = {c.key: c for cases in smoke_cases.values() for c in cases}
    default = {f.name for f in registry.selected()}
    assert default == {f.name for f in registry.FAMILIES if not f.opt_in}
    skipped = {f.name for f in registry.FAMILIES if f.skip_reason() is not None}
    assert skipped <= {"handoff_c", "netcdf_cluster", "netcdf_write", "netcdf_read"}, skipped
    assert set(smoke_cases) | skipped == {f.name for f in registry.FAMILIES}
    for row, key in README_ROWS.items():
        assert key in by_key or any(
            f in skipped for f in ("handoff_c", "netcdf_cluster", "netcdf_write")
        ), row
    if "handoff_c" in smoke_cases:
        assert "hand-off C->C" in by_key
    if "netcdf_cluster" in smoke_cases:
        assert "netcdf cluster" in by_key
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
    # the load average alone did not say whether a 2-thread row had its second core
    import json

    meta = json.loads((tmp_path / "results.json").read_text())["meta"]
    start, end = meta["cores_free"], meta["cores_free_end"]
    assert f"cores free by a compute probe {start:.2f} at the start, {end:.2f} at the end" in table


def test_only_names_the_families_when_it_gets_a_wrong_one(tmp_path):
    with pytest.raises(ValueError, match=r"family='nope': expected one of \['one_hot'"):
        registry.family("nope")


# --- the registry runner interleaves the roles (issue 18 step 3, issue 19 item 5) --------
class _FakeClock:
    """A clock that moves only when a role runs: each role costs a known time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.log: list[str] = []

    def __call__(self) -> float:
        return self.now

    def role(self, name: str, cost: float):
        def run() -> None:
            self.log.append(name)
            self.now += cost

        return run


def test_the_runner_interleaves_the_roles_round_by_round_on_a_fake_clock():
    clock = _FakeClock()
    case = core.Case(
        "c",
        clock.role("fastiter", 2.0),
        {"numpy": clock.role("numpy", 5.0), "torch": None},
        8,
        ceiling=clock.role("ceiling", 1.0),
    )
    row = core.run_case(case, repeat=3, min_time=0.0, clock=clock)
    warm = ["fastiter", "ceiling", "numpy"]
    assert clock.log == warm + warm + warm[::-1] + warm
    assert row["fastiter_s"] == 2.0 and row["ceiling_s"] == 1.0
    assert row["peers"] == {"numpy": {"seconds": 5.0, "ratio": 2.5}}
    assert row["x_ceiling"] == 2.0
    assert "torch: skipped (not installed)" in row["notes"]


def test_a_load_change_between_rounds_hits_every_role_alike():
    """The machine slows down 10x after the first round: timed one role after another,
    fastiter would have its best in round 1 and the peer none; interleaved, both do."""
    clock = _FakeClock()
    slow = {"factor": 1.0}

    def role(name: str, cost: float):
        def run() -> None:
            clock.log.append(name)
            clock.now += cost * slow["factor"]
            if len(clock.log) == 4:  # warm-up (2) and round 1 (2) done
                slow["factor"] = 10.0

        return run

    case = core.Case("c", role("fastiter", 1.0), {"peer": role("peer", 3.0)}, 8)
    row = core.run_case(case, repeat=3, min_time=0.0, clock=clock)
    assert row["peers"]["peer"]["ratio"] == 3.0


def test_a_case_with_setup_times_one_call_after_each_setup_and_is_closed():
    clock = _FakeClock()
    closed = []
    case = core.Case(
        "c",
        clock.role("fastiter", 2.0),
        {"peer": clock.role("peer", 4.0)},
        8,
        setup=lambda: clock.log.append("setup"),
        rounds=2,
        close=lambda: closed.append(True),
    )
    row = core.run_case(case, repeat=5, min_time=10.0, clock=clock)
    assert clock.log == ["setup", "fastiter", "setup", "peer"] * 2 + [
        "setup",
        "peer",
        "setup",
        "fastiter",
    ]
    assert row["fastiter_s"] == 2.0 and row["peers"]["peer"]["ratio"] == 2.0
    assert closed == [True]


# --- what used to be defined a second time outside the registry ---------------------------
def _test_names(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [
        n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test")
    ]


def test_the_writer_and_c_handoff_cases_live_only_in_the_registry():
    assert _test_names(ROOT / "bench" / "bench_netcdf.py") == ["test_case"]
    assert "test_handoff_c" not in _test_names(ROOT / "bench" / "bench_async.py")
    assert not (ROOT / "bench" / "netcdf_limit.py").exists()
    assert not (ROOT / "bench" / "netcdf_record_cost.py").exists()
    profile = (ROOT / "bench" / "netcdf_limit_profile.py").read_text()
    assert "compute_case" in profile and "Case(" not in profile
    assert "dask.persist" not in profile and ".compute()" not in profile


@pytest.mark.skipif(registry.family("netcdf_write").skip_reason() is not None, reason="no xarray")
def test_the_writer_cases_carry_every_runner_record_and_fsync_variant(smoke_cases):
    by_key = {c.key: c for c in smoke_cases["netcdf_write"]}
    for key in ("netcdf compute 16MB", "netcdf compute 216MB"):
        peers = by_key[key].peers
        for runner in ("processes", "threads", "serial"):
            assert f"fastiter parallel={runner!r}" in peers
        assert {"fastiter, no integrity record", "xr.save_mfdataset", "one to_netcdf"} <= set(peers)
    write = by_key["netcdf write"].peers
    assert {
        "fastiter, no integrity record",
        "fastiter, crc32 record",
        "fastiter, sha256 record",
        "fastiter, fsync, no record",
        "raw .npy by 2 processes",
    } <= set(write)
    (large,) = registry.family("netcdf_large").build("smoke")
    assert large.key == "netcdf compute 1GB" and sorted(large.ceilings()) == sorted(
        by_key["netcdf compute 216MB"].ceilings()
    )


def test_the_1gb_row_is_opt_in():
    names = [f.name for f in registry.selected()]
    assert "netcdf_large" not in names
    assert [f.name for f in registry.selected(large=True)] == [*names, "netcdf_large"]
    assert [f.name for f in registry.selected(["netcdf_large"])] == ["netcdf_large"]


def test_the_cold_cache_reads_run_with_only(smoke_cases):
    """Issue 20: the cold case is `fastiter bench --only netcdf_read_cold`, not part of
    the default run nor of --large; it evicts before every timed call and names every
    peer, with batches/s."""
    assert "netcdf_read_cold" not in [f.name for f in registry.selected(large=True)]
    assert [f.name for f in registry.selected(["netcdf_read_cold"])] == ["netcdf_read_cold"]
    if "netcdf_read_cold" not in smoke_cases:
        pytest.skip("netCDF extras not installed")
    cold = {c.key: c for c in smoke_cases["netcdf_read_cold"]}
    assert sorted(cold) == ["netcdf read steps cold", "netcdf read windows cold"]
    warm = {c.key: c for c in smoke_cases["netcdf_read"]}
    for key, case in cold.items():
        assert case.setup is not None and case.summary is not None and case.ceiling is not None
        assert set(case.peers) == set(warm[key.removesuffix(" cold")].peers)
        assert any("fincore" in n for n in case.notes)
        row = {"gbps": 0.1, "fastiter_s": 0.5, "peers": {"h5py": {"seconds": 1.0}}}
        assert case.summary(row).startswith("fastiter ")
        assert "h5py " in case.summary(row) and " 50 MB/s" in case.summary(row)


def test_the_async_read_case_has_the_overlap_controls(smoke_cases):
    if "netcdf_read" not in smoke_cases:
        pytest.skip("netCDF extras not installed")
    (case,) = [c for c in smoke_cases["netcdf_read"] if c.key == "netcdf read async"]
    assert sorted(case.ceilings()) == ["consume alone", "read alone"]
    assert {
        "(a) compute only, 1 thread",
        "(a) compute only, 2 threads",
        "(b) np.copyto, 1 thread",
        "(b) np.copyto, 2 threads",
        "(c) read || consume, plain threads",
    } <= set(case.peers)
    for fn in case.roles().values():
        assert fn is not None
        fn()
    row = {
        "fastiter_s": 2.0,
        "ceiling_parts": {"read alone": 1.0, "consume alone": 1.0},
        "peers": {name: {"seconds": 1.0} for name in case.peers},
    }
    assert "epoch / max(read, consume) = 2.00" in case.summary(row)


# --- skip notes -----------------------------------------------------------------------
def test_a_family_that_cannot_run_is_skipped_with_a_note(monkeypatch):
    built = []

    def build(size):
        built.append(size)
        return []

    fams = [
        registry.Family("a", build, needs=("no_such_module_fi",), extra="distributed"),
        registry.Family("b", build, requires=lambda: "no C compiler found"),
        registry.Family("c", build),
    ]
    monkeypatch.setattr(registry, "FAMILIES", fams)
    echoed, skipped = [], []
    list(registry.cases("smoke", echo=echoed.append, skipped=skipped))
    assert (
        skipped
        == echoed
        == [
            "a: skipped, no_such_module_fi not installed (pip install 'fastiter[distributed]')",
            "b: skipped, no C compiler found",
        ]
    )
    assert built == ["smoke"]


def test_the_cluster_row_names_the_extra_when_distributed_is_missing(monkeypatch):
    real = core.optional
    monkeypatch.setattr(registry, "optional", lambda m: None if m == "distributed" else real(m))
    reason = registry.family("netcdf_cluster").skip_reason()
    assert reason is not None
    assert reason.startswith("distributed not installed")
    assert "fastiter[distributed]" in reason


def test_the_c_handoff_says_what_it_lacks(monkeypatch, tmp_path):
    from fastiter.bench import handoff_c

    monkeypatch.delenv("CC", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert handoff_c.missing() == "no C compiler found (set CC, or install cc/gcc)"
    assert registry.family("handoff_c").skip_reason() == handoff_c.missing()
    monkeypatch.setenv("CC", "/usr/bin/cc")
    monkeypatch.setattr(handoff_c, "example_source", lambda: tmp_path / "ring_handoff.c")
    assert "not with the wheel" in handoff_c.missing()


@pytest.mark.skipif(registry.family("handoff_c").skip_reason() is not None, reason="no compiler")
def test_the_c_handoff_links_the_installed_library_and_reports_its_own_rates():
    from fastiter.bench import handoff_c

    (case,) = handoff_c.cases("smoke")
    row = core.run_case(case, repeat=1, min_time=0.0)
    assert row["items"] == 200_000 and "C bulk" in row["peers"]
    assert re.search(r"single \d+ M items/s · bulk \d+ M items/s", row["summary"])


def test_the_markdown_table_says_what_the_run_skipped():
    meta = {
        "date": "2026-12-03 12:00:00 UTC",
        "cpu": "cpu",
        "cores": 2,
        "memory_gib": 1.0,
        "versions": {"python": "3.11.7"},
        "load_1min": 0.5,
        "skipped": ["handoff_c: skipped, no C compiler found"],
    }
    first = core.markdown_table([], meta).splitlines()[0]
    assert first.endswith("Not in this run: handoff_c: skipped, no C compiler found.")
    assert "taking turns round by round" in first


def test_the_dataloader_peer_forks_its_workers_once_and_close_ends_them():
    """A worker process forked in every round write-protects the parent's pages, so the
    role timed next pays a copy-on-write fault on every page of its reused buffers
    (measured: an async epoch 15 ms alone, 33 ms after a fork, 90 ms while the child
    lives).  Forking the peer's workers each round charged that to fastiter."""
    import multiprocessing

    pytest.importorskip("torch")
    from fastiter.bench import pipeline

    (overlap,) = [c for c in pipeline.cases("smoke") if c.key == "async overlap"]
    peer = overlap.peers["torch DataLoader(num_workers=2)"]
    assert peer is not None
    before = {p.pid for p in multiprocessing.active_children()}
    try:
        peer()
        first = {p.pid for p in multiprocessing.active_children()} - before
        peer()
        second = {p.pid for p in multiprocessing.active_children()} - before
        assert len(first) == 2 and second == first
    finally:
        assert overlap.close is not None
        overlap.close()
    assert {p.pid for p in multiprocessing.active_children()} - before == set()
