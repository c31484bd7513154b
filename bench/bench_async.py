"""Async prefetch benchmarks: hand-off rates, per-batch overhead, overlap and scaling.

Each fastiter case shares a ``group`` with its peers (queue.SimpleQueue, queue.Queue(8),
a threading prefetcher, torch's DataLoader when installed).  Derived figures (items/s,
µs per batch, epoch time over the max(P, C) x batches limit) go into ``extra_info``,
with P and C measured in the same run.  The machine is shared: read ratios, not
absolute times.

Overlap limit: the issue asks for an epoch within 1.05 x max(P, C) x batches, where P
and C are what the producer and the consumer cost per batch.  Both are measured here
over the epoch's own batches, each side alone in its own loop (``P_loop``, ``C_loop``),
best of several runs like the epoch itself.  That is the reading under which the issue's
two calibration points hold on this machine: a serial loop costs P + C (1.08x here) and
a threading + Queue(8) prefetcher lands near 1.03x (0.98-1.00x here).  Timing C on one
warm batch repeated instead (``over_warm_limit``, also reported) puts that batch in this
machine's 2 MB-per-core L2, where it runs ~1.3x faster than on the epoch's 24 x 2 MB of
fresh data; by that figure the serial loop would be 1.22x P + C and every prefetcher,
the threading peer included, ~1.3x.  ``over_both`` compares with both loops running at
once in two threads with no hand-off.  Two shapes run (see SHAPES): the consumer about
twice the producer, and the two balanced.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import fastiter
from fastiter import AsyncDataSetIterator, DataSet, DataSetIterator, kernels
from fastiter.bench.async_ import thread_queue as _thread_queue  # the peer fastiter bench runs
from fastiter.iterators._indexed import IndexedBatchesMixin

ROWS, COLS, BATCH, BATCHES = 200_000, 128, 4096, 24


# --- Python-to-Python hand-off and the consumer-bound epoch -------------------------------
# Registry cases (fastiter/bench/async_.py, pipeline.py), run here as in ``fastiter
# bench``: the per-batch overhead, the overlap with its DataLoader peers and the
# producer-bound scaling (pipeline.py), and Ring(65536)
# against the unbounded queue.SimpleQueue, Ring(8) against Queue(8) (the same capacity),
# and the consumer-bound C~2P epoch with workers=2 against workers=1, workers=2 without
# the gate and threading+Queue(8).  Hand-off rates (items/s) are in extra_info.  The
# C->C hand-off (fastiter/bench/handoff_c.py) compiles csrc/examples/ring_handoff.c
# against the installed library; skipped without a C compiler.
FAMILIES = ["async", "pipeline", "handoff_c"]


def test_case(run_registry):
    run_registry()


# --- overlap and scaling: a gather producer, a GIL-releasing numpy consumer -------------------
class GatherBase(IndexedBatchesMixin, DataSetIterator):
    """Shuffled minibatches gathered with fastiter.kernels.gather (random access)."""

    def __init__(self, src, labels, order, batch, batches, repeat=1):
        super().__init__()
        self.src, self.labels, self.n, self.repeat = src, labels, batches, repeat
        self.order, self._batch_size = order, batch

    def num_batches(self):
        return self.n

    def _batch_at(self, i):
        idx = self.order[i * self._batch_size : (i + 1) * self._batch_size]
        for _ in range(self.repeat - 1):  # a heavier producer for the scaling case: extra
            kernels.gather(self.src, idx)  # passes allocating as decode/augment work would
        return DataSet(kernels.gather(self.src, idx), kernels.gather(self.labels, idx))


def consume(ds, work):
    """C: ufunc passes over the batch (numpy releases the GIL inside each)."""
    tmp = np.empty_like(ds.features)
    for _ in range(work):
        np.multiply(ds.features, 1.0001, out=tmp)
        np.sqrt(tmp, out=tmp)
    return float(tmp[0, 0])


#: The consumer's share: "C~2P" (the training step dominates, the usual reason to
#: prefetch) and "C~P" (balanced: both cores busy all the time, where any jitter on one
#: side stalls the other).  ``work`` is the number of passes bringing C closest to k x P.
SHAPES = {"C~2P": 2.0, "C~P": 1.0}


@pytest.fixture(scope="module")
def pipeline_data(bench_rng):
    fastiter.set_num_threads(1)  # one core per producer: the async layer is what we measure
    src = bench_rng.random((ROWS, COLS), dtype=np.float32) + 0.5
    labels = np.eye(10, dtype=np.float32)[bench_rng.integers(0, 10, ROWS)]
    order = np.random.default_rng(5).permutation(ROWS)
    base = GatherBase(src, labels, order, BATCH, BATCHES)
    p = _best_time(lambda: base._batch_at(3))
    ds = base._batch_at(0)
    per_pass = _best_time(lambda: consume(ds, 1))
    shapes = {}
    for name, k in SHAPES.items():
        work = min(64, max(1, round(k * p / per_pass)))
        shapes[name] = (work, _best_time(lambda w=work: consume(ds, w)), _loop_limits(base, work))
    return src, labels, order, p, shapes


def _loop_limits(base, work, reps=5):
    """P and C per batch as the epoch sees them: each side alone over the epoch's batches.

    ``P_loop`` builds every batch of the epoch; ``C_loop`` consumes every batch of the
    epoch (built beforehand); ``both`` runs the two loops at once in two threads with no
    hand-off, which is what perfect overlap could reach when they share the caches, the
    memory bandwidth and the hypervisor's attention.  Best of ``reps``, as the epochs.
    """
    batches = [base._batch_at(i) for i in range(base.n)]

    def producer():
        for i in range(base.n):
            base._batch_at(i)

    def consumer():
        for ds in batches:
            consume(ds, work)

    def both():
        t = threading.Thread(target=producer)
        t.start()
        consumer()
        t.join()

    return {
        name: _best_time(fn, reps) / base.n
        for name, fn in (("P_loop", producer), ("C_loop", consumer), ("both", both))
    }


def _best_time(fn, reps=7):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return min(ts)


class _TorchBatches:
    """A map-style dataset handing out whole batches (DataLoader(batch_size=None))."""

    def __init__(self, base):
        self.base = base

    def __len__(self):
        return self.base.n

    def __getitem__(self, i):
        ds = self.base._batch_at(i)
        return ds.features, ds.labels


def _loader(base, case):
    """What one epoch iterates: built once, as a training loop would (the async iterators
    are reset by each ``for``, so reuse_buffers keeps its warm slots; DataLoader starts
    its workers per epoch, as it does without persistent_workers)."""
    if case == "serial":
        return base
    if case == "fastiter async":
        return AsyncDataSetIterator(base, 8)
    if case == "fastiter async reuse_buffers":
        # queue_size + 2 slots: the producer runs at most one batch ahead
        return AsyncDataSetIterator(base, 8, reuse_buffers=True)
    if case == "threading+Queue(8)":
        return _Restartable(lambda: _thread_queue(base))
    torch = pytest.importorskip("torch")
    workers = 0 if case.endswith("0)") else 2
    loader = torch.utils.data.DataLoader(_TorchBatches(base), batch_size=None, num_workers=workers)
    return _Restartable(lambda: (DataSet(x.numpy(), y.numpy()) for x, y in loader))


class _Restartable:
    def __init__(self, make):
        self.make = make

    def __iter__(self):
        return iter(self.make())


OVERLAP_CASES = [
    "serial",
    "fastiter async",
    "fastiter async reuse_buffers",
    "threading+Queue(8)",
    "torch DataLoader(num_workers=0)",
    "torch DataLoader(num_workers=2)",
]


# shape varies fastest, so the DataLoader(num_workers=2) cases, whose worker processes
# take a moment to wind down, run last
@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("case", OVERLAP_CASES)
def test_overlap(benchmark, pipeline_data, shape, case):
    """extra_info: ``over_limit`` is the issue's ratio, best epoch / (max(P, C) x batches)
    with P and C each side's own loop over the epoch (target <= 1.05);
    ``over_warm_limit`` takes P and C from one warm batch instead, ``over_both`` the two
    loops run at once with no hand-off (see the module docstring and _loop_limits)."""
    src, labels, order, p, shapes = pipeline_data
    work, c, limits = shapes[shape]
    benchmark.group = f"overlap {shape}: gather producer P, numpy consumer C"
    it = _loader(GatherBase(src, labels, order, BATCH, BATCHES), case)

    def epoch():
        n = sum(1 for ds in it if consume(ds, work) is not None)
        assert n == BATCHES

    benchmark.pedantic(epoch, rounds=5, iterations=1, warmup_rounds=1)
    if hasattr(it, "close"):
        it.close()
    best = benchmark.stats.stats.min if benchmark.stats else None
    info = {
        "P_ms": p * 1e3,
        "C_ms": c * 1e3,
        "C_passes": work,
        **{k + "_ms": v * 1e3 for k, v in limits.items()},
    }
    if best is not None:
        info.update(
            over_limit=best / (max(limits["P_loop"], limits["C_loop"]) * BATCHES),
            over_warm_limit=best / (max(p, c) * BATCHES),
            over_both=best / (limits["both"] * BATCHES),
        )
    benchmark.extra_info.update(info)


# --- consumer-bound: workers=2 against workers=1 and a plain thread + Queue(8) --------------
CONSUMER_BOUND_CASES = [
    "fastiter workers=1",
    "fastiter workers=2",
    "fastiter workers=2, no gate",
    "threading+Queue(8)",
]


def _consumer_bound_loader(base, case, monkeypatch):
    if case == "threading+Queue(8)":
        return _Restartable(lambda: _thread_queue(base))
    if "no gate" in case:
        monkeypatch.setenv("FASTITER_ASYNC_GATE", "0")  # read when each epoch starts
    return AsyncDataSetIterator(base, 8, workers=int(case.split("workers=")[1][0]))


def _consumer_bound_work(shapes):
    """Consumer passes making C twice P as the epoch sees them (P_loop, C_loop: each side
    alone over the epoch's fresh batches, which cost more than the warm batch SHAPES is
    sized from; with the C~2P work the consumer still waited ~1/4 of the epoch)."""
    work, _, limits = shapes["C~2P"]
    return max(1, round(work * 2 * limits["P_loop"] / limits["C_loop"]))


def test_consumer_bound_interleaved(benchmark, pipeline_data, monkeypatch):
    """The same four loaders, one epoch each per round, round after round, so a change
    in the machine's load hits them all alike; extra_info holds each one's best epoch and
    the ratios (peer time / workers=2 time, above 1: workers=2 is faster)."""
    src, labels, order, p, shapes = pipeline_data
    work = _consumer_bound_work(shapes)
    benchmark.group = "consumer-bound C~2P, interleaved"
    loaders = {}
    for case in CONSUMER_BOUND_CASES:
        with monkeypatch.context() as m:
            loaders[case] = _consumer_bound_loader(
                GatherBase(src, labels, order, BATCH, BATCHES), case, m
            )
    best = dict.fromkeys(loaders, float("inf"))

    def one(case):
        if "no gate" in case:
            monkeypatch.setenv("FASTITER_ASYNC_GATE", "0")
        t0 = time.perf_counter()
        n = sum(1 for ds in loaders[case] if consume(ds, work) is not None)
        best[case] = min(best[case], time.perf_counter() - t0)
        monkeypatch.delenv("FASTITER_ASYNC_GATE", raising=False)
        assert n == BATCHES

    def round_():
        for case in loaders:
            one(case)

    benchmark.pedantic(
        round_, rounds=3 if benchmark.disabled else 25, iterations=1, warmup_rounds=1
    )
    for it in loaders.values():
        if hasattr(it, "close"):
            it.close()
    w2 = best["fastiter workers=2"]
    benchmark.extra_info.update(C_passes=work)
    benchmark.extra_info.update(
        {f"{k} best_ms": v * 1e3 for k, v in best.items()},
        **{f"{k} / workers=2": v / w2 for k, v in best.items() if k != "fastiter workers=2"},
    )
