"""The portable scalar kernels (what an aarch64 build runs) tested on this x86-64 machine.

FASTITER_DISABLE_SIMD=1 makes csrc/cpu.c report no SIMD, so every run-time dispatch
(Philox blocks, Box-Muller, uint8 conversion) takes its scalar loop; the kernel tests
then compare those loops against their numpy references in a child process.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# the kernel tests whose kernels have a SIMD path
SIMD_KERNEL_TESTS = ["test_kernels_random.py", "test_kernels_convert.py"]


def _child(code: str, **env: str) -> str:
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, **env}, timeout=120)
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


def test_the_variable_forces_the_scalar_path():
    code = "from fastiter._core import _kernels; print(_kernels.simd_level())"
    assert _child(code, FASTITER_DISABLE_SIMD="1") == "0"
    # "0" or empty leaves the CPU's choice, as unset does
    assert _child(code, FASTITER_DISABLE_SIMD="0") == _child(code)
    # the override cannot raise the level above what the variable allows
    raise_code = ("from fastiter._core import _kernels; _kernels.set_simd_level(2); "
                  "print(_kernels.simd_level())")
    assert _child(raise_code, FASTITER_DISABLE_SIMD="1") == "0"


@pytest.mark.slow
def test_kernel_references_pass_on_the_scalar_path():
    level = _child("from fastiter._core import _kernels; print(_kernels.simd_level())")
    if level == "0":
        pytest.skip("this CPU has no AVX2: the normal run already tested the scalar path")
    res = subprocess.run(
        [sys.executable, "-m", "pytest", *SIMD_KERNEL_TESTS, "-q", "-x",
         "-p", "no:cacheprovider"],
        cwd=HERE, capture_output=True, text=True,
        env={**os.environ, "FASTITER_DISABLE_SIMD": "1"}, timeout=1800)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert " passed" in res.stdout
