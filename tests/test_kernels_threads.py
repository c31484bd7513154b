"""The native thread pool from Python: sizing, env var, results independent of the
thread count, live-thread accounting, fork safety and a clean exit."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import reference

import fastiter
from fastiter import kernels

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_python(code: str, env: dict | None = None, timeout: float = 60):
    res = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": ROOT, **(env or {})},
    )
    return res


@pytest.fixture
def threads():
    old = kernels.get_num_threads()
    yield
    kernels.set_num_threads(old)


def test_top_level_exports_and_validation(threads):
    fastiter.set_num_threads(2)
    assert fastiter.get_num_threads() == kernels.get_num_threads() == 2
    with pytest.raises(ValueError, match="n must be in"):
        fastiter.set_num_threads(0)
    with pytest.raises(TypeError, match="n must be an integer"):
        fastiter.set_num_threads(2.0)


def test_live_threads_follow_the_setting(threads):
    big = [np.ones((200, 8), np.float32)] * 3000
    kernels.set_num_threads(3)
    assert kernels.pool_live_threads() == 0  # joined on resize, restarted lazily
    kernels.pad_sequences(big)
    assert kernels.pool_live_threads() == 2
    kernels.set_num_threads(1)
    kernels.pad_sequences(big)
    assert kernels.pool_live_threads() == 0
    kernels.set_num_threads(2)
    kernels.pad_sequences(big)
    kernels.pool_shutdown()
    assert kernels.pool_live_threads() == 0


@pytest.mark.parametrize("n", [1, 2, 4])
def test_kernels_identical_at_any_thread_count(threads, n, rng):
    seqs = [rng.standard_normal((int(t), 8)).astype(np.float32) for t in rng.integers(0, 200, 3000)]
    src = rng.standard_normal((5000, 64)).astype(np.float32)
    idx = rng.integers(0, 5000, 4096)
    labels = rng.integers(0, 10, 300_000)
    kernels.set_num_threads(n)
    x, m = kernels.pad_sequences(seqs, mode="align_end")
    want_x, want_m = reference.pad_sequences(seqs, mode="align_end")
    np.testing.assert_array_equal(x, want_x)
    np.testing.assert_array_equal(m, want_m)
    np.testing.assert_array_equal(kernels.gather(src, idx), src[idx])
    np.testing.assert_array_equal(kernels.collate(list(src[:2000])), src[:2000])
    np.testing.assert_array_equal(kernels.one_hot(labels, 10), reference.one_hot(labels, 10))


def test_env_var_sets_the_default():
    res = run_python(
        "import fastiter; print(fastiter.get_num_threads())", env={"FASTITER_NUM_THREADS": "3"}
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "3"
    # issue 17.14: a bad value used to fail the import; now it warns and falls back
    res = run_python("import fastiter", env={"FASTITER_NUM_THREADS": "many"})
    assert res.returncode == 0, res.stderr
    assert "FASTITER_NUM_THREADS='many' is not an integer in [1, 1024]" in res.stderr


def test_fork_child_recreates_the_pool_and_exit_is_clean():
    code = """
        import os, numpy as np, fastiter
        from fastiter import kernels
        fastiter.set_num_threads(2)
        big = [np.ones((200, 8), np.float32)] * 3000
        kernels.pad_sequences(big)
        assert kernels.pool_live_threads() == 1
        pid = os.fork()
        if pid == 0:
            ok = kernels.pool_live_threads() == 0
            x, m = kernels.pad_sequences(big)
            ok = ok and kernels.pool_live_threads() == 1 and m.all()
            os._exit(0 if ok else 3)
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
        kernels.pad_sequences(big)
        print("done")
    """
    res = run_python(code, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "done"
