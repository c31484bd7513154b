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

import os
import re
import resource
import shutil
import subprocess
import threading
import time

import numpy as np
import pytest

import fastiter
from fastiter import AsyncDataSetIterator, DataSet, DataSetIterator, kernels
from fastiter.bench.async_ import thread_queue as _thread_queue  # the peer fastiter bench runs
from fastiter.iterators._indexed import IndexedBatchesMixin

RING_SOURCES = ("ring.c", "ring_wait.c", "ring_thread.c")
ROWS, COLS, BATCH, BATCHES = 200_000, 128, 4096, 24


# --- Python-to-Python hand-off and the consumer-bound epoch -------------------------------
# Registry cases (fastiter/bench/async_.py), run here as in ``fastiter bench``: Ring(65536)
# against the unbounded queue.SimpleQueue, Ring(8) against Queue(8) (the same capacity),
# and the consumer-bound C~2P epoch with workers=2 against workers=1, workers=2 without
# the gate and threading+Queue(8).  Hand-off rates (items/s) are in extra_info.
FAMILIES = ["async"]


def test_case(run_registry):
    run_registry()


# --- C-to-C hand-off --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def handoff_exe(tmp_path_factory):
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")
    exe = tmp_path_factory.mktemp("ring") / "ring_handoff"
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    src = os.path.join(here, "csrc", "examples", "ring_handoff.c")
    subprocess.run([cc, "-std=c11", "-O2", "-pthread", f"-I{fastiter.get_include()}", src,
                    *(os.path.join(fastiter.get_source_dir(), f) for f in RING_SOURCES),
                    "-o", str(exe)],
                   check=True)
    return exe


@pytest.mark.parametrize("mode", ["single", "bulk", "single, one vCPU"])
def test_handoff_c(benchmark, handoff_exe, mode):
    """Single-item hand-offs between two vCPUs of this VM are bimodal (about 15-300 M
    items/s from run to run): each item moves the ring's index line, and sometimes a
    slot line, from one vCPU to the other, at whatever that costs where the host has
    placed them.  "one vCPU" runs both threads on CPU 0 (taskset), so the ring's own
    cost shows without that transfer: they take turns in laps of the ring."""
    benchmark.group = "handoff C->C (10M items)"
    rates = []
    n = "200000" if benchmark.disabled else "10000000"
    cmd = [str(handoff_exe), n, mode.split(",")[0]]
    if mode.endswith("one vCPU"):
        if shutil.which("taskset") is None:
            pytest.skip("no taskset")
        cmd = ["taskset", "-c", "0", *cmd]

    def run():
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        rates.append(float(re.search(r"([\d.]+) M items/s", out).group(1)) * 1e6)
    benchmark.pedantic(run, rounds=3, iterations=1)
    benchmark.extra_info["items_per_s"] = max(rates)


# --- per-batch overhead over an in-memory base ------------------------------------------------
class ListBase(DataSetIterator):
    """Prebuilt batches in a list: producing one costs next to nothing."""

    def __init__(self, batches):
        super().__init__()
        self.batches = batches

    def has_next(self):
        return self._position < len(self.batches)

    def _next_batch(self, num):
        return self.batches[self._position]

    def _restart(self):
        pass

    def reset_supported(self):
        return True


@pytest.fixture(scope="module")
def small_batches(bench_rng):
    return [DataSet(bench_rng.random((4, 3)) + 1, bench_rng.random((4, 2)) + 1)
            for _ in range(5000)]


@pytest.mark.parametrize("queue_size", [0, 8, 64],
                         ids=["direct", "fastiter async q=8", "fastiter async q=64"])
def test_overhead_per_batch(benchmark, small_batches, queue_size):
    """(async - direct) / 5000 is the overhead per batch.  With a base this cheap both
    sides want the GIL, so each lap of the ring costs two GIL hand-offs, amortised over
    queue_size batches; the ring's batched waits make them uncontended (no futex sleep),
    which is what brings queue_size=8 close to queue_size=64."""
    benchmark.group = "overhead per batch (5000 in-memory batches)"
    wrapped = queue_size > 0

    def epoch():
        base = ListBase(small_batches)
        it = AsyncDataSetIterator(base, queue_size) if wrapped else base
        n = sum(1 for _ in it)
        if wrapped:
            it.close()
        assert n == len(small_batches)
    benchmark.pedantic(epoch, rounds=5, iterations=1, warmup_rounds=1)


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
        idx = self.order[i * self._batch_size:(i + 1) * self._batch_size]
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
        shapes[name] = (work, _best_time(lambda: consume(ds, work)), _loop_limits(base, work))
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
    return {name: _best_time(fn, reps) / base.n
            for name, fn in (("P_loop", producer), ("C_loop", consumer), ("both", both))}


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
    loader = torch.utils.data.DataLoader(_TorchBatches(base), batch_size=None,
                                         num_workers=workers)
    return _Restartable(lambda: (DataSet(x.numpy(), y.numpy()) for x, y in loader))


