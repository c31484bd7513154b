"""AsyncDataSetIterator and friends: order, errors, lifecycle, buffer reuse, shields."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import traceback
import weakref

import numpy as np
import pytest
from iterators.test_async_support import (
    Boom,
    CountingIterator,
    array_base,
    epoch,
)
from procs import sigint_as_in_a_terminal

from fastiter import (
    ArrayDataSetIterator,
    AsyncDataSetIterator,
    AsyncMultiDataSetIterator,
    AsyncShieldDataSetIterator,
    AsyncShieldMultiDataSetIterator,
    DataSet,
    DataSetIterator,
    MultiDataSet,
    MultiDataSetIterator,
    NoSuchElementError,
    StaleBatchError,
    UnsupportedOperationError,
    prefetch,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Recorder:
    """A pre-processor that records which thread ran it and marks each batch once."""

    def __init__(self):
        self.threads = set()
        self.calls = 0

    def pre_process(self, ds):
        self.threads.add(threading.get_ident())
        self.calls += 1
        ds.labels = ds.labels + 100.0


# --- order ------------------------------------------------------------------------------
@pytest.mark.parametrize("workers", [1, 2, 3, 5])
@pytest.mark.parametrize("queue_size", [2, 8])
def test_order_equals_base_over_epochs(workers, queue_size, census):
    expected_base = array_base()
    expected = [epoch(expected_base)]
    expected_base.reset()
    expected.append(epoch(expected_base))
    with AsyncDataSetIterator(array_base(), queue_size, workers=workers) as it:
        assert it.producers == workers
        got = [[ds.copy() for ds in it], [ds.copy() for ds in it]]  # __iter__ resets
    assert got == expected
    assert [len(e) for e in got] == [13, 13]


def test_plain_base_falls_back_to_one_producer(census):
    it = AsyncDataSetIterator(CountingIterator(9), 2, workers=4)
    assert it.producers == 1
    got = [ds.features[0, 1] for ds in it]
    assert got == list(range(9))
    it.close()


def test_multi_dataset_order(census):
    class Multi(MultiDataSetIterator):
        def __init__(self):
            super().__init__()
            self.i = 0

        def has_next(self):
            return self.i < 7

        def _next_batch(self, num):
            self.i += 1
            return MultiDataSet(
                [np.full((2, 3), self.i), np.full((2, 1), -self.i)], [np.ones((2, 1))]
            )

        def _restart(self):
            self.i = 0

        def reset_supported(self):
            return True

    with AsyncMultiDataSetIterator(Multi(), 2, reuse_buffers=True) as it:
        got = [m.features[1][0, 0] for m in it]
        assert got == [-i for i in range(1, 8)]
        it.reset()
        assert [m.detach().features[0][1, 2] for m in it] == list(range(1, 8))
    with pytest.raises(TypeError, match="MultiDataSetIterator"):
        AsyncMultiDataSetIterator(CountingIterator(2))


# --- the pre-processor ------------------------------------------------------------------
@pytest.mark.parametrize("workers", [1, 2])
def test_pre_processor_runs_once_on_a_producer_thread(workers, census):
    base = array_base(20, 4)
    rec = Recorder()
    it = AsyncDataSetIterator(base, 2, workers=workers)
    it.pre_processor = rec
    assert base.pre_processor is rec and it.pre_processor is rec
    got = [ds.labels.copy() for ds in it]
    it.close()
    assert rec.calls == 5 == len(got)
    assert all(lab.min() >= 100 for lab in got)  # applied, and only once (not 200)
    assert threading.get_ident() not in rec.threads


# --- errors -----------------------------------------------------------------------------
@pytest.mark.parametrize("fail_at", [0, 3, 9])
def test_producer_error_reaches_consumer_at_its_position(fail_at, census):
    it = AsyncDataSetIterator(CountingIterator(10, fail_at=fail_at), 4)
    got = []
    with pytest.raises(Boom, match=f"batch {fail_at}") as info:
        for ds in it:
            got.append(int(ds.features[0, 1]))
    assert got == list(range(fail_at))
    frames = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    assert "raise_boom" in frames and "_next_batch" in frames  # the producer's frames
    assert not it.has_next()  # finished, not hung
    with pytest.raises(NoSuchElementError):
        it.next()
    census.assert_back()
    it.reset()  # and it can start over (failing at the same place again)
    again = []
    with pytest.raises(Boom):
        for ds in it:
            again.append(int(ds.features[0, 1]))
    assert again == got


@pytest.mark.parametrize("workers", [2, 3])
def test_worker_error_keeps_position(workers, census):
    reference = epoch(array_base())
    it = AsyncDataSetIterator(array_base(fail_at=5), 2, workers=workers)
    got = []
    with pytest.raises(Boom, match="batch 5"):
        while it.has_next():
            got.append(it.next().copy())
    assert got == reference[:5]
    assert not it.has_next()
    census.assert_back()


def test_error_while_consumer_waits_does_not_hang(census):
    it = AsyncDataSetIterator(CountingIterator(5, fail_at=2, delay=0.05), 2)
    t0 = time.monotonic()
    with pytest.raises(Boom):
        epoch(it)
    assert time.monotonic() - t0 < 10


# --- lifecycle ----------------------------------------------------------------------------
def test_reset_mid_epoch_restarts_cleanly(census):
    base = CountingIterator(30)
    it = AsyncDataSetIterator(base, 4)
    first = [it.next().features[0].tolist() for _ in range(3)]
    it.reset()
    census.assert_back()  # the producers were joined by reset()
    second = [ds.features[0].tolist() for ds in it]
    assert first == [[0, 0], [0, 1], [0, 2]]
    assert second == [[1, i] for i in range(30)]
    it.close()


def test_reset_unsupported_base_raises(census):
    class OneShot(CountingIterator):
        def reset_supported(self):
            return False

    it = AsyncDataSetIterator(OneShot(3))
    assert not it.reset_supported()
    with pytest.raises(UnsupportedOperationError):
        it.reset()
    it.close()


def test_close_and_gc_join_threads(census):
    it = AsyncDataSetIterator(CountingIterator(1000), 2)
    it.next()
    it.close()
    census.assert_back()
    assert not it.has_next()

    it = AsyncDataSetIterator(array_base(400, 2), 2, workers=3)
    it.next()
    del it
    gc.collect()
    census.assert_back()


def test_break_out_of_for_loop_leaks_nothing(census):
    it = AsyncDataSetIterator(CountingIterator(1000), 4, reuse_buffers=True)
    for i, _ in enumerate(it):
        if i == 3:
            break
    del it
    census.assert_back()


def test_keyboard_interrupt_in_consumer_leaves_no_thread(census):
    with pytest.raises(KeyboardInterrupt), AsyncDataSetIterator(CountingIterator(1000), 2) as it:
        for i, _ in enumerate(it):
            if i == 2:
                raise KeyboardInterrupt
    census.assert_back()


SCRIPT = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {tests!r})
    from fastiter import AsyncDataSetIterator
    from iterators.test_async_support import CountingIterator
    mode = sys.argv[1]
    it = AsyncDataSetIterator(CountingIterator(10**6, delay=0.2 if mode == "sigint" else 0), 2)
    it.next()
    print("ready", flush=True)
    if mode == "sigint":
        while True:
            it.next()      # blocks in the ring; SIGINT must get through
    # mode "leave": exit with producers parked on a full ring, never closed
""")


