"""Producers on native threads feeding SPSC rings: the engine under the async iterators.

A :class:`Pipeline` owns, for one epoch, ``W`` rings and ``W`` native producer threads.
Producer ``k`` makes items ``k, k + W, k + 2W, ...`` and pushes them, in that order,
into ring ``k``; the consumer pops item ``i`` from ring ``i % W``.  The consumer
therefore sees the items in exactly the order of the sequence, whatever ``W``.  The
async iterators use it with one producer (any iterator) and for ``prefetch``.

A :class:`SharedPipeline` is the one for ``workers > 1`` over a random-access base:
its producers claim items from one counter and push them in order into one ring, and
those beyond the first help only while the ring runs low, so that a pipeline whose
consumer is the slower side runs on one producer.

A producer *always* ends its ring from a ``finally`` block (the last one to end, for
the shared ring), so the consumer can never
wait forever on a dead producer (the hang of DL4J #7828): an exception becomes a
:class:`Failure` item at the position where it happened, followed by the close.

Nothing here holds a reference to the iterator that owns the pipeline, so that iterator
can be garbage-collected (and its finalizer can stop the threads) while they run.
"""

from __future__ import annotations

import atexit
import collections
import itertools
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from fastiter import _env
from fastiter._core import BlockCache, NativeThread, Ring, RingClosed
from fastiter._core import kernels as _kernels
from fastiter._cpus import available_cpus
from fastiter.iterators import _blas
from fastiter.iterators._gate import CHEAP_BUILD_S, Gate

__all__ = [
    "END",
    "CarriedStop",
    "Failure",
    "Pipeline",
    "SharedPipeline",
    "block_cache",
    "register_for_exit",
]

#: What :meth:`Pipeline.pop` returns once the sequence is over.
END = object()

#: How long interpreter exit waits for a producer stuck in user code before leaving it.
EXIT_JOIN_SECONDS = 5.0


class Failure:
    """An exception raised by a producer, carried to the consumer at its position."""

    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc: BaseException | None = exc

    def reraise(self) -> None:
        """Raise the original exception; its traceback still starts in the producer."""
        exc, self.exc = self.exc, None  # break the frame cycle once delivered
        assert exc is not None, "a producer's exception is delivered once"
        raise exc


class CarriedStop(Exception):
    """A StopIteration raised inside a producer's generator, carried out of it.

    Python turns a StopIteration leaving a generator into RuntimeError (PEP 479); a
    source generator catches it, raises this instead, and :func:`_produce` hands the
    consumer the original exception, type and traceback intact.
    """

    def __init__(self, stop: StopIteration) -> None:
        super().__init__(stop)
        self.stop = stop


_CLOSED = object()  # what _gated returns when the gate closed before the build

#: Producers run their kernels on their own thread, leaving the pool's workers asleep,
#: unless the consumer is waiting for an item (False: on the pool whenever it is free).
SERIAL_WHILE_CONSUMER_BUSY = True


class _Consumer:
    """Whether the consumer is blocked in ``pop()`` right now, for the producers: while
    it is not, it computes on a core of its own, and a producer's kernel split across
    the pool's workers would take that core from it (see :func:`_serial`)."""

    __slots__ = ("waiting",)

    def __init__(self) -> None:
        self.waiting = False


def _serial() -> Callable[[bool], Any] | None:
    """The producers' switch for their kernels (``kernels.thread_serial``), or None when
    :data:`SERIAL_WHILE_CONSUMER_BUSY` is off.

    A producer's kernel on the pool (a window gather of the netCDF reader, say) uses
    the calling thread and a worker that spins 100 us after each job: beside a busy
    consumer that is three threads on two cores, and the consumer, the side the epoch
    waits on, loses its core to a copy that one thread does nearly as fast (memory
    bound).  While the consumer waits, its core is free, and the pool may have it.
    """
    return _kernels.thread_serial if SERIAL_WHILE_CONSUMER_BUSY else None


