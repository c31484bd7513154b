"""The Cython face of the C ring: object ownership, close, timeouts and native threads."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading
import time

import pytest

from fastiter._core._ring import NativeThread, Ring, RingClosed, native_thread_count


class Token:
    """A fresh object whose reference count the tests can watch."""


def test_fifo_order_and_capacity_rounding():
    r = Ring(5)
    assert r.capacity == 8
    for i in range(8):
        assert r.push(i, timeout=0)
    assert len(r) == 8
    assert r.push(99, timeout=0) is False
    assert [r.pop() for _ in range(8)] == list(range(8))
    with pytest.raises(TimeoutError):
        r.pop(timeout=0.02)


@pytest.mark.parametrize("bad", [0, -1, 2**31])
def test_bad_capacity(bad):
    with pytest.raises(ValueError, match="capacity"):
        Ring(bad)
    with pytest.raises(TypeError, match="capacity"):
        Ring(2.0)


def test_close_refuses_push_and_drains():
    r = Ring(4)
    r.push("a")
    r.close()
    assert r.closed
    with pytest.raises(RingClosed):
        r.push("b")
    assert r.pop() == "a"
    with pytest.raises(RingClosed):
        r.pop()


def test_references_are_owned_and_released():
    tok = Token()
    base = sys.getrefcount(tok)
    r = Ring(4)
    r.push(tok)
    r.push(tok)
    assert sys.getrefcount(tok) == base + 2
    assert r.pop() is tok
    assert sys.getrefcount(tok) == base + 1
    del r  # the ring releases what it still holds
    gc.collect()
    assert sys.getrefcount(tok) == base
    r = Ring(1)
    r.push(tok)
    assert r.push(tok, timeout=0.01) is False  # refused push keeps no reference
    assert sys.getrefcount(tok) == base + 1
    assert r.drain() == [tok]
    assert sys.getrefcount(tok) == base


def test_native_producer_and_close_wakes_blocked_pop():
    start = native_thread_count()
    r = Ring(16)
    n = 20_000

    def produce():
        for i in range(n):
            r.push(i)
        r.close()

    t = NativeThread(produce)
    t.start()
    got = []
    with pytest.raises(RingClosed):
        while True:
            got.append(r.pop())
    assert got == list(range(n))
    assert t.join(timeout=10)
    assert native_thread_count() == start

    r2 = Ring(2)
    result = []

    def blocked_pop():
        try:
            r2.pop()
        except RingClosed:
            result.append("closed")

    t2 = NativeThread(blocked_pop)
    t2.start()
    time.sleep(0.1)
    assert t2.is_alive()
    r2.close()
    assert t2.join(timeout=10)
    assert result == ["closed"]
    assert native_thread_count() == start


def test_second_concurrent_popper_is_refused():
    r = Ring(2)
    errors = []

    def waiter():
        try:
            r.pop(timeout=2)
        except (TimeoutError, RingClosed):
            pass

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.1)
    try:
        r.pop(timeout=0.01)
    except RuntimeError as exc:
        errors.append(str(exc))
    except TimeoutError:
        pass
    r.close()
    t.join()
    assert errors and "single consumer" in errors[0]


def test_native_thread_errors_reach_excepthook(monkeypatch):
    seen = []
    monkeypatch.setattr(threading, "excepthook", lambda args: seen.append(args.exc_type))

    def boom():
        raise KeyError("x")

    t = NativeThread(boom)
    t.start()
    assert t.join(timeout=10)
    assert seen == [KeyError]
    assert not t.is_alive()
    with pytest.raises(RuntimeError, match="once"):
        t.start()
    with pytest.raises(TypeError, match="callable"):
        NativeThread(42)


def test_current_thread_in_a_native_thread_leaves_no_dummy():
    names = []
    t = NativeThread(lambda: names.append(threading.current_thread().name))
    before = set(threading.enumerate())
    t.start()
    assert t.join(timeout=10)
    assert names and set(threading.enumerate()) <= before


@pytest.mark.parametrize("sanitize", [None, "tsan"])
@pytest.mark.parametrize("mode", ["single", "bulk"])
def test_c_example_embeds_the_ring(tmp_path, sanitize, mode):
    from pathlib import Path

    from cbuild import ROOT, compile_c

    import fastiter

    src = ROOT / "csrc" / "examples" / "ring_handoff.c"
    exe = compile_c(
        [
            str(src),
            *(
                str(Path(fastiter.get_source_dir()) / f)
                for f in ("ring.c", "ring_wait.c", "ring_thread.c")
            ),
        ],
        tmp_path / "ring_handoff",
        sanitize,
    )
    res = subprocess.run([str(exe), "300000", mode], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"{mode}: 300000 items" in res.stdout and "ORDER ERROR" not in res.stdout


C_PRODUCER = r"""
#include <fastiter.h>
#include <stdint.h>

