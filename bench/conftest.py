"""Shared bench fixtures: fixed seeds, non-zero payloads, ceilings measured in the same run.

With ``--benchmark-disable`` (the smoke run in ``make test``) every case runs once on
inputs scaled down by the ``scale`` fixture, so the smoke run stays quick.
"""
import numpy as np
import pytest


@pytest.fixture(scope="session")
def bench_rng():
    return np.random.default_rng(2026)


@pytest.fixture(scope="session")
def scale(request):
    """scale(n, factor=64): n, or n // factor (at least 1) when benchmarks are disabled."""
    smoke = bool(request.config.getoption("benchmark_disable", False))

    def scaled(n: int, factor: int = 64) -> int:
        return max(1, n // factor) if smoke else n

    return scaled


@pytest.fixture
def one_thread():
    """fastiter's pool limited to 1 thread for the test (the peer of numba's serial loop)."""
    from fastiter import kernels

    old = kernels.get_num_threads()
    kernels.set_num_threads(1)
    yield
    kernels.set_num_threads(old)


@pytest.fixture(scope="session")
def numba_peers():
    """numba's prange and serial peers (fastiter/_bench_peers.py), or skip without numba."""
    from fastiter import _bench_peers

    par, ser = _bench_peers.peers(True), _bench_peers.peers(False)
    if par is None:
        pytest.skip("numba is not installed")
    return {"prange": par, "serial": ser}
