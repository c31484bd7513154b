"""Bases and checks shared by the async tests (imported as iterators.test_async_support)."""

from __future__ import annotations

import threading
import time

import numpy as np

from fastiter import ArrayDataSetIterator, DataSet, DataSetIterator
from fastiter._core._ring import native_thread_count


class Boom(RuntimeError):
    """The error the test bases raise, so a test can tell it from anything else."""


def raise_boom(index: int) -> None:
    raise Boom(f"producer failed at batch {index}")


class CountingIterator(DataSetIterator):
    """A plain (non-indexable) resettable stream: batch i has features [[epoch, i]].

    ``fail_at`` makes batch ``fail_at`` raise :class:`Boom` (in every epoch); ``delay``
    sleeps per batch (with the GIL released, as real I/O does).
    """

    def __init__(self, n: int, fail_at: int | None = None, delay: float = 0.0) -> None:
        super().__init__()
        self.n, self.fail_at, self.delay = n, fail_at, delay
        self.i = 0
        self.threads: set[int] = set()

    def has_next(self) -> bool:
        return self.i < self.n

    def _next_batch(self, num):
        self.threads.add(threading.get_ident())
        if self.delay:
            time.sleep(self.delay)
        i, self.i = self.i, self.i + 1
        if i == self.fail_at:
            raise_boom(i)
        return DataSet(np.array([[self._epoch, i]], np.float64), np.ones((1, 1)))

    def _restart(self) -> None:
        self.i = 0

    def reset_supported(self) -> bool:
        return True

    def num_batches(self) -> int:
        return self.n


class FailingArrayIterator(ArrayDataSetIterator):
    """An indexable base whose batch ``fail_at`` raises (for workers > 1)."""

    def __init__(self, *args, fail_at: int | None = None, **kw) -> None:
        super().__init__(*args, **kw)
        self.fail_at = fail_at

    def _batch_at(self, index: int) -> DataSet:
        if index == self.fail_at:
            raise_boom(index)
        return super()._batch_at(index)


def array_base(
    n_examples: int = 50, batch_size: int = 4, seed: int = 7, fail_at: int | None = None
) -> FailingArrayIterator:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_examples, 3)) + 1.0
    y = np.eye(2)[rng.integers(0, 2, n_examples)]
    return FailingArrayIterator(x, y, batch_size, shuffle=True, seed=seed, fail_at=fail_at)


def epoch(it) -> list[DataSet]:
    """Every batch left in the epoch, detached so buffer reuse cannot change them."""
    out = []
    while it.has_next():
        out.append(it.next().copy())
    return out


class ThreadCensus:
    """Python threads and native threads alive before a test, to compare after."""

    def __init__(self) -> None:
        self.python = set(threading.enumerate())
        self.native = native_thread_count()

    def assert_back(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if native_thread_count() == self.native and set(threading.enumerate()) <= self.python:
                return
            time.sleep(0.01)
        assert native_thread_count() == self.native, "a native thread was left running"
        assert set(threading.enumerate()) <= self.python, "a Python thread was left running"


class GridIterator(DataSetIterator):
    """Batch i of epoch e has features [[e, i]]; random access when ``indexable``.

    The state machine's base: its expected output is known in closed form, so the test
    can check every batch for loss, duplication and order.
    """

    def __init__(
        self,
        n: int,
        fail_at: int | None = None,
        indexable: bool = True,
        fail_with: type[BaseException] = Boom,
    ) -> None:
        super().__init__()
        self.n, self.fail_at = n, fail_at
        self.indexable = indexable
        self.fail_with = fail_with  # Boom, or a StopIteration kind a broken source raises

    def has_next(self) -> bool:
        return self._position < self.n

    def num_batches(self) -> int:
        return self.n

    def _batch_at(self, index: int) -> DataSet:
        if index == self.fail_at:
            raise self.fail_with(f"producer failed at batch {index}")
        return DataSet(np.array([[self._epoch, index]], np.float64), np.ones((1, 1)))

    def _next_batch(self, num):
        return self._batch_at(self._position)

    def _restart(self) -> None:
        pass

    def reset_supported(self) -> bool:
        return True
