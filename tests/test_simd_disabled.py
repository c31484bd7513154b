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
# the kernel tests whose kernels have a SIMD path (test_kernels.py: the int64 one-hot check;
# test_kernels_batch.py: gather's index check and row copy)
SIMD_KERNEL_TESTS = [
    "test_kernels_random.py",
    "test_kernels_convert.py",
    "test_kernels.py",
    "test_kernels_pad.py",
    "test_kernels_batch.py",
]


def _child(code: str, **env: str) -> str:
    res = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


def test_the_variable_forces_the_scalar_path():
    code = "from fastiter._core import _kernels; print(_kernels.simd_level())"
    assert _child(code, FASTITER_DISABLE_SIMD="1") == "0"
    # "0" or empty leaves the CPU's choice, as unset does
    assert _child(code, FASTITER_DISABLE_SIMD="0") == _child(code)
    # the override cannot raise the level above what the variable allows
    raise_code = (
        "from fastiter._core import _kernels; _kernels.set_simd_level(2); "
        "print(_kernels.simd_level())"
    )
    assert _child(raise_code, FASTITER_DISABLE_SIMD="1") == "0"


@pytest.mark.parametrize(
    "raw", ["1", " TRUE ", "yes", "On", "0", "false", "no", " OFF", "", "2", "maybe", "true-ish"]
)
def test_c_and_python_read_the_variable_alike(raw):
    """The C core and fastiter._env agree on every value; a bad one warns and means off."""
    code = (
        "import warnings; warnings.simplefilter('ignore'); "
        "from fastiter import _env; from fastiter._core import _kernels; "
        "print(int(_env.get('FASTITER_DISABLE_SIMD')), _kernels.simd_level() == 0)"
    )
    res = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "FASTITER_DISABLE_SIMD": raw},
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    python_says, scalar = res.stdout.split()
    cpu_level = _child(
        "from fastiter._core import _kernels; print(_kernels.simd_level())",
        FASTITER_DISABLE_SIMD="0",
    )
    assert python_says == ("1" if raw.strip().lower() in ("1", "true", "yes", "on") else "0")
    if cpu_level != "0":  # on a CPU without SIMD both readings are scalar anyway
        assert scalar == str(python_says == "1")
    bad = raw.strip().lower() not in ("", "1", "true", "yes", "on", "0", "false", "no", "off")
    assert ("FASTITER_DISABLE_SIMD" in res.stderr) == bad


@pytest.mark.slow
def test_kernel_references_pass_on_the_scalar_path():
    level = _child("from fastiter._core import _kernels; print(_kernels.simd_level())")
    if level == "0":
        pytest.skip("this CPU has no AVX2: the normal run already tested the scalar path")
    res = subprocess.run(
        [sys.executable, "-m", "pytest", *SIMD_KERNEL_TESTS, "-q", "-x", "-p", "no:cacheprovider"],
        cwd=HERE,
        capture_output=True,
        text=True,
        env={**os.environ, "FASTITER_DISABLE_SIMD": "1"},
        timeout=1800,
    )
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert " passed" in res.stdout
