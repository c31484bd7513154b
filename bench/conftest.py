"""Shared bench fixtures: fixed seeds, non-zero payloads, ceilings measured in the same run."""
import numpy as np
import pytest


@pytest.fixture(scope="session")
def bench_rng():
    return np.random.default_rng(2026)
