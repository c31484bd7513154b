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
