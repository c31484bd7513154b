"""Async prefetch benchmarks: hand-off rates, per-batch overhead, overlap and scaling.

Each fastiter case shares a ``group`` with its peers (queue.SimpleQueue, queue.Queue(8),
a threading prefetcher, torch's DataLoader when installed).  Derived figures (items/s,
µs per batch, epoch time over the max(P, C) x batches limit) go into ``extra_info``,
with P and C measured in the same run.  The machine is shared: read ratios, not
absolute times.
"""
from __future__ import annotations

import collections
import itertools
import os
import queue
import re
import shutil
import subprocess
import threading
import time

import numpy as np
import pytest

import fastiter
from fastiter import AsyncDataSetIterator, DataSet, DataSetIterator, kernels
from fastiter._core._ring import Ring

HANDOFF_ITEMS = 200_000
RING_SOURCES = ("ring.c", "ring_thread.c")
ROWS, COLS, BATCH, BATCHES = 200_000, 128, 4096, 24


# --- Python-to-Python hand-off --------------------------------------------------------------
def _handoff(put, get, n=HANDOFF_ITEMS):
    """Items/s moved from a producer thread to this thread through put/get.

    Both loops run at C level (map / islice over iter(get, ...)), so the figure is the
    cost of the hand-off itself rather than of the interpreter loop around it.
    """
    t = threading.Thread(target=lambda: collections.deque(map(put, range(n)), maxlen=0))
    t0 = time.perf_counter()
    t.start()
    total = sum(itertools.islice(iter(get, None), n))
    dt = time.perf_counter() - t0
    t.join()
    assert total == n * (n - 1) // 2
    return n / dt