def _gated(gate: Gate, index: int, build: Callable[..., Any], *args: Any) -> Any:
    """``build(*args)`` for item ``index`` in its turn at ``gate``, its CPU time reported
    to the gate; :data:`_CLOSED` when the gate closed first.

    Known-cheap builds skip the gate's lock (two producers took it twice a batch and
    collided on it); a build started so while the gate closes again overlaps at most
    once, and blocks no one.  CPU time, not wall time: a build waiting (I/O, the GIL)
    leaves the core free.
    """
    free = gate.cheap
    if free:
        if gate.closed:
            return _CLOSED
    elif not gate.enter(index):
        return _CLOSED
    t0 = time.thread_time()
    try:
        return build(*args)
    finally:
        if free:
            gate.report(time.thread_time() - t0)
        else:
            gate.leave(time.thread_time() - t0)


def _produce(
    items: Iterator[Any],
    ring: Ring,
    gate: Gate | None = None,
    first: int = 0,
    step: int = 1,
    consumer: _Consumer | None = None,
) -> None:
    """Run on a producer thread: push every item, then end the ring, whatever happens.

    With a ``gate``, building each item (items ``first``, ``first + step``, ...) waits
    for the gate's leave; pushing it does not.  Each build's duration goes to the gate,
    which stands open while builds are cheaper than taking turns.  With ``consumer``,
    each build runs its kernels on this thread alone unless the consumer waits.
    """
    push = ring.push
    serial = None if consumer is None else _serial()
    try:
        if gate is None and serial is None:
            for item in items:
                push(item)
        else:
            index = first
            while True:
                if serial is not None and consumer is not None:
                    serial(not consumer.waiting)
                item = next(items, END) if gate is None else _gated(gate, index, next, items, END)
                if item is END or item is _CLOSED:
                    break
                push(item)
                index += step
    except RingClosed:
        pass  # the consumer stopped us
    except BaseException as exc:  # noqa: BLE001 - every error goes to the consumer
        if isinstance(exc, CarriedStop):
            exc = exc.stop
        try:
            ring.push(Failure(exc))
        except RingClosed:
            pass
    finally:
        if serial is not None:
            serial(False)
        ring.close()


class _Producers:
    """What both pipelines do with their producer threads: start them (stopping the
    ones that run when one fails to start), and, on stop, release the BLAS limit, call
    ``on_stop``, join (or detach after ``timeout``) and drop what the rings still hold."""

    def __init__(
        self, workers: int, on_stop: Callable[[], None] | None, build_s: float | None
    ) -> None:
        self._on_stop = on_stop
        #: None when every producer fits beside a busy consumer, or FASTITER_ASYNC_GATE=0
        self.gate = producer_gate(workers, build_s)
        self._ended = False
        self._threads: list[NativeThread] = []
        # BLAS workers spinning beside the producers oversubscribe the cores (_blas.py)
        self._blas_producers = workers
        _blas.acquire(workers)

    def stop(self, timeout: float | None = None) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError

    def _start_threads(self, on_failure: Callable[[int], None] | None = None) -> None:
        started = []
        try:
            for t in self._threads:
                t.start()
                started.append(t)
        except BaseException:
            if on_failure is not None:  # the ones never started never leave
                on_failure(len(self._threads) - len(started))
            self._threads = started  # stop() joins exactly the ones that run
            self.stop()
            raise

    def _end_threads(self, rings: list[Ring], timeout: float | None) -> bool:
        if self._blas_producers:
            _blas.release(self._blas_producers)
            self._blas_producers = 0
        if self._on_stop is not None:
            self._on_stop()
        joined = True
        for t in self._threads:
            try:
                ok = t.join(timeout)
            except RuntimeError:  # stop() called on a producer thread itself
                ok = False
            if not ok:
                t.detach()
                joined = False
        self._threads = []
        if joined:
            for r in rings:
                try:
                    r.drain()
                except RuntimeError:
                    pass  # a consumer on another thread is still leaving pop(); the ring
                    # releases its items when it is freed
        return joined


