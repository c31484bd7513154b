"""The C core on its own: C tests compiled from pytest, plain and under sanitizers."""

from __future__ import annotations

from pathlib import Path

import pytest
from cbuild import ROOT, compile_c, core_objects, run

import fastiter

C_TESTS = sorted((ROOT / "csrc" / "tests").glob("test_*.c"))
# The threaded parts (ring, thread pool, block cache, padding on the pool with per-thread
# staging, gather rows on the pool) also run under ThreadSanitizer; everything under
# ASan+UBSan.
TSAN_TESTS = [
    p
    for p in C_TESTS
    if any(k in p.name for k in ("ring", "threads", "blockcache", "pad_", "one_hot", "gather_rows"))
]


def test_get_include_has_the_public_header():
    inc = Path(fastiter.get_include())
    assert (inc / "fastiter.h").is_file()
    assert (inc / "fastiter" / "kernels.h").is_file()
    assert "#include <Python.h>" not in (inc / "fastiter.h").read_text()


# sanitizer builds are slow (5-25 s each, measured on 2 loaded cores): make test-fast
# runs the plain builds only
@pytest.mark.parametrize("sanitize", [None, pytest.param("asan", marks=pytest.mark.slow)])
@pytest.mark.parametrize("src", C_TESTS, ids=lambda p: p.stem)
def test_c_tests(src, sanitize, tmp_path):
    exe = compile_c([str(src), *core_objects(sanitize)], tmp_path / src.stem, sanitize)
    out = run(
        exe,
        env={
            "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=1",
            "UBSAN_OPTIONS": "print_stacktrace=1",
        },
    )
    assert "passed" in out


@pytest.mark.slow
@pytest.mark.parametrize("src", TSAN_TESTS, ids=lambda p: p.stem)
def test_c_tests_tsan(src, tmp_path):
    exe = compile_c([str(src), *core_objects("tsan")], tmp_path / src.stem, "tsan")
    assert "passed" in run(exe, env={"TSAN_OPTIONS": "halt_on_error=1"})
