"""A producer's kernels leave the pool's workers to the consumer while it computes
(issue 20's async bound, issue 19 item 4).

A producer's large kernel (a batch gather, the netCDF reader's window gather) used to
split across the pool whatever the consumer did: beside a consumer computing on the
other core that is three threads on two cores, and the pool's worker, spinning after
each job, took the consumer's core (measured: 34 involuntary switches of the consumer a
48-batch epoch, against 1 with the kernels on the producer's thread).  Now a producer
runs its kernels on its own thread unless the consumer is waiting for a batch.  The
tests count the jobs handed to the pool (``kernels.pool_jobs``); none times anything.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import fastiter
from fastiter import ArrayDataSetIterator, AsyncDataSetIterator, Ring
from fastiter import kernels as fk
from fastiter._core import kernels
from fastiter.iterators._pipeline import _Consumer, _produce

ROWS, COLS = 4096, 128  # 2 MiB batches: a gather this large always asks the pool


@pytest.fixture
def two_threads():
    before = fastiter.get_num_threads()
    fastiter.set_num_threads(2)  # a worker to hand jobs to, on any machine
    try:
        yield
    finally:
        fastiter.set_num_threads(before)


class Gathered(ArrayDataSetIterator):
    """Shuffled batches (each one a gather), counting the builds in progress."""

    def __init__(self, n=12):
        rng = np.random.default_rng(3)
        x = rng.random((ROWS * n, COLS), dtype=np.float32)
        super().__init__(x, np.zeros((ROWS * n, 1), np.float32), ROWS, shuffle=True, seed=1)
        self.in_flight = 0
        self._lock = threading.Lock()

    def _batch_at(self, index):
        with self._lock:
            self.in_flight += 1
        try:
            return super()._batch_at(index)
        finally:
            with self._lock:
                self.in_flight -= 1


def until(cond, what):
    deadline = time.monotonic() + 30
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.0005)


def ring_of(it):
    p = it._runner.pipeline
    return p._ring if hasattr(p, "_ring") else p._rings[0]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_busy_consumer_keeps_the_pool_workers_asleep(workers, two_threads, census):
    base = Gathered()
    want = [ds.features.copy() for ds in Gathered()]
    with AsyncDataSetIterator(base, queue_size=4, workers=workers) as it:
        got = [next(it).features.copy()]  # the consumer waited for it: any build may split
        until(lambda: base.in_flight == 0, "the builds begun while it waited")
        ring = ring_of(it)
        jobs = kernels.pool_jobs()
        for _ in range(len(want) - 1):
            # the consumer never pops an empty ring, so it never waits: it is busy
            until(lambda: len(ring) > 0, "a batch")
            got.append(next(it).features.copy())
        jobs = kernels.pool_jobs() - jobs
    assert len(got) == len(want)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    assert jobs == 0, f"{jobs} kernels split across the pool beside a busy consumer"


@pytest.mark.parametrize("waiting", [True, False])
def test_a_waiting_consumer_leaves_the_pool_to_the_producer(waiting, two_threads):
    # the other side: while the consumer waits its core is free, and the kernels split
    rng = np.random.default_rng(5)
    src = rng.random((4 * ROWS, COLS), dtype=np.float32)
    index = rng.permutation(4 * ROWS)[:ROWS]
    consumer = _Consumer()
    consumer.waiting = waiting
    ring = Ring(8)

    def items():
        for _ in range(4):
            yield fk.gather(src, index)

    jobs = kernels.pool_jobs()
    _produce(items(), ring, consumer=consumer)  # here, on this thread
    jobs = kernels.pool_jobs() - jobs
    assert len(ring) == 4
    while len(ring):
        np.testing.assert_array_equal(ring.pop(), src[index])
    assert (jobs == 4) if waiting else (jobs == 0), jobs
    assert not kernels.thread_serial(False), "the producer leaves its thread as it found it"