# name -> (factory of (put, get), items): the bounded cases hand over the GIL every few
# items, so fewer items give the same rate.
HANDOFF_CASES = {
    "fastiter Ring(65536)": (lambda: _put_get(Ring(1 << 16)), HANDOFF_ITEMS),
    "fastiter Ring(8)": (lambda: _put_get(Ring(8)), HANDOFF_ITEMS // 10),
    "queue.SimpleQueue": (lambda: _put_get(queue.SimpleQueue()), HANDOFF_ITEMS),
    "queue.Queue(8)": (lambda: _put_get(queue.Queue(8)), HANDOFF_ITEMS // 10),
}


def _put_get(q):
    return (q.push, q.pop) if isinstance(q, Ring) else (q.put, q.get)


@pytest.mark.parametrize("case", list(HANDOFF_CASES))
def test_handoff_python(benchmark, case):
    benchmark.group = "handoff python->python"
    rates = []
    factory, n = HANDOFF_CASES[case]
    if benchmark.disabled:
        n //= 20
    benchmark.pedantic(lambda: rates.append(_handoff(*factory(), n=n)), rounds=3, iterations=1)
    benchmark.extra_info["items_per_s"] = max(rates)


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


@pytest.mark.parametrize("mode", ["single", "bulk"])
def test_handoff_c(benchmark, handoff_exe, mode):
    benchmark.group = "handoff C->C (10M items)"
    rates = []
    n = "200000" if benchmark.disabled else "10000000"

    def run():
        out = subprocess.run([str(handoff_exe), n, mode], check=True,
                             capture_output=True, text=True).stdout
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
    """(async - direct) / 5000 is the overhead per batch; with a base this cheap both
    sides want the GIL, so each ring fill costs two GIL hand-offs, amortised over
    queue_size batches."""
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
class GatherBase(DataSetIterator):
    """Shuffled minibatches gathered with fastiter.kernels.gather (random access)."""

    indexable = True

    def __init__(self, src, labels, order, batch, batches, repeat=1):
        super().__init__()
        self.src, self.labels, self.b, self.n, self.repeat = src, labels, batch, batches, repeat
        self.order = order

    def num_batches(self):
        return self.n

    def has_next(self):
        return self._position < self.n

    def _batch_at(self, i):
        idx = self.order[i * self.b:(i + 1) * self.b]
        for _ in range(self.repeat):  # a heavier producer for the scaling case
            x = kernels.gather(self.src, idx)
        return DataSet(x, kernels.gather(self.labels, idx))

    def _next_batch(self, num):
        return self._batch_at(self._position)

    def _restart(self):
        pass

    def reset_supported(self):
        return True


def consume(ds, work):
    """C: ufunc passes over the batch (numpy releases the GIL inside each)."""
    tmp = np.empty_like(ds.features)
    for _ in range(work):
        np.multiply(ds.features, 1.0001, out=tmp)
        np.sqrt(tmp, out=tmp)
    return float(tmp[0, 0])


@pytest.fixture(scope="module")
def pipeline_data(bench_rng):
    fastiter.set_num_threads(1)  # one core per producer: the async layer is what we measure
    src = bench_rng.random((ROWS, COLS), dtype=np.float32) + 0.5
    labels = np.eye(10, dtype=np.float32)[bench_rng.integers(0, 10, ROWS)]
    order = np.random.default_rng(5).permutation(ROWS)
    base = GatherBase(src, labels, order, BATCH, BATCHES)
    p = _median_time(lambda: base._batch_at(3))
    ds = base._batch_at(0)
    work = 1
    while _median_time(lambda: consume(ds, work)) < p and work < 64:
        work += 1
    c = _median_time(lambda: consume(ds, work))
    return src, labels, order, work, p, c


def _median_time(fn, reps=7):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def _threading_prefetch(base, n=8):
    q, end = queue.Queue(n), object()

    def run():
        for ds in base:
            q.put(ds)
        q.put(end)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    while (x := q.get()) is not end:
        yield x
    t.join()


class _TorchBatches:
    """A map-style dataset handing out whole batches (DataLoader(batch_size=None))."""

    def __init__(self, base):
        self.base = base

    def __len__(self):
        return self.base.n

    def __getitem__(self, i):
        ds = self.base._batch_at(i)
        return ds.features, ds.labels


def _loaders(base, case):
    if case == "serial":
        return iter(base)
    if case == "fastiter async":
        return AsyncDataSetIterator(base, 8)
    if case == "fastiter async reuse_buffers":
        # batches land in recycled slots: no page faults once the pool is warm
        return AsyncDataSetIterator(base, 8, reuse_buffers=True)
    if case == "threading+Queue(8)":
        return _threading_prefetch(base)
    torch = pytest.importorskip("torch")
    workers = 0 if case.endswith("0)") else 2
    loader = torch.utils.data.DataLoader(_TorchBatches(base), batch_size=None,
                                         num_workers=workers)
    return (DataSet(x.numpy(), y.numpy()) for x, y in loader)


OVERLAP_CASES = ["serial", "fastiter async", "fastiter async reuse_buffers",
                 "threading+Queue(8)",
                 "torch DataLoader(num_workers=0)", "torch DataLoader(num_workers=2)"]


@pytest.mark.parametrize("case", OVERLAP_CASES)
def test_overlap(benchmark, pipeline_data, case):
    src, labels, order, work, p, c = pipeline_data
    benchmark.group = "overlap: gather producer P, numpy consumer C"

    def epoch():
        it = _loaders(GatherBase(src, labels, order, BATCH, BATCHES), case)
        n = sum(1 for ds in it if consume(ds, work) is not None)
        if hasattr(it, "close"):
            it.close()
        assert n == BATCHES
    benchmark.pedantic(epoch, rounds=3, iterations=1, warmup_rounds=1)
    limit = max(p, c) * BATCHES
    benchmark.extra_info.update(P_ms=p * 1e3, C_ms=c * 1e3, limit_s=limit,
                                over_limit=benchmark.stats.stats.min / limit
                                if benchmark.stats else None)


@pytest.mark.parametrize("workers", [1, 2])
def test_scaling_producer_bound(benchmark, pipeline_data, workers):
    src, labels, order, *_ = pipeline_data
    benchmark.group = "scaling: producer-bound (P >> C)"

    def epoch():
        base = GatherBase(src, labels, order, BATCH, BATCHES, repeat=4)
        with AsyncDataSetIterator(base, 8, workers=workers) as it:
            n = sum(1 for ds in it if ds.features[0, 0] > 0)
        assert n == BATCHES
    benchmark.pedantic(epoch, rounds=3, iterations=1, warmup_rounds=1)
