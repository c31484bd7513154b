"""pytest plugin of fastiter (entry point ``pytest11``): fixtures for benchmarking loaders.

Every fixture's name starts with ``fastiter_``, and this module imports nothing but
pytest: fastiter itself is imported when a test first asks for one of its fixtures, so
the plugin costs other test runs of the environment nothing.  The implementations and
their documentation live in :mod:`fastiter.pytest_plugin` (see docs/pytest.md).
"""

from __future__ import annotations

from typing import Any

import pytest

__all__ = ["fastiter_random_batches", "fastiter_warm", "fastiter_data", "fastiter_epoch"]


@pytest.fixture
def fastiter_random_batches() -> Any:
    """``(shape, n, seed=0, dtype=float32) -> list of n arrays``, deterministic."""
    from fastiter.pytest_plugin import random_batches

    return random_batches


@pytest.fixture
def fastiter_warm() -> Any:
    """``fastiter_warm(fn, *args, rounds=2)``: call ``fn`` to compile and warm it up."""
    from fastiter.pytest_plugin import warm

    return warm


@pytest.fixture
def fastiter_data() -> Any:
    """A factory of seeded DataSets and iterators of given shapes (sequences with masks)."""
    from fastiter.pytest_plugin import DataFactory

    return DataFactory()


@pytest.fixture
def fastiter_epoch(benchmark: Any) -> Any:
    """``fastiter_epoch(loader, rounds=5)``: time whole epochs with pytest-benchmark and
    record batches/s and MB/s in ``benchmark.extra_info``."""
    from fastiter.pytest_plugin import EpochTimer

    return EpochTimer(benchmark)
