"""workers > cores - 1 beside a busy consumer: producers take turns (issue 19, item 4)."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from fastiter import AsyncDataSetIterator
from fastiter.iterators import _pipeline
from fastiter.iterators._gate import Gate
from iterators.test_async_support import Boom, FailingArrayIterator

N_BATCHES = 12


class Watched(FailingArrayIterator):
    """An indexable base whose batches take ``build`` seconds (GIL released) and which
    counts builds started while another producer was building and the consumer busy."""

    def __init__(self, build, **kw):
        rng = np.random.default_rng(3)
        super().__init__(rng.random((4 * N_BATCHES, 3)) + 1, np.ones((4 * N_BATCHES, 1)),
                         4, **kw)
        self.build = build
        self.lock = threading.Lock()
        self.building = 0
        self.consumer_busy = False
        self.overlapping = 0  # builds started beside another build and a busy consumer

    def _batch_at(self, index):
        with self.lock:
            self.building += 1
            if self.building > 1 and self.consumer_busy:
                self.overlapping += 1
        try:
            time.sleep(self.build)
            return super()._batch_at(index)
        finally:
            with self.lock:
                self.building -= 1


def consume(it, base, work):
    order = []
    for ds in it:
        base.consumer_busy = True
        time.sleep(work)  # the training step: the slower side
        order.append(ds.features.copy())
        base.consumer_busy = False
    return order


@pytest.fixture
def two_cpus(monkeypatch):
    monkeypatch.setattr(_pipeline, "available_cpus", lambda: 2)


def test_two_workers_beside_a_busy_consumer_build_one_batch_at_a_time(two_cpus):
    base = Watched(build=0.01)
    with AsyncDataSetIterator(base, queue_size=8, workers=2) as it:
        got = consume(it, base, work=0.03)
    # ungated, both producers fill their rings side by side while the consumer trains
    # (about N_BATCHES overlapping builds); gated, only a build already started when the
    # consumer stopped waiting can overlap the next one
    assert base.overlapping <= 2, base.overlapping
    expected = [ds.features for ds in Watched(build=0)]
    assert len(got) == N_BATCHES
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)


def test_without_the_gate_both_producers_run_ahead(two_cpus, monkeypatch):
    # the measurement the gate exists for: the test above fails this way without it
    monkeypatch.setenv("FASTITER_ASYNC_GATE", "0")
    base = Watched(build=0.01)
    with AsyncDataSetIterator(base, queue_size=8, workers=2) as it:
        consume(it, base, work=0.03)
    assert base.overlapping >= 3, base.overlapping


def test_a_waiting_consumer_lets_every_producer_build(two_cpus):
    # producer-bound: the consumer waits nearly all the time, so both keep building
    base = Watched(build=0.03)
    t0 = time.perf_counter()
    with AsyncDataSetIterator(base, queue_size=8, workers=2) as it:
        assert sum(1 for _ in it) == N_BATCHES
    # one at a time would take N_BATCHES x build = 0.36 s
    assert base.building == 0
    assert it.producers == 2
    assert time.perf_counter() - t0 < N_BATCHES * 0.03 * 0.9


def test_gate_only_where_producers_outnumber_free_cores(monkeypatch):
    monkeypatch.setattr(_pipeline, "available_cpus", lambda: 4)
    assert _pipeline.producer_gate(3) is None
    assert isinstance(_pipeline.producer_gate(4), Gate)
    monkeypatch.setattr(_pipeline, "available_cpus", lambda: 1)
    assert isinstance(_pipeline.producer_gate(2), Gate)
    assert _pipeline.producer_gate(1) is None
    monkeypatch.setenv("FASTITER_ASYNC_GATE", "0")
    assert _pipeline.producer_gate(8) is None


def test_gate_lets_the_batch_due_first_go_first():
    g = Gate(3, 1)
    assert g.enter(5)
    order = []
    ts = [threading.Thread(target=lambda i=i: (g.enter(i), order.append(i), g.leave()))
          for i in (7, 6)]
    for t in ts:
        t.start()
    time.sleep(0.05)  # both held behind batch 5
    assert order == []
    g.leave()
    for t in ts:
        t.join(5)
    assert order == [6, 7]


def test_closing_releases_held_producers_and_stops_them():
    g = Gate(2, 1)
    assert g.enter(0)
    out = []
    t = threading.Thread(target=lambda: out.append(g.enter(1)))
    t.start()
    time.sleep(0.02)
    g.close()
    t.join(5)
    assert out == [False] and not t.is_alive()


def test_a_gated_producer_error_reaches_the_consumer_in_order(two_cpus):
    base = Watched(build=0.002, fail_at=5)
    with AsyncDataSetIterator(base, queue_size=4, workers=2) as it:
        seen = []
        with pytest.raises(Boom, match="producer failed at batch 5"):
            for ds in it:
                time.sleep(0.005)
                seen.append(ds)
    assert len(seen) == 5


@pytest.mark.parametrize("workers", [2, 3, 5])
def test_gated_order_matches_the_base_with_pooled_buffers(two_cpus, workers):
    base = Watched(build=0.001)
    expected = [ds.features.copy() for ds in Watched(build=0)]
    with AsyncDataSetIterator(base, queue_size=2, workers=workers,
                              reuse_buffers=True) as it:
        got = consume(it, base, work=0.002)
        it.reset()
        again = consume(it, base, work=0)
    for run in (got, again):
        assert len(run) == N_BATCHES
        for a, b in zip(run, expected):
            np.testing.assert_array_equal(a, b)
