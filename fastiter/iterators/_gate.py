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
"""
from __future__ import annotations

import threading

__all__ = ["Gate"]


class Gate:
    """A counting gate over the producers' batch building, widened while the consumer
    waits.

    Parameters
    ----------
    producers : int
        Producer threads (``W``).
    busy_limit : int
        Producers allowed to build at once while the consumer is busy (>= 1).

    Examples
    --------
    >>> g = Gate(2, 1)
    >>> g.enter(0), g.enter(1, timeout=0)   # the consumer is busy: one at a time
    (True, False)
    >>> g.consumer_waiting(True); g.enter(1, timeout=0)   # it waits: both may build
    True
    >>> g.leave(); g.leave(); g.close(); g.enter(2)
    False
    """

    def __init__(self, producers: int, busy_limit: int) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._producers = producers
        self._busy_limit = max(1, busy_limit)
        self._allowed = self._busy_limit
        self._active = 0
        self._held: list[int] = []  # next indices of the producers held at the gate
        self._closed = False

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
        if self._closed:
            return True
        ahead = sum(1 for i in self._held if i < index)  # held, and due sooner
        return self._active + ahead < self._allowed

    def leave(self) -> None:
        """The batch is built (or its building failed): let the next producer in."""
        with self._cond:
            self._active -= 1
            self._cond.notify_all()

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