@pytest.mark.parametrize("mode", ["sigint", "leave"])
def test_process_exits_promptly(mode, tmp_path):
    script = tmp_path / "run.py"
    script.write_text(SCRIPT.format(tests=os.path.join(ROOT, "tests")))
    env = {**os.environ, "PYTHONPATH": ROOT}
    proc = subprocess.Popen(
        [sys.executable, str(script), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=sigint_as_in_a_terminal,
    )
    assert proc.stdout.readline().strip() == "ready"
    if mode == "sigint":
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the process hung at exit")
    if mode == "sigint":
        assert "KeyboardInterrupt" in err
    else:
        assert proc.returncode == 0, err


# --- buffer reuse -------------------------------------------------------------------------
@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("queue_size", [2, 4])
def test_reuse_buffers_validity_window(workers, queue_size, census):
    reference = epoch(array_base(80, 4))
    it = AsyncDataSetIterator(array_base(80, 4), queue_size, workers=workers, reuse_buffers=True)
    held, kept = [], []
    for i, ds in enumerate(it):
        held.append(ds)
        kept.append(ds.detach())
        window = held[max(0, i - queue_size) : i + 1]  # the batch asked for + Q before it
        for j, old in enumerate(window, start=max(0, i - queue_size)):
            assert old == reference[j], f"batch {j} changed while still valid"
        if i > queue_size:
            stale = held[i - queue_size - 1]
            with pytest.raises(StaleBatchError, match="detach"):
                _ = stale.features
            assert not stale.is_valid()
    assert kept == reference  # detached copies survive
    assert all(type(k) is DataSet for k in kept)
    it.close()


def test_reuse_buffers_stale_after_reset(census):
    it = AsyncDataSetIterator(CountingIterator(6), 2, reuse_buffers=True)
    ds = it.next()
    assert ds.features[0, 1] == 0
    it.reset()
    with pytest.raises(StaleBatchError):
        ds.num_examples()
    assert [int(d.features[0, 1]) for d in it] == list(range(6))
    it.close()


class TrackedBase(DataSetIterator):
    """Batch i is a fresh array full of i; counts how many of its arrays are alive."""

    def __init__(self, n):
        super().__init__()
        self.n, self.alive, self.made = n, 0, {}
        self.lock = threading.Lock()

    def has_next(self):
        return self._position < self.n

    def _next_batch(self, num):
        i = self._position
        x = np.full((8, 3), float(i))
        with self.lock:
            self.alive += 1
        weakref.finalize(x, self._dead)
        self.made[i] = weakref.ref(x)
        return DataSet(x, np.zeros((8, 1)))

    def _dead(self):
        with self.lock:
            self.alive -= 1

    def _restart(self):
        pass

    def reset_supported(self):
        return True


@pytest.mark.slow
@pytest.mark.parametrize("queue_size", [2, 4])
def test_reuse_buffers_copies_nothing_and_bounds_live_batches(queue_size, census):
    base = TrackedBase(40)
    it = AsyncDataSetIterator(base, queue_size, reuse_buffers=True)
    slots = queue_size + 2  # DL4J's cyclic workspace size for one producer
    held, taken = [], []
    for i, ds in enumerate(it):
        assert ds.features is base.made[i]()  # the base's own array: no copy
        taken.append(ds.features)  # an array taken out is never overwritten
        held.append(ds)  # holding stale DataSets does not keep their arrays alive
        del ds
        time.sleep(0.002)  # let the producer run as far ahead as it may
        gc.collect()
        assert base.alive - len(taken) <= slots, "more batches alive than slots"
        if i > queue_size:
            assert not held[i - queue_size - 1].is_valid()
    assert [float(x[0, 0]) for x in taken] == [float(i) for i in range(40)]
    del taken
    gc.collect()
    assert base.alive <= slots  # only what the last slots still hold
    it.close()


# --- shields, prefetch and arguments ----------------------------------------------------
def test_flags_and_forwarding(census):
    base = array_base(10, 4)
    it = AsyncDataSetIterator(base)
    assert not it.async_supported() and it.reset_supported()
    assert it.batch() == 4 and it.input_columns() == 3 and it.total_outcomes() == 2
    assert len(it) == 3
    with pytest.raises(NotImplementedError, match="next\\(num\\)"):
        it.next(2)
    it.close()
    shield = AsyncShieldDataSetIterator(array_base(10, 4))
    assert not shield.async_supported() and shield.reset_supported()
    rec = Recorder()
    shield.pre_processor = rec
    assert [ds.copy() for ds in shield] == [
        DataSet(d.features, d.labels + 100) for d in epoch(array_base(10, 4))
    ]
    assert rec.calls == 3
    shield_m = AsyncShieldMultiDataSetIterator.__new__(AsyncShieldMultiDataSetIterator)
    with pytest.raises(TypeError, match="MultiDataSetIterator"):
        shield_m.__init__(array_base())


@pytest.mark.parametrize(
    "kw, err, match",
    [
        ({"queue_size": 1}, ValueError, "queue_size must be >= 2"),
        ({"queue_size": 2.5}, TypeError, "queue_size"),
        ({"workers": 0}, ValueError, "workers"),
    ],
)
def test_bad_arguments(kw, err, match):
    with pytest.raises(err, match=match):
        AsyncDataSetIterator(array_base(), **kw)
    with pytest.raises(TypeError, match="DataSetIterator"):
        AsyncDataSetIterator([1, 2, 3])


def test_prefetch_any_iterable(census):
    def gen():
        for i in range(10):
            if i == 6:
                raise_from_gen()
            yield i

    def raise_from_gen():
        raise Boom("gen")

    assert list(prefetch(range(100), 3)) == list(range(100))
    p = prefetch(gen(), 2)
    got = []
    with pytest.raises(Boom) as info:
        for x in p:
            got.append(x)
    assert got == list(range(6))
    assert "raise_from_gen" in [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    with pytest.raises(StopIteration):
        next(p)
    p = prefetch(iter(range(10**6)), 2)
    next(p)
    del p
    with pytest.raises(ValueError, match="n must be >= 1"):
        prefetch([1], 0)


@pytest.mark.parametrize("workers", [1, 2])
def test_state_dict_resumes_at_the_consumer_position(workers, census):
    import json

    reference = epoch(array_base())
    it = AsyncDataSetIterator(array_base(), 4, workers=workers)
    head = [it.next().copy() for _ in range(5)]
    state = json.loads(json.dumps(it.state_dict()))  # JSON-safe
    it.close()
    assert state["position"] == 5 and state["base"]["position"] == 5
    resumed = AsyncDataSetIterator(array_base(), 4, workers=workers)
    resumed.load_state_dict(state)
    assert head + epoch(resumed) == reference
    resumed.close()
    with pytest.raises(ValueError, match="not a AsyncDataSetIterator"):
        resumed.load_state_dict({"type": "Other", "epoch": 0, "position": 0})


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_gets_a_clear_error_not_a_hang(census):
    it = AsyncDataSetIterator(CountingIterator(50), 2)
    assert it.next().features[0, 1] == 0
    pid = os.fork()
    if pid == 0:  # the child: no producer thread exists here
        code = 3
        try:
            it.next()
            it.next()
            it.next()  # the ring held at most 2; a third must not wait forever
        except RuntimeError as exc:
            code = 0 if "forked" in str(exc) else 4
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert [int(it.next().features[0, 1]) for _ in range(3)] == [1, 2, 3]  # parent goes on
    it.close()


def test_close_from_another_thread_wakes_a_blocked_consumer(census):
    it = AsyncDataSetIterator(CountingIterator(10**6, delay=0.5), 2)
    result = []

    def consumer():
        try:
            result.append(it.has_next())
            result.append(it.has_next())
        except BaseException as exc:  # noqa: BLE001 - the thread's outcome, asserted below
            result.append(exc)

    t = threading.Thread(target=consumer)
    t.start()
    time.sleep(0.1)
    it.close()
    t.join(timeout=20)
    assert not t.is_alive()
    assert result and all(r in (True, False) for r in result)


def test_async_wrapper_honours_a_base_that_refuses_async():
    from fastiter._core._ring import native_thread_count

    x = np.arange(14.0)[:, None]
    before = native_thread_count()
    shield = AsyncShieldDataSetIterator(ArrayDataSetIterator(x, batch_size=4))
    with AsyncDataSetIterator(shield, workers=2) as it:
        assert not it.prefetching
        got = []
        for ds in it:
            assert native_thread_count() == before  # nothing runs ahead of the consumer
            got.append(ds.features[:, 0].tolist())
        it.reset()
        again = [ds.features[:, 0].tolist() for ds in it]
    assert (
        got == again == [ds.features[:, 0].tolist() for ds in ArrayDataSetIterator(x, batch_size=4)]
    )
    prefetched = AsyncDataSetIterator(ArrayDataSetIterator(x, batch_size=4))
    assert prefetched.prefetching
    prefetched.close()