class _Restartable:
    def __init__(self, make):
        self.make = make

    def __iter__(self):
        return iter(self.make())


SCALING_CASES = ["fastiter workers=1", "fastiter workers=2",
                 "fastiter workers=2, no block cache", "ceiling: 2 plain threads, no ring"]


@pytest.mark.parametrize("case", SCALING_CASES)
def test_scaling_producer_bound(benchmark, pipeline_data, case, monkeypatch):
    """workers=2 over workers=1 is the issue's ratio (target 0.6).  The ceiling splits
    the same batch_at calls over two plain threads with nothing between them: how far
    two producers can scale on this machine at all.

    Every pass of the producer allocates a fresh 2 MB array, and the batches are freed
    on the consumer's thread.  Without the producers' block cache glibc hands those
    blocks back to the kernel and the next allocation page-faults them in again: ~2000
    minor faults per epoch with one producer and ~8500 with two, contending on the
    process's memory map, which held workers=2 at 0.72x of workers=1.  The
    "no block cache" case (FASTITER_ASYNC_BLOCK_CACHE=0) keeps that comparison in every
    run; ``minor_faults`` in extra_info is per epoch.
    """
    src, labels, order, *_ = pipeline_data
    benchmark.group = "scaling: producer-bound (P >> C)"
    base = GatherBase(src, labels, order, BATCH, BATCHES, repeat=4)
    if "no block cache" in case:
        monkeypatch.setenv("FASTITER_ASYNC_BLOCK_CACHE", "0")
    if case.startswith("ceiling"):
        def epoch():
            def half(k):
                for i in range(k, BATCHES, 2):
                    base.batch_at(i)  # dropped at once, as a consumer would
            ts = [threading.Thread(target=half, args=(k,)) for k in (0, 1)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
    else:
        it = AsyncDataSetIterator(base, 8, workers=int(case.split("workers=")[1][0]))

        def epoch():
            n = sum(1 for ds in it if ds.features[0, 0] > 0)
            assert n == BATCHES
    faults = []

    def counted():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        epoch()
        faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    benchmark.pedantic(counted, rounds=5, iterations=1, warmup_rounds=1)
    if not case.startswith("ceiling"):
        it.close()
    benchmark.extra_info["minor_faults"] = int(np.median(faults[1:] or faults))


OVERLAP_CASES = ["serial", "fastiter async", "fastiter async reuse_buffers",
                 "threading+Queue(8)",
                 "torch DataLoader(num_workers=0)", "torch DataLoader(num_workers=2)"]


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
    info = {"P_ms": p * 1e3, "C_ms": c * 1e3, "C_passes": work,
            **{k + "_ms": v * 1e3 for k, v in limits.items()}}
    if best is not None:
        info.update(over_limit=best / (max(limits["P_loop"], limits["C_loop"]) * BATCHES),
                    over_warm_limit=best / (max(p, c) * BATCHES),
                    over_both=best / (limits["both"] * BATCHES))
    benchmark.extra_info.update(info)


# --- consumer-bound: workers=2 against workers=1 and a plain thread + Queue(8) --------------
CONSUMER_BOUND_CASES = ["fastiter workers=1", "fastiter workers=2",
                        "fastiter workers=2, no gate", "threading+Queue(8)"]


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
                GatherBase(src, labels, order, BATCH, BATCHES), case, m)
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
    benchmark.pedantic(round_, rounds=3 if benchmark.disabled else 25, iterations=1,
                       warmup_rounds=1)
    for it in loaders.values():
        if hasattr(it, "close"):
            it.close()
    w2 = best["fastiter workers=2"]
    benchmark.extra_info.update(C_passes=work)
    benchmark.extra_info.update(
        {f"{k} best_ms": v * 1e3 for k, v in best.items()},
        **{f"{k} / workers=2": v / w2 for k, v in best.items() if k != "fastiter workers=2"})
