"""Interleaved rounds of the async cases in one process, with where the time went.

    flock /tmp/fastiter-bench.lock python bench/async_rounds.py gather 512[:C/P] [ROUNDS] [ROLES]
    flock /tmp/fastiter-bench.lock python bench/async_rounds.py netcdf [ROUNDS] [ROLES]

``gather``: issue 19 item 4's consumer-bound epoch (fastiter/bench/async_.py, C = 2P;
``4096:0.5`` makes the consumer take half the producer's time instead).
``netcdf``: issue 20's windows epoch with a consumer as heavy as the read
(fastiter/bench/netcdf_read_async.py).  Roles (comma-separated, each round runs every
role once, in a rotated order): ``w1``, ``w2`` (workers=1/2), ``w1o``, ``w2o`` (the same
with the producers' kernels on the pool whatever the consumer does: the behaviour
before SERIAL_WHILE_CONSUMER_BUSY), ``w2x`` (the shared pipeline with one producer),
``q`` (a plain thread + Queue(8)); netcdf also ``ctl`` (read and consume on two plain
threads, no hand-off), ``read``, ``reads`` (the read with its kernels on its thread),
``consume``.

Per role, medians over the rounds: wall time, process CPU, context switches, the
consumer's (main thread's) and the pool workers' CPU (schedstat, ns), each producer's
CPU and switches, the builds each producer made, the helper's parks and wake-ups, the
jobs handed to the pool, and the CPU other processes used meanwhile (rounds where it
exceeds 15% of the wall time plus a clock tick are left out of the medians).
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import fastiter.iterators._pipeline as pipeline_module
from fastiter import AsyncDataSetIterator
from fastiter._core import kernels as core_kernels
from fastiter.bench.core import together

_TICK = os.sysconf("SC_CLK_TCK")
_STATS: dict[str, Any] = {"threads": [], "built": {}, "parks": 0, "unparks": 0}
_LOCAL = threading.local()


def _busy() -> float:
    """CPU seconds every process on the machine used so far (idle and iowait left out)."""
    with open("/proc/stat") as fh:
        v = [int(x) for x in fh.readline().split()[1:]]
    return (sum(v) - v[3] - v[4]) / _TICK


def _switches(status: str) -> tuple[int, int]:
    vol = int(status.split("\nvoluntary_ctxt_switches:")[1].split()[0])
    inv = int(status.split("nonvoluntary_ctxt_switches:")[1].split()[0])
    return vol, inv


def _task(tid: int) -> tuple[float, int, int]:
    try:
        with open(f"/proc/self/task/{tid}/schedstat") as fh:
            cpu = int(fh.read().split()[0]) / 1e9
        with open(f"/proc/self/task/{tid}/status") as fh:
            return (cpu, *_switches(fh.read()))
    except OSError:  # the thread ended
        return (0.0, 0, 0)


def _instrument() -> None:
    """Count each producer thread's CPU, switches and builds, and the helpers' parks."""
    native = pipeline_module.NativeThread

    def named(target: Callable[[], None], name: str = "native") -> Any:
        def run() -> None:
            _LOCAL.name = name
            t0 = time.thread_time()
            try:
                target()
            finally:
                with open("/proc/thread-self/status") as fh:
                    vol, inv = _switches(fh.read())
                _STATS["threads"].append((name, time.thread_time() - t0, vol, inv))

        return native(run, name=name)

    built = pipeline_module._built

    def counted(build: Callable[[int], Any], i: int) -> Any:
        name = getattr(_LOCAL, "name", "?")
        _STATS["built"][name] = _STATS["built"].get(name, 0) + 1
        return built(build, i)

    park = pipeline_module.SharedPipeline._park

    def parked(self: Any) -> bool:
        _STATS["parks"] += 1
        woke = park(self)
        _STATS["unparks"] += woke
        return woke

    pipeline_module.NativeThread = named  # type: ignore[misc]
    pipeline_module._built = counted
    pipeline_module.SharedPipeline._park = parked  # type: ignore[method-assign]


def _policy(fn: Callable[[], None], serial: bool) -> Callable[[], None]:
    def run() -> None:
        pipeline_module.SERIAL_WHILE_CONSUMER_BUSY = serial
        try:
            fn()
        finally:
            pipeline_module.SERIAL_WHILE_CONSUMER_BUSY = True

    return run


def _one_producer(fn: Callable[[], None]) -> Callable[[], None]:
    """``fn`` with every shared pipeline started with one producer (no helper)."""
    init = pipeline_module.SharedPipeline.__init__

    def single(self: Any, build: Any, start: int, stop: int, workers: int, *a: Any, **k: Any):
        init(self, build, start, stop, 1, *a, **k)

    def run() -> None:
        pipeline_module.SharedPipeline.__init__ = single  # type: ignore[method-assign]
        try:
            fn()
        finally:
            pipeline_module.SharedPipeline.__init__ = init  # type: ignore[method-assign]

    return run


def _async_roles(fns: dict[str, Callable[[], None]]) -> None:
    fns["w1o"] = _policy(fns["w1"], False)
    fns["w2o"] = _policy(fns["w2"], False)
    fns["w2x"] = _one_producer(fns["w2"])


def gather_roles(batch: int, c_over_p: float = 2.0) -> tuple[dict[str, Callable[[], None]], str]:
    from fastiter.bench.async_ import _calibrate, _consume_epoch, shuffled_batches, thread_queue

    cols = 128
    base = shuffled_batches(batch, 200 if batch < 4096 else 48, cols)
    nb = base().num_batches()
    tmp = np.empty((batch, cols), np.float32)
    p_s, c_s, passes = _calibrate(base, tmp, nb)  # C = 2P
    passes *= c_over_p / 2  # about linear in the passes (a correction of a few %)
    w1 = AsyncDataSetIterator(base(), 8, workers=1)
    w2 = AsyncDataSetIterator(base(), 8, workers=2)
    plain = base()
    fns = {
        "w1": lambda: _consume_epoch(w1, tmp, passes, nb),
        "w2": lambda: _consume_epoch(w2, tmp, passes, nb),
        "q": lambda: _consume_epoch(thread_queue(plain), tmp, passes, nb),
    }
    _async_roles(fns)
    c_s *= c_over_p / 2
    return fns, f"{nb} batches of {batch}x{cols}: P {p_s * 1e6:.0f} us, C ~{c_s * 1e6:.0f} us"


def netcdf_roles() -> tuple[dict[str, Callable[[], None]], str]:
    import tempfile

    from fastiter.bench.async_ import _best_of
    from fastiter.bench.netcdf_read import ReadBench
    from fastiter.bench.netcdf_read_async import Consumer, windows_read

    root = os.path.join(tempfile.gettempdir(), "fastiter-async-rounds")
    os.makedirs(root, exist_ok=True)
    bench = ReadBench(root)
    base, read, held, t_read = windows_read(bench, reps=5)
    nb = len(held)
    one = Consumer()

    def one_pass() -> None:
        for x in held:
            one(x)

    consumer = one.scaled(t_read / _best_of(one_pass, reps=3), held[0].size)

    def consume() -> None:
        for x in held:
            consumer(x)

    t_consume = _best_of(consume, reps=5)
    # one correction, with the read measured again: a round of either one slowed by
    # another process leaves the consumer far from the read (0.5x, measured)
    t_read = min(t_read, _best_of(read, reps=5))
    consumer = consumer.scaled(t_read / t_consume, held[0].size)
    t_consume = _best_of(consume, reps=5)
    other = bench.new_iterator("windows")

    def read_other() -> None:
        other.reset()
        while other.has_next():
            other.next()

    def reads() -> None:
        was = core_kernels.thread_serial(True)
        try:
            read()
        finally:
            core_kernels.thread_serial(was)

    def pipelined(workers: int) -> Callable[[], None]:
        it = AsyncDataSetIterator(base, workers=workers)

        def run() -> None:
            it.reset()
            n = 0
            for b in it:
                consumer(b.features)
                n += 1
            assert n == nb

        return run

    fns = {
        "w1": pipelined(1),
        "w2": pipelined(2),
        "ctl": together(read_other, consume),
        "read": read,
        "reads": reads,
        "consume": consume,
    }
    _async_roles(fns)
    return fns, (
        f"{nb} batches; calibration: read {t_read * 1e3:.1f} ms, consume {t_consume * 1e3:.1f} ms"
    )


def _round(fn: Callable[[], None], main: int) -> dict[str, Any]:
    _STATS["threads"].clear()
    _STATS["built"].clear()
    _STATS["parks"] = _STATS["unparks"] = 0
    python = {t.native_id for t in threading.enumerate()}
    pool = [int(t) for t in os.listdir("/proc/self/task") if int(t) not in python]
    before = {t: _task(t) for t in [*pool, main]}
    jobs, busy = core_kernels.pool_jobs(), _busy()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    t1, c1 = time.perf_counter(), time.process_time()
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    busy, jobs = _busy() - busy, core_kernels.pool_jobs() - jobs
    after = {t: _task(t) for t in before}
    d = {t: tuple(b - a for a, b in zip(before[t], after[t])) for t in before}
    return {
        "wall": t1 - t0,
        "cpu": c1 - c0,
        "others": busy - (c1 - c0),
        "vcs": ru1.ru_nvcsw - ru0.ru_nvcsw,
        "ivcs": ru1.ru_nivcsw - ru0.ru_nivcsw,
        "main": d[main],
        "pool": tuple(sum(d[t][k] for t in pool) for k in range(3)),
        "jobs": jobs,
        "threads": list(_STATS["threads"]),
        "built": dict(_STATS["built"]),
        "parks": _STATS["parks"],
        "unparks": _STATS["unparks"],
    }


def _report(role: str, rounds: list[dict[str, Any]]) -> str:
    med = statistics.median
    clean = [r for r in rounds if r["others"] < 0.15 * r["wall"] + 1.1 / _TICK] or rounds
    w = [r["wall"] for r in clean]
    out = (
        f"{role:8s} n={len(clean)}/{len(rounds)} wall best/median {min(w) * 1e3:.1f}/"
        f"{med(w) * 1e3:.1f} ms, process CPU {med([r['cpu'] for r in clean]) * 1e3:.1f} ms, "
        f"switches v/iv {med([r['vcs'] for r in clean]):.0f}/"
        f"{med([r['ivcs'] for r in clean]):.0f}; consumer CPU "
        f"{med([r['main'][0] for r in clean]) * 1e3:.1f} ms v/iv "
        f"{med([r['main'][1] for r in clean]):.0f}/{med([r['main'][2] for r in clean]):.0f}"
        f"; pool CPU {med([r['pool'][0] for r in clean]) * 1e3:.1f} ms, "
        f"{med([r['jobs'] for r in clean]):.0f} jobs"
    )
    threads: dict[str, list[tuple[float, int, int]]] = {}
    for r in clean:
        for name, cpu, vol, inv in r["threads"]:
            threads.setdefault(name, []).append((cpu, vol, inv))
    for name, xs in sorted(threads.items()):
        out += (
            f"\n    {name}: CPU {med([x[0] for x in xs]) * 1e3:.1f} ms, v/iv "
            f"{med([x[1] for x in xs]):.0f}/{med([x[2] for x in xs]):.0f}"
        )
    names = sorted({k for r in clean for k in r["built"]})
    if names:
        out += "\n    builds " + ", ".join(
            f"{k} median {med([r['built'].get(k, 0) for r in clean])} "
            f"max {max(r['built'].get(k, 0) for r in clean)}"
            for k in names
        )
        out += (
            f"; helper parks median {med([r['parks'] for r in clean])}, "
            f"wake-ups median {med([r['unparks'] for r in clean])} "
            f"max {max(r['unparks'] for r in clean)}"
        )
    return out


def main(argv: list[str]) -> None:
    if argv[0] == "gather":
        batch, _, ratio = argv[1].partition(":")  # ROWS[:C/P], e.g. 4096:0.5
        fns, about = gather_roles(int(batch), float(ratio or 2.0))
        argv = argv[2:]
        default = "w1,w2,w1o,w2o,q"
    else:
        fns, about = netcdf_roles()
        argv = argv[1:]
        default = "w1,w2,w1o,w2o,ctl,read,reads,consume"
    rounds = int(argv[0]) if argv else 20
    roles = (argv[1] if len(argv) > 1 else default).split(",")
    _instrument()
    for r in roles:  # warm every role (its iterators' caches, the pool)
        fns[r]()
    main_tid = threading.get_native_id()
    res: dict[str, list[dict[str, Any]]] = {r: [] for r in roles}
    for k in range(rounds):
        for r in roles[k % len(roles) :] + roles[: k % len(roles)]:
            res[r].append(_round(fns[r], main_tid))
    print(f"{about}; {rounds} rounds; load {os.getloadavg()}")
    for r in roles:
        print(_report(r, res[r]))
    med = statistics.median
    for a, b in [("w1", "w2"), ("w1o", "w2o"), ("w1o", "w1"), ("w2o", "w2")]:
        if a in res and b in res:
            x, y = [r["wall"] for r in res[a]], [r["wall"] for r in res[b]]
            print(
                f"{a} time / {b} time: medians {med(x) / med(y):.3f}, bests "
                f"{min(x) / min(y):.3f}, median of the rounds' ratios "
                f"{med([p / q for p, q in zip(x, y)]):.3f}"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