class Pipeline(_Producers):
    """``W`` native producers, each filling its own ring, read round-robin.

    Parameters
    ----------
    sources : list of callables
        ``sources[k]()`` returns the iterator of producer ``k``'s items (called on that
        producer's thread, so even building it overlaps the consumer).
    capacity : int
        Slots per ring.
    on_stop : callable, optional
        Called by :meth:`stop` after closing the rings, to release producers blocked
        outside a ring (for example waiting for a pooled buffer slot).
    cache : BlockCache, optional
        numpy's allocator on the producer threads (see :func:`block_cache`).
    build_s : float, optional
        The producers' mean build time learned in a previous epoch, for the gate.

    Examples
    --------
    >>> p = Pipeline([lambda: iter(range(0, 6, 2)), lambda: iter(range(1, 6, 2))], 4)
    >>> out = []
    >>> while (x := p.pop()) is not END:
    ...     out.append(x)
    >>> p.stop(), out
    (True, [0, 1, 2, 3, 4, 5])
    """

    def __init__(
        self,
        sources: list[Callable[[], Iterable[Any]]],
        capacity: int,
        on_stop: Callable[[], None] | None = None,
        cache: BlockCache | None = None,
        build_s: float | None = None,
    ) -> None:
        self._rings = [Ring(capacity) for _ in sources]
        super().__init__(len(sources), on_stop, build_s)
        gate, step = self.gate, len(sources)
        self._count = 0
        self._consumer = consumer = _Consumer()
        for k, (source, ring) in enumerate(zip(sources, self._rings)):

            def run(source=source, ring=ring, k=k) -> None:
                previous = None
                try:  # whatever fails here still reaches the consumer through the ring
                    if cache is not None:
                        previous = cache.install()
                    items = iter(source())
                except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer
                    items = _raising(exc)
                try:
                    _produce(items, ring, gate, k, step, consumer)
                finally:
                    if previous is not None:
                        BlockCache.restore(previous)

            self._threads.append(NativeThread(run, name=f"fastiter-producer-{k}"))
        self._start_threads()

    def pop(self) -> Any:
        """The next item (blocking), a :class:`Failure`, or :data:`END`."""
        if self._ended:
            return END
        rings = self._rings
        try:
            ring = rings[0] if len(rings) == 1 else rings[self._count % len(rings)]
            if len(ring):
                item = ring.pop()
            else:  # about to wait: this core is free for every producer meanwhile
                gate, consumer = self.gate, self._consumer
                consumer.waiting = True
                if gate is not None:
                    gate.consumer_waiting(True)
                try:
                    item = ring.pop()
                finally:
                    consumer.waiting = False
                    if gate is not None:
                        gate.consumer_waiting(False)
        except RingClosed:
            self._ended = True
            return END
        self._count += 1
        return item

    def stop(self, timeout: float | None = None) -> bool:
        """Stop the producers, join their threads and drop what the rings still hold.

        Returns True when every thread was joined; with ``timeout``, threads still busy
        in user code after it are detached (they end when their current item is done).
        """
        self._ended = True
        for r in self._rings:
            r.close()
        if self.gate is not None:
            self.gate.close()
        return self._end_threads(self._rings, timeout)


#: A helper producer parks once the shared ring holds this fraction of its capacity,
#: and builds again when the consumer has taken it down to HELP_LOW (0: empty).
HELP_HIGH = 0.75
HELP_LOW = 0.25
#: A helper parks after claiming this fraction of the ring's capacity, until the first
#: producer's next build made alone says whether help is still needed.
HELP_BURST = 0.75
#: Weight of the newest sample in the running mean of the consumer's times.
_MEAN_WEIGHT = 0.2
#: Builds made alone whose lower median is a build's own time: one build that faults
#: in a fresh block (1.7 ms against ~60 us, measured) must not wake the helpers, and a
#: lasting change shows after three.
_SOLO_SAMPLES = 5
#: One build in this many made alone is measured for the decision.
_SAMPLE_EVERY = 4


