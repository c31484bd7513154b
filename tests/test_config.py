"""Threads that respect the machine and one reading of every FASTITER_* variable
(issue 17, items 12 and 14): the CPU count every default is sized from, the pool's
size under an affinity mask, bad values that warn and fall back on both the Python and
the C side, and ``fastiter config``."""

from __future__ import annotations

import io
import math
import os
import re
import subprocess
import sys
import textwrap
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from cbuild import ROOT, compile_c, core_objects

import fastiter
from fastiter import _cpus, _env
from fastiter.cli import main as cli_main

ONE_CPU = min(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
needs_affinity = pytest.mark.skipif(ONE_CPU is None, reason="needs sched_setaffinity")


def _pin_to_one_cpu():
    os.sched_setaffinity(0, {ONE_CPU})


def run_python(code: str, env: dict | None = None, one_cpu: bool = False):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FASTITER_")}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, "PYTHONPATH": str(ROOT), **(env or {})},
        preexec_fn=_pin_to_one_cpu if one_cpu else None,
    )


# --- the CPU count ------------------------------------------------------------------
@needs_affinity
def test_pool_and_every_default_follow_the_affinity_mask():
    # issue 17.12: under `taskset -c 0` the pool still started 2 threads
    res = run_python(
        """
        import numpy as np, fastiter
        from fastiter import kernels
        from fastiter.netcdf.runners import default_workers
        from fastiter._cpus import available_cpus
        kernels.one_hot(np.arange(2_000_000) % 10, 10)   # a call big enough to split
        print(fastiter.get_num_threads(), kernels.pool_live_threads(), default_workers(),
              available_cpus())
    """,
        one_cpu=True,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["1", "0", "1", "1"]


def _tree(tmp_path: Path, cgroup: str, files: dict[str, str]) -> tuple[Path, Path]:
    proc, sysfs = tmp_path / "proc", tmp_path / "sys"
    proc.mkdir()
    (proc / "cgroup").write_text(cgroup)
    for rel, text in files.items():
        (sysfs / rel).parent.mkdir(parents=True, exist_ok=True)
        (sysfs / rel).write_text(text)
    return proc, sysfs


@pytest.mark.parametrize(
    "cgroup,files,want",
    [
        # cgroup v2: the group's own cpu.max, an ancestor's tighter one, none
        (
            "0::/a/b\n",
            {
                "cgroup.controllers": "cpu",
                "a/b/cpu.max": "150000 100000\n",
                "a/cpu.max": "max 100000\n",
            },
            1.5,
        ),
        (
            "0::/a/b\n",
            {
                "cgroup.controllers": "cpu",
                "a/b/cpu.max": "400000 100000\n",
                "a/cpu.max": "50000 100000\n",
            },
            0.5,
        ),
        ("0::/a\n", {"cgroup.controllers": "cpu", "a/cpu.max": "max 100000\n"}, None),
        # v2 in the hybrid layout, under unified/
        ("1:cpu:/\n0::/x\n", {"unified/x/cpu.max": "200000 100000"}, 2.0),
        # cgroup v1 CFS quota, named cpu,cpuacct or cpu; -1 is no limit
        (
            "3:cpu,cpuacct:/docker/c1\n",
            {
                "cpu,cpuacct/docker/c1/cpu.cfs_quota_us": "250000",
                "cpu,cpuacct/docker/c1/cpu.cfs_period_us": "100000",
            },
            2.5,
        ),
        ("1:cpu:/\n", {"cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "100000"}, None),
        # a container that sees only its own group at the mount's root
        (
            "1:cpu:/host/path\n",
            {"cpu/cpu.cfs_quota_us": "100000", "cpu/cpu.cfs_period_us": "100000"},
            1.0,
        ),
        # garbage is no limit, not an error
        ("0::/a\n", {"cgroup.controllers": "", "a/cpu.max": "lots\n"}, None),
        ("nonsense\n", {}, None),
    ],
)
def test_cgroup_cpu_quota(tmp_path, cgroup, files, want):
    proc, sysfs = _tree(tmp_path, cgroup, files)
    assert _cpus.cgroup_cpu_limit(proc, sysfs) == want


@pytest.mark.parametrize("quota", [None, 0.3, 1.0, 1.5, 64.0])
def test_available_cpus_is_affinity_capped_by_the_quota_rounded_up(monkeypatch, quota):
    monkeypatch.setattr(_cpus, "cgroup_cpu_limit", lambda: quota)
    monkeypatch.setattr(_cpus, "_quota_read_at", -math.inf)  # read it afresh
    n = _cpus.affinity_cpus()
    want = n if quota is None else min(n, max(1, math.ceil(quota)))
    assert _cpus.available_cpus() == want


# --- FASTITER_* variables ---------------------------------------------------------------
BAD_THREADS = ["0", "four", "-3", "1025", "3.0", "0x4", "\u0663", "99999999999999999999"]


@pytest.mark.parametrize("raw", BAD_THREADS)
def test_bad_num_threads_warns_and_falls_back_never_failing_the_import(raw):
    # issue 17.14: FASTITER_NUM_THREADS=0 or `four` made `import fastiter` raise
    res = run_python(
        "import fastiter; print(fastiter.get_num_threads())", env={"FASTITER_NUM_THREADS": raw}
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == str(_env.default("FASTITER_NUM_THREADS"))
    assert f"FASTITER_NUM_THREADS={raw!r} is not an integer in [1, 1024]" in res.stderr


def test_bad_value_never_fails_the_import_even_with_warnings_as_errors():
    res = subprocess.run(
        [sys.executable, "-W", "error", "-c", "import fastiter"],
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT), "FASTITER_NUM_THREADS": "four"},
    )
    assert res.returncode == 0, res.stderr
    assert "FASTITER_NUM_THREADS='four'" in res.stderr


C_PROGRAM = r"""
#include <stdio.h>
#include "fastiter.h"
int main(void) { printf("%d\n", fi_get_num_threads()); return 0; }
"""


@pytest.fixture(scope="module")
def c_threads(tmp_path_factory):
    d = tmp_path_factory.mktemp("cthreads")
    (d / "main.c").write_text(C_PROGRAM)
    return compile_c([str(d / "main.c"), *core_objects()], d / "threads")


@pytest.mark.parametrize("one_cpu", [False, True] if ONE_CPU is not None else [False])
@pytest.mark.parametrize("raw", [None, "1", " 3 ", "1024", *BAD_THREADS, ""])
def test_c_and_python_read_num_threads_alike(c_threads, raw, one_cpu):
    env = {} if raw is None else {"FASTITER_NUM_THREADS": raw}
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FASTITER_")}
    c = subprocess.run(
        [str(c_threads)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **env},
        preexec_fn=_pin_to_one_cpu if one_cpu else None,
    )
    py = run_python("import fastiter; print(fastiter.get_num_threads())", env, one_cpu)
    assert c.returncode == 0 and py.returncode == 0, (c.stderr, py.stderr)
    if _cpus.cgroup_cpu_limit() is None:  # the C core alone does not read the quota
        assert c.stdout.strip() == py.stdout.strip()
    bad = raw in BAD_THREADS
    assert ("is not an integer in [1, 1024]" in c.stderr) == bad
    assert ("is not an integer in [1, 1024]" in py.stderr) == bad


@pytest.mark.parametrize(
    "name,raw,want",
    [
        ("FASTITER_BLAS_CAP", "off", False),
        ("FASTITER_BLAS_CAP", " YES ", True),
        ("FASTITER_ASYNC_BLOCK_CACHE", "0", False),
        ("FASTITER_DISABLE_JIT", "true", True),
        ("FASTITER_NC_LAYOUT", "no", False),
        ("FASTITER_BENCH_NETCDF_SCALE", "20", 20),
        ("FASTITER_BENCH_RECORDS_FRACTION", "0.25", 0.25),
        ("FASTITER_DATA_HOME", "/tmp/fi-data", Path("/tmp/fi-data")),
    ],
)
def test_good_values(monkeypatch, name, raw, want):
    monkeypatch.setenv(name, raw)
    assert _env.get(name) == want


@pytest.mark.parametrize(
    "name,raw",
    [
        ("FASTITER_BLAS_CAP", "maybe"),
        ("FASTITER_ASYNC_BLOCK_CACHE", "2"),
        ("FASTITER_DISABLE_JIT", "y"),
        ("FASTITER_BENCH_NETCDF_SCALE", "0"),
        ("FASTITER_BENCH_RECORDS_FRACTION", "nan"),
        ("FASTITER_BENCH_RECORDS_FRACTION", "-1"),
    ],
)
def test_bad_values_warn_once_naming_the_variable_and_fall_back(monkeypatch, name, raw):
    monkeypatch.setenv(name, raw)
    monkeypatch.setattr(_env, "_warned", set())
    with pytest.warns(_env.ConfigWarning, match=rf"{name}={raw!r} is not .*using the default"):
        assert _env.get(name) == _env.default(name)
    assert _env.get(name) == _env.default(name)  # the second read is quiet (warnings=error)


def test_every_fastiter_variable_in_the_tree_is_registered():
    names = set()
    for folder, pattern in (
        ("fastiter", "*.py"),
        ("bench", "*.py"),
        ("csrc", "*.c"),
        (".", "setup.py"),
    ):
        for path in (ROOT / folder).rglob(pattern):
            names |= set(re.findall(r"FASTITER_[A-Z][A-Z0-9_]*[A-Z0-9]", path.read_text()))
    names = {n for n in names if not n.endswith("_H")}  # header guards
    assert names <= set(_env.SETTINGS), names - set(_env.SETTINGS)


def test_fastiter_config_lists_every_variable_with_its_effective_value(monkeypatch):
    monkeypatch.setenv("FASTITER_NUM_THREADS", "four")
    monkeypatch.setenv("FASTITER_BLAS_CAP", "0")
    monkeypatch.delenv("FASTITER_DATA_HOME", raising=False)
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli_main(["config"]) == 0
    text = out.getvalue()
    for name in _env.SETTINGS:
        assert name in text
    default = _env.default("FASTITER_NUM_THREADS")
    assert re.search(rf"FASTITER_NUM_THREADS\s+'four'\s+{default}\s+IGNORED", text), text
    assert re.search(r"FASTITER_BLAS_CAP\s+'0'\s+False", text), text
    assert re.search(r"FASTITER_DATA_HOME\s+unset\s+\S*\.fastiter/data", text), text
    assert fastiter.get_num_threads() >= 1


STREAM_PROGRAM = r"""
import numpy as np
from fastiter import kernels
labels = np.arange(300_000, dtype=np.int64) % 7  # 8.4 MB of float32: either path
got = kernels.one_hot(labels, 7)
assert (got == np.eye(7, dtype=np.float32)[labels]).all()
print("ok")
"""


@pytest.mark.parametrize("raw", ["0", " 12345 ", "999999999", "1e6", "-1", "9999999999", "0x10"])
def test_stream_threshold_is_read_alike_by_c_and_python(raw):
    """The C core reads FASTITER_STREAM_THRESHOLD; fastiter config and the warnings read
    it with _env's grammar: a value one side rejects, the other rejects too."""
    env = {**os.environ, "FASTITER_STREAM_THRESHOLD": raw}
    res = subprocess.run(
        [sys.executable, "-c", STREAM_PROGRAM], capture_output=True, text=True, env=env
    )
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr
    c_rejects = "FASTITER_STREAM_THRESHOLD" in res.stderr and "not a byte count" in res.stderr
    try:
        _env.parse("FASTITER_STREAM_THRESHOLD", raw)
        python_rejects = False
    except ValueError:
        python_rejects = True
    assert c_rejects == python_rejects, (raw, res.stderr)
