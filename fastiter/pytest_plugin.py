"""pytest plugin (entry point ``pytest11``): fixtures for benchmarking data pipelines.

Registered automatically when fastiter is installed.  Example, with pytest-benchmark::

    def test_train_step(benchmark, fastiter_random_batches, warm):
        batches = fastiter_random_batches((256, 784), n=16, seed=1)
        step = warm(my_jitted_step, batches[0])       # compiled outside the timed region
        benchmark(lambda: [step(b) for b in batches])
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

__all__ = ["fastiter_random_batches", "warm"]


def _random_batches(shape: tuple[int, ...], n: int, seed: int = 0,
                    dtype: Any = np.float32) -> list[np.ndarray]:
    from fastiter import kernels

    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    # stream = batch index: each batch is its own counter-based stream, so batch i is
    # the same whatever n is and however many threads fill it
    return [kernels.random_uniform(tuple(shape), seed, dtype, stream=i) for i in range(n)]


@pytest.fixture
def fastiter_random_batches() -> Callable[..., list[np.ndarray]]:
    """A factory ``(shape, n, seed=0, dtype=float32) -> list of n arrays``, deterministic.

    The data come from fastiter's counter-based generator: the same seed gives the same
    bits on every machine and thread count, with non-zero payloads.
    """
    return _random_batches


def _warm(fn: Callable[..., Any], *args: Any, rounds: int = 2, **kwargs: Any) -> Callable[..., Any]:
    for _ in range(rounds):
        fn(*args, **kwargs)
    return fn


@pytest.fixture
def warm() -> Callable[..., Callable[..., Any]]:
    """``warm(fn, *args, rounds=2)`` calls ``fn`` to JIT-compile and warm caches, returns it."""
    return _warm
