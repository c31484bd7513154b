"""How many producers may build a batch at once: the cores the consumer leaves free.

With ``W`` producers on ``cores`` CPUs, a consumer that is busy (training on the batch
it has) and ``W`` producers all building batches ahead put ``W + 1`` busy threads on
the CPUs.  When the consumer is the slower side that running ahead buys nothing (its
next batch is already waiting) and costs the consumer its share of a core: on the
2-vCPU VM, ``workers=2`` over a consumer taking ~2x a producer's time ran its epochs
at 0.84-0.91x a single thread + ``Queue(8)`` while ``workers=1`` ran at 1.00-1.08x
(issue 19).  Most of an epoch's loss is at its start, when both producers fill their
rings at once, beside the consumer.

The gate lets at most ``max(1, cores - 1)`` producers build at once while the consumer
is busy, and all ``W`` while it waits for a batch (it then uses no CPU, and the batch
it waits for may be any producer's).  Because every producer may go whenever the
consumer waits, the gate can never hold back the batch the consumer waits for: it
cannot deadlock, even when building a batch itself waits on the consumer (a pooled
buffer slot).  Among producers held at the gate, the one whose next batch comes first
in the sequence goes first.  Order is unaffected: it is fixed by which ring holds
which batch, not by when a batch is built.

Taking turns has a price: a producer held at the gate sleeps and is woken by the other
one's ``leave``, two thread switches.  For batches that cost little more than that to
build (512 x 128 float32 rows, ~50 us of CPU) the turns cost more than the overlap they
prevent: gated, ``workers=2`` ran 524 voluntary context switches per 200-batch epoch
against 186 for ``workers=1`` and 189 ungated, and ~20% more CPU.  So the gate keeps a
running mean of the build times the producers report (:meth:`Gate.leave`) and stands
open while it is below :data:`CHEAP_BUILD_S`; until the first report it gates.  The
time is the producer thread's CPU time, so a build that waits (on I/O, say) does not
count as occupying a core.
"""

from __future__ import annotations

import threading

__all__ = ["CHEAP_BUILD_S", "Gate"]

#: Builds using less CPU than this (mean, time.thread_time) pass the gate freely: a held
#: producer's sleep and wake-up (~25-30 us of CPU a batch, measured) cost about as much
#: as the overlap it prevents.  Measured on the 2-vCPU VM: gather batches of 512 x 128
#: float32 (~50 us of CPU) ran 20% slower gated; 1024 x 128 (~110 us) the same gated or
#: not; 4096 x 128 (~300-500 us) beside a consumer ~2x slower need the turns (issue 19:
#: 0.84-0.91x of a thread + Queue(8) ungated).  CPU, not wall time: a build waiting on
#: I/O or the GIL leaves its core to the consumer.
CHEAP_BUILD_S = 100e-6
#: Weight of the newest build in the running mean.
_MEAN_WEIGHT = 0.25


class Gate:
    """A counting gate over the producers' batch building, widened while the consumer
    waits.

    Parameters
    ----------
    producers : int
        Producer threads (``W``).
    busy_limit : int
        Producers allowed to build at once while the consumer is busy (>= 1).
    build_s : float, optional
        The mean build time learned by the previous epoch's gate (:attr:`build_s`);
        None: unknown, gated until builds are reported.

    Examples
    --------
    >>> g = Gate(2, 1)
    >>> g.enter(0), g.enter(1, timeout=0)   # the consumer is busy: one at a time
    (True, False)
    >>> g.consumer_waiting(True); g.enter(1, timeout=0)   # it waits: both may build
    True
    >>> g.leave(); g.leave(); g.close(); g.enter(2)
    False
    >>> g = Gate(2, 1); g.enter(0)
    True
    >>> g.leave(1e-5); g.enter(1, timeout=0), g.enter(2, timeout=0)   # cheap builds
    (True, True)
    """

    def __init__(self, producers: int, busy_limit: int, build_s: float | None = None) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._producers = producers
        self._busy_limit = max(1, busy_limit)
        self._allowed = self._busy_limit
        self._active = 0
        self._held: list[int] = []  # next indices of the producers held at the gate
        self._closed = False
        self._build_s = build_s  # running mean of the reported build times

    def enter(self, index: int, timeout: float | None = None) -> bool:
        """Wait until this producer may build batch ``index``.  False once closed (the
        producer stops), or when ``timeout`` passed first."""
        with self._cond:
            self._held.append(index)
            try:
                ok = self._cond.wait_for(lambda: self._may_go(index), timeout)
            finally:
                self._held.remove(index)
            if not ok or self._closed:
                return False
            self._active += 1
            return True

    def _may_go(self, index: int) -> bool:
        if self._closed or self.cheap:
            return True
        ahead = sum(1 for i in self._held if i < index)  # held, and due sooner
        return self._active + ahead < self._allowed

    @property
    def build_s(self) -> float | None:
        """The running mean of the reported build times (thread CPU seconds), or None."""
        return self._build_s

    @property
    def cheap(self) -> bool:
        """Whether builds cost so little (mean below :data:`CHEAP_BUILD_S`) that every
        producer may go at once."""
        return self._build_s is not None and self._build_s < CHEAP_BUILD_S

    def leave(self, seconds: float | None = None) -> None:
        """The batch is built (or its building failed): let the next producer in.

        ``seconds`` is how long the build took, for the running mean (None: unknown).
        """
        with self._cond:
            self._active -= 1
            if seconds is not None:
                self.report(seconds)
            self._cond.notify_all()

    def report(self, seconds: float) -> None:
        """Add a build's duration to the running mean, without entering the gate: the
        producers' path while builds are :attr:`cheap`.  Lock-free; two producers
        reporting at once may lose one sample, which a running mean can afford."""
        mean = self._build_s
        self._build_s = seconds if mean is None else mean + _MEAN_WEIGHT * (seconds - mean)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called (producers stop)."""
        return self._closed

    def consumer_waiting(self, waiting: bool) -> None:
        """The consumer starts (True) or stops (False) waiting for a batch."""
        with self._cond:
            self._allowed = self._producers if waiting else self._busy_limit
            if waiting:
                self._cond.notify_all()

    def close(self) -> None:
        """Release every held producer; ``enter`` answers False from now on."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