class SharedPipeline(_Producers):
    """``W`` native producers sharing one ring: each claims the next item of
    ``range(start, stop)`` from one counter, builds it and pushes it in its turn.

    Items reach the ring (and the consumer) in the order of the range, whoever built
    them: an item finished before an earlier one is left aside, and the producer that
    delivers the earlier one pushes both (:meth:`_deliver`); no producer builds more
    than :attr:`window` items ahead of the next one to push.  Producers beyond the
    first *help*: one claims an item only while the ring holds fewer than :attr:`high`
    items, and once it found the ring that full it parks until the consumer has taken
    it down to :attr:`low`.  When the consumer is the slower side the ring stays full,
    so after the first fill one producer builds every item, as ``workers=1`` does, and
    the others sleep instead of each waking up to build the items of their own ring
    (the design before; measured in issue 19 on a consumer-bound epoch: 2-9% more CPU
    than ``workers=1`` in four runs, and more thread switches).  When the producers
    are the slower side the ring runs empty and every producer builds.

    An exception building an item becomes a :class:`Failure` pushed at that item's
    position, and no producer claims another item.  The last producer to end closes
    the ring, so the consumer never waits on producers that are gone.

    Parameters
    ----------
    build : callable
        ``build(i)`` returns item ``i`` (called on a producer thread).
    start, stop : int
        The items to make: ``range(start, stop)``.
    workers : int
        Producer threads.
    capacity : int
        The ring's slots (rounded up to a power of two).
    on_stop, cache, build_s
        As for :class:`Pipeline`.
    means : tuple, optional
        The mean build and consume times a previous epoch learned (:attr:`means`), so
        that helpers that were not needed start parked; unknown, every producer starts.

    Examples
    --------
    >>> p = SharedPipeline(lambda i: i * i, 0, 6, workers=2, capacity=4)
    >>> out = []
    >>> while (x := p.pop()) is not END:
    ...     out.append(x)
    >>> p.stop(), out
    (True, [0, 1, 4, 9, 16, 25])
    """

    def __init__(
        self,
        build: Callable[[int], Any],
        start: int,
        stop: int,
        workers: int,
        capacity: int,
        on_stop: Callable[[], None] | None = None,
        cache: BlockCache | None = None,
        build_s: float | None = None,
        means: tuple[float | None, float | None] = (None, None),
    ) -> None:
        self._ring = ring = Ring(capacity)
        cap = ring.capacity
        #: helpers park once the ring holds this many items ...
        self.high = max(1, int(cap * HELP_HIGH))
        #: ... and build again once the consumer took it down to this many
        self.low = min(self.high - 1, int(cap * HELP_LOW))
        self._claims = itertools.count(start)  # next() is atomic under the GIL
        self._stop_at = stop
        self._turn = start  # the item to push next
        self._order_lock = threading.Lock()  # taken directly on the hot path
        self._order = threading.Condition(self._order_lock)
        self._helpers = workers - 1
        self._pending: dict[int, Any] = {}  # built items waiting for an earlier one
        self._pushing = False  # a producer is pushing the ready items
        #: the first producer pushes its items straight into the ring: every helper is
        #: parked, so nothing can come out of order (written by that producer only)
        self._lean = False
        self._joining = 0  # helpers woken, waiting for the first producer to leave it
        #: items built ahead of the next one to push, at most: the ring, and one a producer
        self.window = cap + workers
        self._window_waiters = 0
        # a build's own time (_own_time) over the last builds made alone (the
        # producers), the consumer's work on an item (running mean, the consumer): one
        # producer suffices while the first is the shorter
        own_s, self._consume_s = means
        self._solo: collections.deque[float] = collections.deque(maxlen=_SOLO_SAMPLES)
        if own_s is not None:
            self._solo.append(own_s)
        self._samples = 0  # builds measured alone so far (a helper waits for a new one)
        self._help = self.help_needed()  # as of the last measured build, for pop()
        self._want_sample = False  # a helper parked since the last measured build
        #: claims a helper makes before it parks again to let the first producer build
        #: alone, which tells whether help is still needed
        self.burst = max(1, int(cap * HELP_BURST))
        self._last_pop: float | None = None
        #: (seconds the consumer waited in pop() so far, when its current wait began or
        #: 0.0): one tuple, so that a producer reads both at once
        self._waits = (0.0, 0.0)
        #: times the consumer found the ring empty and waited: a helper parks until the
        #: consumer has waited since (see _park)
        self._consumer_waits = 0
        self._park_cond = threading.Condition(threading.Lock())
        self._parked = 0
        self._done = False  # no item left to claim, a failure pushed, or stopped
        self._live = workers
        self._live_lock = threading.Lock()
        self._consumer = _Consumer()
        super().__init__(workers, on_stop, build_s)
        for k in range(workers):

            def run(k: int = k) -> None:
                previous = None
                try:
                    if cache is not None:
                        previous = cache.install()
                    self._produce(k, build)
                finally:
                    if previous is not None:
                        BlockCache.restore(previous)
                    self._leave()

            self._threads.append(NativeThread(run, name=f"fastiter-producer-{k}"))
        self._start_threads(self._never_started)

    # --- producers ------------------------------------------------------------------
    def _produce(self, k: int, build: Callable[[int], Any]) -> None:
        gate, wall, cpu = self.gate, time.perf_counter, time.thread_time
        waited = self._consumer_waited
        helpers = self._helpers
        claims = 0  # a helper's claims since it last parked
        burst = self.burst  # doubled (up to 4x) while each burst is followed by more
        solo = 0  # builds made alone
        lean = False  # this (first) producer pushes straight into the ring
        consumer, serial = self._consumer, _serial()
        try:
            while not self._done:
                if k:
                    spent = claims >= burst
                    if spent or not self._may_help():
                        if not self._park():
                            break
                        burst = min(2 * burst, 4 * self.burst) if spent else self.burst
                        claims = 0
                    claims += 1
                elif lean:
                    if self._joining:  # a helper woke: the items go in order from now
                        lean = self._leave_lean()
                elif self._parked == helpers:
                    lean = self._enter_lean()
                i = next(self._claims)
                if i >= self._stop_at:
                    self._finish_claims()
                    break
                if not lean:
                    self._await_window(i)
                alone = self._parked == helpers  # every helper parked
                solo += alone
                # one build in _SAMPLE_EVERY made alone is measured: measuring each
                # one cost ~10% of a 512-row epoch, on the thread the consumer waits on
                measure = alone and (solo % _SAMPLE_EVERY == 1 or self._want_sample)
                if measure:
                    w0, c0 = wall(), cpu()
                    waited0 = waited(w0)
                if serial is not None:
                    # beside another producer building, the pool's worker would be a
                    # third thread on two cores even while the consumer waits
                    serial(not (alone and consumer.waiting))
                if gate is None or alone:
                    # no other producer builds: nothing to take turns with
                    item = _built(build, i)
                else:
                    item = _gated(gate, i, _built, build, i)
                    if item is _CLOSED:
                        break
                if measure and self._parked == helpers:
                    # the question is whether one producer keeps up, so only builds
                    # made alone answer it: beside another producer, a build also
                    # waits for the GIL while the other builds items further on, and
                    # the consumer waits meanwhile for this one (measured: 300-940 us
                    # waited against ~90 us of CPU), which would keep the helpers up
                    used = cpu() - c0
                    self._solo.append(_own_time(used, waited(wall()) - waited0))
                    self._samples += 1
                    self._want_sample = False
                    if gate is not None:
                        gate.report(used)  # the gate learns from these builds too
                    self._help = help = self.help_needed()
                    if helpers and help and len(self._ring) <= self.low:
                        self._wake(self._park_cond)
                failed = type(item) is Failure
                if failed:
                    self._finish_claims()  # nobody builds past a failure
                if lean:  # every item before i is in the ring, and no helper builds
                    self._ring.push(item)
                    self._turn = i + 1
                else:
                    self._deliver(i, item)
                if failed:
                    break
        except RingClosed:
            pass  # the consumer stopped us
        finally:
            if serial is not None:
                serial(False)
            if lean:  # a helper waiting to join must not wait for a producer gone
                self._leave_lean()

    def _enter_lean(self) -> bool:
        """The first producer, every helper parked: whether to push its items straight
        into the ring from now on.  The in-order hand-over (:meth:`_deliver`: a lock
        taken twice, a dict in and out) cost it 6-10 us an item over ``workers=1``'s
        producer, 12-24% of a 512-row batch, on the thread a consumer-bound epoch waits
        on (issue 19); with no helper building, it has nothing to order."""
        with self._order_lock:
            if (
                self._parked == self._helpers
                and not self._joining
                and not self._pending
                and not self._pushing
            ):
                self._lean = True
            return self._lean

    def _leave_lean(self) -> bool:
        """The first producer goes back to the in-order hand-over, and lets the helpers
        waiting for that claim items (:meth:`_join`)."""
        with self._order:
            self._lean = False
            self._order.notify_all()
        return False

    def _join(self) -> None:
        """A helper leaving its park: wait until the first producer has left the lean
        path, so that no item it claims is pushed out of order.  It does so at its next
        claim, one build at most; until then the helper is counted as not parked, so
        that producer cannot take the lean path again."""
        with self._order:
            if not self._lean:
                return
            self._joining += 1
            try:
                while self._lean and not self._done:
                    self._order.wait()
            finally:
                self._joining -= 1

    def _consumer_waited(self, now: float) -> float:
        """Seconds the consumer has spent waiting in :meth:`pop` up to ``now``."""
        total, since = self._waits
        return total + (now - since if since else 0.0)

    @property
    def means(self) -> tuple[float | None, float | None]:
        """Seconds: a build's own time (:func:`_own_time`, the lower median of the
        last builds made alone), and the running mean of the consumer's work on an
        item; None where nothing is known yet."""
        solo = self._solo
        if not solo:
            return None, self._consume_s
        return sorted(solo)[(len(solo) - 1) // 2], self._consume_s

    def help_needed(self) -> bool:
        """Whether one producer falls behind the consumer: a build's own time
        (:attr:`means`, of builds made alone) is longer than the consumer's work on an
        item (mean time between its pops, its waits left out) and than
        :data:`~fastiter.iterators._gate.CHEAP_BUILD_S`; or either is not known yet.

        Cheaper builds are left to one producer, as the gate leaves them ungated: a
        second producer's wake-ups and GIL hand-offs cost about what such a build does
        (the gate's measurements), and 512 x 128 gathers (~40-50 us) built on two
        threads at once took 0.54-1.18x the time of one thread building them all, while
        numpy's sqrt ran 1.9-2.0x faster on two threads in the same minute (issue 19)."""
        build, consume = self.means
        if build is None or consume is None:
            return True
        return build > consume and build >= CHEAP_BUILD_S

    def _may_help(self) -> bool:
        """A helper's check before each claim: whether to build now (else it parks).
        Not while the ring is nearly full, nor while one producer keeps up with the
        consumer: a ring that runs empty now and then does not make builds that are
        shorter than the consumer's steps worth two producers taking the GIL from each
        other (measured on 512-row batches, ~50 us builds: ~8 us an item with two
        producers against ~1 with one)."""
        return len(self._ring) < self.high and self.help_needed()

    def _park(self) -> bool:
        """Park a helper until help is needed again, as a build made alone *after*
        this park tells (and the consumer took the ring down to :attr:`low`): True to
        build, False to end.  Helpers also park after each :attr:`burst` of claims, so
        that a decision to help is taken again from fresh builds, not kept for good
        from the ones that made it (beside a consumer holding the GIL the ring never
        fills, so nothing else would park them).

        Nor before the consumer has waited for an item since this park: until then one
        producer keeps the consumer supplied, and on two cores a busy consumer and one
        building producer leave no core for another (measured on 512-row epochs, C =
        2P: a helper woke whenever the ring ran down, 5 times an epoch, and the epoch
        took 41.6 ms against 38.7 with no helper)."""
        ring = self._ring
        with self._park_cond:
            seen, waits = self._samples, self._consumer_waits
            self._want_sample = True  # measure the first producer's next build
            self._parked += 1
            try:
                while not self._done and (
                    self._samples == seen
                    or self._consumer_waits == waits
                    or len(ring) > self.low
                    or not self.help_needed()
                ):
                    self._park_cond.wait()
            finally:
                self._parked -= 1
        if not self._done:
            self._join()
        return not self._done

    def _await_window(self, i: int) -> None:
        """Wait until item ``i`` is within :attr:`window` of the next item to push, so
        that one slow build cannot let the others pile up built items without end."""
        if i < self._turn + self.window:
            return
        with self._order:
            self._window_waiters += 1
            try:
                while i >= self._turn + self.window:
                    if self._ring.closed:
                        raise RingClosed("stopped")
                    self._order.wait()
            finally:
                self._window_waiters -= 1

    def _deliver(self, i: int, item: Any) -> None:
        """Hand item ``i`` over for pushing, in order.  No producer waits for its turn:
        an item that comes early is left with the others, and whichever producer
        delivers the next item to push pushes every item ready after it.  (Waiting for
        the turn on a condition cost two thread switches an item when builds are short,
        measured on 512-row batches.)"""
        order, lock = self._order, self._order_lock
        with lock:
            self._pending[i] = item
            if self._pushing or i != self._turn:
                return  # the producer pushing now, or the one due first, pushes it
            self._pushing = True
            item = self._pending.pop(i)
        try:
            while True:
                self._ring.push(item)  # may wait for room; RingClosed once stopped
                with lock:
                    self._turn += 1
                    if self._window_waiters:
                        order.notify_all()
                    item = self._pending.pop(self._turn, _NONE)
                    if item is _NONE:
                        self._pushing = False
                        return
        except BaseException:
            with lock:
                self._pushing = False
            raise

    def _finish_claims(self) -> None:
        self._done = True
        self._wake(self._park_cond)

    @staticmethod
    def _wake(cond: threading.Condition) -> None:
        with cond:
            cond.notify_all()

    def _never_started(self, n: int) -> None:
        with self._live_lock:  # the last producer to leave closes the ring
            self._live -= n

    def _leave(self) -> None:
        with self._live_lock:
            self._live -= 1
            last = self._live == 0
        if last:
            self._ring.close()  # every item claimed was pushed (or we were stopped)
        else:
            self._finish_claims()  # a producer that ends lets no helper sleep on

    # --- the consumer -----------------------------------------------------------------
    def pop(self) -> Any:
        """The next item (blocking), a :class:`Failure`, or :data:`END`."""
        if self._ended:
            return END
        started = time.perf_counter()
        ring = self._ring
        try:
            if len(ring):  # a consumer-bound epoch's every pop: no call more
                item = ring.pop()
            elif self._last_pop is None:  # the threads starting: no build's own wait
                item = self._plain_pop()
            else:
                item = self._wait_pop(started)
        except RingClosed:
            self._ended = True
            return END
        now = time.perf_counter()
        last, self._last_pop = self._last_pop, now
        if last is not None:  # the consumer's work on the previous item
            c, work = self._consume_s, started - last
            self._consume_s = work if c is None else c + _MEAN_WEIGHT * (work - c)
        if self._parked and self._help and len(ring) <= self.low:
            self._wake(self._park_cond)
        return item

    def _plain_pop(self) -> Any:
        ring = self._ring
        if len(ring):
            return ring.pop()
        gate, consumer = self.gate, self._consumer
        consumer.waiting = True  # this core is free for every producer
        self._consumer_waits += 1
        if self._parked and self._help:
            self._wake(self._park_cond)
        if gate is not None:
            gate.consumer_waiting(True)
        try:
            return ring.pop()
        finally:
            consumer.waiting = False
            if gate is not None:
                gate.consumer_waiting(False)

    def _wait_pop(self, started: float) -> Any:
        """pop() on an empty ring, the wait counted for the producers' builds."""
        self._waits = (self._waits[0], started)
        try:
            return self._plain_pop()
        finally:
            self._waits = (self._waits[0] + time.perf_counter() - started, 0.0)

    def stop(self, timeout: float | None = None) -> bool:
        """As :meth:`Pipeline.stop`."""
        self._ended = True
        self._done = True
        self._ring.close()
        if self.gate is not None:
            self.gate.close()
        self._wake(self._park_cond)
        self._wake(self._order)
        return self._end_threads([self._ring], timeout)


_NONE = object()


def _own_time(cpu: float, consumer_waited: float) -> float:
    """A build's own time, for whether one producer keeps up: the longer of its thread's
    CPU time and the time the consumer waited in ``pop()`` during it.

    Not its wall time: beside a consumer holding the GIL (a pure-Python training step)
    a build of ~40 us of CPU waited up to the 5 ms switch interval for the GIL, so its
    wall time said one producer fell behind, and a second producer woke to build
    (8-23 of 48 batches in ``test_async_share``, 23-68 of 200 in the 512-row bench);
    a second producer only takes the GIL in turns with the first.  A wait while the
    consumer also waits is the build's own (a read, kernels running on the pool's
    threads), and a second producer can overlap it: so is the CPU time.  The time the
    consumer waited is at least the build's CPU time plus its waits that overlap the
    consumer's, so the longer of the two counts the build's own waits without the
    ones spent behind the consumer.
    """
    return cpu if cpu > consumer_waited else consumer_waited


def _built(build: Callable[[int], Any], i: int) -> Any:
    """``build(i)``, or its exception as a :class:`Failure` for the consumer; RingClosed
    (the consumer stopped us, e.g. while waiting for a pooled slot) ends the producer."""
    try:
        return build(i)
    except RingClosed:
        raise
    except BaseException as exc:  # noqa: BLE001 - every error goes to the consumer
        return Failure(exc)


#: Set to 0 to let producers allocate through numpy's default allocator.
CACHE_ENV = "FASTITER_ASYNC_BLOCK_CACHE"
#: Arrays smaller than this come from malloc as usual (glibc recycles those well).
CACHE_MIN_BYTES = 64 * 1024
#: Memory the cache may hold between a free on the consumer and the next allocation.
CACHE_MAX_BYTES = 1 << 30


def block_cache(cache: BlockCache | None, batches_in_flight: int) -> BlockCache | None:
    """The block cache for a pipeline about to start, or None when turned off.

    Batches are allocated on a producer thread and freed on the consumer's; glibc gives
    such large blocks back to the kernel, so each new batch page-faults its memory in
    again, and two producers faulting at once contend on the process's memory map
    (measured: ~2,000 faults per 24-batch epoch with one producer, ~8,500 with two).
    Recycling the blocks keeps their pages mapped.  ``cache`` is the one kept from the
    previous epoch, re-armed here; the caller sets its limits to 0 on close.  Between
    epochs (and in an exhausted iterator never closed) it keeps at most the blocks of
    about four pipelines' worth of batches, and never more than CACHE_MAX_BYTES.
    """
    if not _env.get(CACHE_ENV):
        return None
    # each batch holds a few large arrays (features, labels, masks), and the consumer
    # may hold a few batches beyond those in the rings
    max_blocks = min(4 * (batches_in_flight + 2), 4096)
    if cache is None:
        cache = BlockCache(CACHE_MIN_BYTES, max_blocks, CACHE_MAX_BYTES)
    else:
        cache.set_limits(max_blocks, CACHE_MAX_BYTES)
    return cache


#: Set to 0 to let every producer build at once, whatever the consumer does.
GATE_ENV = "FASTITER_ASYNC_GATE"


def producer_gate(producers: int, build_s: float | None = None) -> Gate | None:
    """The gate for ``producers`` threads (see :mod:`fastiter.iterators._gate`), or None
    when they all fit on the CPUs a busy consumer leaves free, or the gate is off.
    ``build_s``: the mean build time a previous epoch's gate learned."""
    busy_limit = max(1, available_cpus() - 1)
    if producers <= busy_limit or not _env.get(GATE_ENV):
        return None
    return Gate(producers, busy_limit, build_s)


def _raising(exc: BaseException) -> Iterator[Any]:
    raise exc
    yield  # pragma: no cover - makes this a generator


# --- interpreter exit -----------------------------------------------------------------
_LIVE: weakref.WeakSet[Any] = weakref.WeakSet()
_LIVE_LOCK = threading.Lock()


def register_for_exit(obj: Any) -> None:
    """Close ``obj`` (anything with ``_shutdown(timeout)``) at interpreter exit."""
    with _LIVE_LOCK:
        _LIVE.add(obj)


# Pipelines inherited by a forked child: their threads do not exist there, so they must
# never be joined or freed (freeing would detach pthread handles that are not threads).
_FORK_ORPHANS: list[Any] = []


def _after_fork_in_child() -> None:
    global _LIVE
    for obj in list(_LIVE):
        runner = getattr(obj, "_runner", None)
        if runner is not None and runner.pipeline is not None:
            _FORK_ORPHANS.append(runner.pipeline)
            runner.pipeline = None
            runner.forked = True
    _LIVE = weakref.WeakSet()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


@atexit.register
def _close_all_at_exit() -> None:
    with _LIVE_LOCK:
        live = list(_LIVE)
    for obj in live:
        try:
            obj._shutdown(EXIT_JOIN_SECONDS)
        except Exception:  # noqa: BLE001 - exit must go on
            pass