typedef struct { fi_ring *ring; long n; } job;
static job the_job;
static fi_thread *the_thread;

static void produce(void *p)
{
    job *j = p;
    for (long i = 1; i <= j->n; i++)
        if (fi_ring_push(j->ring, (void *)(uintptr_t)i, FI_RING_FOREVER) != FI_OK)
            break;
    fi_ring_close(j->ring);
}

int start_producer(void *ring, long n)
{
    the_job.ring = ring;
    the_job.n = n;
    return fi_thread_start(&the_thread, produce, &the_job);
}

int join_producer(void) { return fi_thread_join(the_thread); }
"""


def test_c_threads_push_python_pops(tmp_path):
    """A C pipeline with its own copy of ring.c pushes; Python pops the same ring."""
    import ctypes
    from pathlib import Path

    from cbuild import compile_c

    import fastiter

    src = tmp_path / "producer.c"
    src.write_text(C_PRODUCER)
    lib_path = compile_c(
        [
            str(src),
            *(
                str(Path(fastiter.get_source_dir()) / f)
                for f in ("ring.c", "ring_wait.c", "ring_thread.c")
            ),
        ],
        tmp_path / "libproducer.so",
        None,
        ["-shared", "-fPIC"],
    )
    lib = ctypes.CDLL(str(lib_path))
    lib.start_producer.argtypes = [ctypes.c_void_p, ctypes.c_long]
    r = Ring(64, kind="int")
    n = 200_000
    assert lib.start_producer(r.address, n) == 0
    got = []
    with pytest.raises(RingClosed):
        while True:
            got.append(r.pop())
    assert lib.join_producer() == 0
    assert got == list(range(1, n + 1))
    with pytest.raises(TypeError, match="kind='int'"):
        _ = Ring(4).address
    with pytest.raises(OverflowError):
        r2 = Ring(4, kind="int")
        r2.push(-1)
    with pytest.raises(ValueError, match="kind"):
        Ring(4, kind="bytes")


def test_ring_header_is_public():
    from pathlib import Path

    import fastiter

    inc = Path(fastiter.get_include())
    header = (inc / "fastiter" / "ring.h").read_text()
    assert '#include "fastiter/ring.h"' in (inc / "fastiter.h").read_text()
    assert "Python.h" not in header and "fi_ring_push" in header


def test_linger_setting():
    r = Ring(4)
    assert r.linger == pytest.approx(5e-6)
    r.linger = 0
    assert r.linger == 0
    r.linger = 2e-4
    assert r.linger == pytest.approx(2e-4)
    for bad in (-1e-6, 2, "soon", None, True):
        with pytest.raises(ValueError, match="linger"):
            r.linger = bad


@pytest.mark.parametrize("linger", [0, 5e-6, 1e-3])
@pytest.mark.parametrize("capacity", [2, 8])
def test_small_ring_handoff_between_python_threads(capacity, linger):
    """Batched waits on both sides (the GIL-friendly path) keep order and count."""
    r = Ring(capacity)
    r.linger = linger
    n = 20_000

    def produce():
        for i in range(n):
            r.push(i)
        r.close()

    t = threading.Thread(target=produce)
    t.start()
    got = []
    while True:
        try:
            got.append(r.pop(timeout=30))
        except RingClosed:
            break
    t.join()
    assert got == list(range(n))


def test_pop_timeout_still_honoured_with_a_long_linger():
    r = Ring(8)
    r.linger = 0.5
    t0 = time.perf_counter()
    with pytest.raises(TimeoutError):
        r.pop(timeout=0.05)
    assert time.perf_counter() - t0 < 0.45
    r.push("x")
    t0 = time.perf_counter()
    assert r.pop(timeout=5) == "x"  # an item already there: no wait at all
    assert time.perf_counter() - t0 < 0.45
