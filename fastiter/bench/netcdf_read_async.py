"""Issue 20's async target, with the controls that show this machine's overlap ceiling.

fastiter: ``AsyncDataSetIterator(workers=2)`` (the default ``queue_size``, 8; the
earlier bench's 4 is a variant) over the windows workload with a consumer
as heavy as the read (``np.sin`` passes, the GIL released); the limit is max(read alone,
consume alone).  The controls run in the same rounds, interleaved with it:

- (a) compute only: ``np.sin`` over an L2-resident array (no memory traffic beyond the
  core's caches), GIL released, on one thread and on two at once;
- (b) streaming memory: ``np.copyto`` of batch-sized buffers, as many as the epoch has
  batches, on one thread and on two at once;
- (c) the read alone and the consume alone, each on a plain thread, at once.

Two fastiter variants with less memory traffic between producer and consumer run as
peers: recycled batch buffers (``reuse_buffers=True``) and staging blocks of 16 steps
(a few MB, in L3) instead of 32 MiB.

Two threads of (a) at 1.0x one thread mean two real cores; (b) above 1.0x means the two
threads share memory bandwidth; (c) is what this pipeline could reach with no
hand-off at all.  The summary line gives each as a ratio, and the CPU floor: the
process CPU time of the read alone plus the consume alone (best of the rounds), over
the cores.  The read gathers its windows on the kernels' thread pool, so alone it keeps
more than one core busy; once its CPU and the consumer's exceed the cores' time at
max(read, consume), no pipeline on this machine reaches that max.  It also gives the
time the read alone takes to its first batch (a staging block read), which a pipeline's
consumer spends waiting and (c)'s, working on batches held in memory, does not.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from fastiter.bench.async_ import _best_of
from fastiter.bench.core import together

__all__ = ["Consumer", "async_case", "windows_read"]


class Consumer:
    """Compute-bound work on each batch that releases the GIL, as a training step is:
    ``np.sin`` over the first ``m`` values, ``k`` times (a memory-bound consumer would
    measure the machine's shared memory bandwidth instead of the overlap)."""

    def __init__(self, m: int | None = None, k: int = 1) -> None:
        self.m, self.k = m, k

    def __call__(self, x: np.ndarray) -> None:
        flat = x.reshape(-1)[: self.m]
        tmp = np.empty_like(flat)
        for _ in range(self.k):
            np.sin(flat, out=tmp)

    def scaled(self, factor: float, size: int) -> Consumer:
        """A consumer ``factor`` times as heavy (over batches of ``size`` values)."""
        total = factor * self.k * min(self.m or size, size)
        # passes of at most the batch each: one pass over more values than the batch
        # has would be cut to the batch (a factor of 1.9 made half the work asked for)
        k = max(1, math.ceil(total / size))
        return Consumer(max(1, round(total / k)), k)


def _compute_only(seconds: float) -> Callable[[], None]:
    """``np.sin`` over 8192 float32 (32 KiB in, 32 KiB out: in L2), repeated to take
    about ``seconds`` on one thread."""
    x = np.linspace(0.1, 1.0, 8192, dtype=np.float32)
    out = np.empty_like(x)

    def one(n: int) -> None:
        for _ in range(n):
            np.sin(x, out=out)

    per = _best_of(lambda: one(200), reps=3) / 200
    n = max(1, int(seconds / max(per, 1e-9)))
    return lambda: one(n)


def _stream(nbytes: int, count: int) -> Callable[[], None]:
    """``count`` copies of an ``nbytes`` buffer (a batch), its own buffers per call site."""
    src = np.random.default_rng(3).random(max(nbytes // 4, 1), np.float32) + 1
    dst = np.empty_like(src)

    def run() -> None:
        for _ in range(count):
            np.copyto(dst, src)

    return run


def _cpu_timed(fn: Callable[[], Any], best: dict[str, float], name: str) -> Callable[[], None]:
    """``fn``, recording the least process CPU time (every thread) of its calls."""

    def run() -> None:
        c0 = time.process_time()
        fn()
        dt = time.process_time() - c0
        best[name] = min(best.get(name, dt), dt)

    return run


def _windows_iter(bench: Any, **kw: Any) -> Any:
    return bench.new_iterator("windows", **kw)


def windows_read(
    bench: Any, reps: int = 3
) -> tuple[Any, Callable[[], None], list[np.ndarray], float]:
    """The windows iterator over ``bench``'s files, a whole-epoch read of it, the
    epoch's batches held in memory (copies) and the read's best time of ``reps``: what
    the case and the interleaved profile (bench/async_rounds.py) size their consumer by."""
    base = _windows_iter(bench)

    def read() -> None:
        base.reset()
        while base.has_next():
            base.next()

    base.reset()
    held = [b.features.copy() for b in base]
    return base, read, held, _best_of(read, reps=reps)


def async_case(bench: Any) -> Any:
    """The case (see the module doc) over ``bench``'s files (a
    :class:`~fastiter.bench.netcdf_read.ReadBench`), with iterators of its own."""
    from fastiter import AsyncDataSetIterator
    from fastiter.bench.core import Case
    from fastiter.netcdf.plan import STAGING_BYTES

    base, read, held, t_read = windows_read(bench)
    nb, batch_bytes = len(held), held[0].nbytes

    def first() -> None:
        base.reset()
        base.next()

    # before its first batch exists the consumer can only wait: a block of steps is
    # staged (read_size) before any window is gathered from it
    t_first = _best_of(first, reps=3)
    one = Consumer()

    def one_pass() -> None:
        for x in held:
            one(x)

    per_pass = _best_of(one_pass, reps=3)
    consumer = one.scaled(t_read / max(per_pass, 1e-9), held[0].size)

    def consume() -> None:
        for x in held:
            consumer(x)

    kept: list[Any] = []

    def pipelined(it: Any, **kw: Any) -> Callable[[], None]:
        # one async iterator for every epoch, as a training loop keeps it: its block
        # cache stays warm (a new one per epoch page-faulted ~8,000 times, ~15 ms)
        batches = AsyncDataSetIterator(it, **{"workers": 2, **kw})
        kept.append(batches)

        def run() -> None:
            batches.reset()
            n = 0
            for b in batches:
                consumer(b.features)
                n += 1
            assert n == nb and batches.producers == batches.workers

        return run

    # less memory traffic between producer and consumer: recycled batch buffers, and
    # staging blocks of 16 steps (a few MB, in L3) instead of 32 MiB
    small = _windows_iter(bench, read_size=16)
    small.reset()
    for x, b in zip(held, small):
        if not np.array_equal(x, b.features, equal_nan=True):
            raise AssertionError("read_size=16 gives other batches than the default")
    # the blocks before the ramp: every block the full 32 MiB (an explicit read_size
    # turns the ramp off), so its first batch waits for a whole block
    full = max(STAGING_BYTES // (bench.ny * bench.nx * 4), 1)
    uniform = _windows_iter(bench, read_size=full)
    uniform.reset()
    for x, b in zip(held, uniform):
        if not np.array_equal(x, b.features, equal_nan=True):
            raise AssertionError(f"read_size={full} gives other batches than the default")

    def first_uniform() -> None:
        uniform.reset()
        uniform.next()

    t_first_uniform = _best_of(first_uniform, reps=3)
    compute = _compute_only(t_read)
    streams = (_stream(batch_bytes, nb), _stream(batch_bytes, nb))
    read_side = _windows_iter(bench)

    def read_other() -> None:
        read_side.reset()
        while read_side.has_next():
            read_side.next()

    cpu: dict[str, float] = {}

    def summary(row: dict[str, Any]) -> str:
        p, parts = row["peers"], row.get("ceiling_parts", {})
        limit = max(parts.values()) if parts else float("nan")
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
        floor = (cpu.get("read", float("nan")) + cpu.get("consume", float("nan"))) / cores

        def s(name: str) -> float:
            return float(p[name]["seconds"])

        a = s("(a) compute only, 2 threads") / s("(a) compute only, 1 thread")
        b = s("(b) np.copyto, 2 threads") / s("(b) np.copyto, 1 thread")
        c = s("(c) read || consume, plain threads") / limit
        return (
            f"epoch / max(read, consume) = {row['fastiter_s'] / limit:.2f}; controls: "
            f"(a) compute, 2 threads / 1 = {a:.2f}; (b) np.copyto "
            f"{batch_bytes / 1e6:.1f} MB, 2 threads / 1 = {b:.2f}; (c) read || consume "
            f"on plain threads / max = {c:.2f}; CPU floor (CPU of read + consume) / "
            f"{cores} cores = {floor / limit:.2f} x max; first batch alone "
            f"(the consumer waits for it) = {t_first / limit:.2f} x max "
            f"({t_first_uniform / limit:.2f} with uniform {full}-step blocks)"
        )

    return Case(
        f"async netCDF windows, workers=2, consumer ~ read, {nb} batches",
        pipelined(base),
        {
            "fastiter, queue_size=4": pipelined(base, queue_size=4),
            "fastiter, workers=1": pipelined(base, workers=1),
            "fastiter, reuse_buffers=True": pipelined(base, reuse_buffers=True),
            "fastiter, read_size=16 steps": pipelined(small),
            f"fastiter, uniform {full}-step blocks (no ramp)": pipelined(uniform),
            "(a) compute only, 1 thread": compute,
            "(a) compute only, 2 threads": together(compute, compute),
            "(b) np.copyto, 1 thread": streams[0],
            "(b) np.copyto, 2 threads": together(*streams),
            "(c) read || consume, plain threads": together(read_other, consume),
        },
        bench.nbytes["windows"],
        ceiling={
            "read alone": _cpu_timed(read, cpu, "read"),
            "consume alone": _cpu_timed(consume, cpu, "consume"),
        },
        key="netcdf read async",
        rounds=5,
        summary=summary,
        notes=[
            f"consumer: np.sin over {consumer.m} values x {consumer.k} a batch "
            f"(calibrated to the read, {t_read * 1e3:.1f} ms)",
            "controls: a peer's ratio is its time over fastiter's; the summary compares "
            "each control with its own 1-thread time (1.00 = perfect overlap)",
        ],
        close=lambda: [x.close() for x in (*kept, base, read_side, small, uniform)],
    )
