"""Asynchronous prefetch: DL4J's AsyncDataSetIterator family on native threads.

Batches are produced on native threads (pthreads created by the C core, calling into
Python with the GIL held) and handed to the consumer through lock-free SPSC rings
(``csrc/ring.c``); every wait happens with the GIL released.

Order and workers
-----------------
With ``workers=1`` a single producer calls ``base.next()`` until the epoch ends, so any
iterator can be wrapped.  With ``workers=W > 1`` the base must offer *random access*:
``indexable = True``, ``num_batches()`` and a thread-safe ``batch_at(i)`` (see
:mod:`fastiter.iterators.base`).  The producers claim the batches from one counter
and push them, in the base's order, into one ring, so the sequence is identical to the
base's whatever ``W``.  Producers beyond the first help only while the ring runs low:
when the consumer is the slower side the ring stays full and one producer builds
every batch, as with ``workers=1``; when the producers are, all of them build.  A
base without random access falls back to one producer.

The pre-processor runs on the producer (it is the base's: setting it on the wrapper
forwards it inward).  Set it before iterating; batches already prefetched keep the
pre-processor they were made with.

Errors and lifecycle
--------------------
An exception in a producer reaches the consumer at the position where it happened,
with its original type and traceback; the iterator is then finished (``has_next()`` is
False until ``reset()``).  ``reset()`` stops and joins the producers, drops what they
had prefetched and restarts; ``reset(paths=...)`` does the same and hands the paths to
the iterator over files inside (see :meth:`_AsyncMixin.reset`).  ``close()``, the
``with`` statement, garbage collection and interpreter exit all join every thread.
Breaking out of a ``for`` loop leaves the producers parked (no CPU) until one of those
happens.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from fastiter._core import BlockCache
from fastiter._validate import int_in_range, positive_int
from fastiter.errors import NoSuchElementError, UnsupportedOperationError
from fastiter.iterators._pipeline import (
    END,
    CarriedStop,
    Failure,
    Pipeline,
    SharedPipeline,
    block_cache,
    register_for_exit,
)
from fastiter.iterators._pool import BufferPool
from fastiter.iterators._wrapping import (
    DataSetIteratorWrapper,
    IteratorWrapper,
    MultiDataSetIteratorWrapper,
    refuse_paths,
)
from fastiter.iterators.base import BaseIterator, DataSetIterator, MultiDataSetIterator

__all__ = [
    "AsyncDataSetIterator",
    "AsyncMultiDataSetIterator",
]

#: The most producer threads one async iterator may start (``workers`` is refused above).
MAX_WORKERS = 256


class _Runner:
    """The mutable state a finalizer needs: the live pipeline and the producers' block
    cache, kept across epochs so that its blocks stay warm (never the iterator), and the
    build time the producers' gate learned, so that the next epoch starts from it."""

    __slots__ = ("pipeline", "forked", "cache", "build_s", "means", "__weakref__")

    def __init__(self) -> None:
        self.pipeline: Pipeline | SharedPipeline | None = None
        self.forked = False  # set in a forked child whose pipeline was left behind
        self.cache: BlockCache | None = None
        self.build_s: float | None = None
        #: the shared pipeline's mean build and consume times, for the next epoch's
        self.means: tuple[float | None, float | None] = (None, None)

    def check_not_forked(self, owner: Any) -> None:
        if self.forked:
            raise RuntimeError(
                f"this {type(owner).__name__} was prefetching when the process "
                f"forked; its producer threads do not exist in the child. "
                f"Call reset() here, or create the iterator after the fork"
            )

    def stop(self, timeout: float | None = None) -> None:
        p, self.pipeline = self.pipeline, None
        if p is not None:
            p.stop(timeout)
            if p.gate is not None and p.gate.build_s is not None:
                self.build_s = p.gate.build_s
            if isinstance(p, SharedPipeline) and None not in p.means:
                self.means = p.means

    def close(self, timeout: float | None = None) -> None:
        """Stop, and hand the cached blocks back (arrays still alive keep theirs)."""
        self.stop(timeout)
        if self.cache is not None:
            self.cache.set_limits(0, 0)

    def start(
        self,
        sources: list[Callable[[], Iterable[Any]]],
        capacity: int,
        on_stop: Callable[[], None] | None = None,
    ) -> Pipeline:
        self._arm_cache((1 << (capacity - 1).bit_length()) * len(sources))  # rings round up
        self.pipeline = Pipeline(
            sources, capacity, on_stop=on_stop, cache=self.cache, build_s=self.build_s
        )
        return self.pipeline

    def start_shared(
        self,
        build: Callable[[int], Any],
        start: int,
        stop: int,
        workers: int,
        capacity: int,
        on_stop: Callable[[], None] | None = None,
    ) -> SharedPipeline:
        self._arm_cache((1 << (capacity - 1).bit_length()) + workers)  # the ring, the builds
        self.pipeline = SharedPipeline(
            build,
            start,
            stop,
            workers,
            capacity,
            on_stop=on_stop,
            cache=self.cache,
            build_s=self.build_s,
            means=self.means,
        )
        return self.pipeline

    def _arm_cache(self, in_flight: int) -> None:
        cache = block_cache(self.cache, in_flight)
        if cache is None and self.cache is not None:
            self.cache.set_limits(0, 0)  # turned off since the last epoch: let go now
        self.cache = cache


# A StopIteration (NoSuchElementError is one) raised by the base inside these generators
# would become "RuntimeError: generator raised StopIteration" (PEP 479); CarriedStop
# takes it to the consumer unchanged, to be re-raised with its own type like any error.
def _sequential(base: BaseIterator) -> Iterator[Any]:
    try:
        while base.has_next():
            yield base.next()
    except StopIteration as exc:
        raise CarriedStop(exc) from None


def _filled(
    source: Callable[[], Iterable[Any]], pool: BufferPool, counter: Iterator[int]
) -> Iterator[Any]:
    """``source``'s batches copied into the pool's buffers, in the order ``counter``
    numbers them."""
    for batch in source():
        yield pool.fill(next(counter), batch)


def _pooled(base: BaseIterator, pool: BufferPool, start: int, index: int) -> Any:
    """Batch ``index`` of the base in the pool's slot for batch ``index - start`` of this
    run (any producer may build any batch)."""
    return pool.fill(index - start, base.batch_at(index))


class _NotPrefetchable(IteratorWrapper):
    """A wrapper never wrapped in another async prefetcher: the async iterators and the
    shields.  The pre-processor lives on the base (for the async iterators it is applied
    there, on the producer)."""

    def async_supported(self) -> bool:
        """False: never wrapped in another async prefetcher."""
        return False


class _AsyncMixin(_NotPrefetchable):
    """The shared implementation; the public classes add the right interface."""

    def _setup(self, base: Any, queue_size: int, workers: int, reuse_buffers: bool) -> None:
        IteratorWrapper.__init__(self, base)
        queue_size = positive_int("queue_size", queue_size)
        if queue_size < 2:
            raise ValueError(f"queue_size must be >= 2 (DL4J's minimum), got {queue_size}")
        workers = int_in_range("workers", workers, 1, MAX_WORKERS)
        self.queue_size = queue_size
        self.workers = workers
        self._max_producers = workers if workers > 1 and base.indexable else 1
        #: producers of the current (or next) run: ``workers`` for a random-access base,
        #: else 1, and never more than the batches the run has left to make
        self.producers = self._max_producers
        #: False when the base answers async_supported() False (a shield, another async
        #: iterator, an iterator reusing its arrays): its batches are then fetched on the
        #: consumer's thread, unprefetched, as DL4J's contract asks
        self.prefetching = bool(base.async_supported())
        self.reuse_buffers = bool(reuse_buffers) and self.prefetching
        self._pool = BufferPool(queue_size + 1, self.producers) if self.reuse_buffers else None
        self._runner = _Runner()
        self._finalizer = weakref.finalize(self, _Runner.close, self._runner)
        self._pending: Any = None
        self._finished = False
        self._base_start = base.position  # the base's position when this epoch began
        register_for_exit(self)

    # --- the pipeline -------------------------------------------------------------
    def _start(self) -> Pipeline | SharedPipeline | None:
        """Start the producers of this run; None when a random-access base has no batch
        left (no thread is started for nothing)."""
        self._runner.check_not_forked(self)
        base, w = self.base, self._max_producers
        pool = self._pool
        on_stop = None if pool is None else pool.close
        pipeline: Pipeline | SharedPipeline
        if w > 1:
            start, n = base.position, base.num_batches()
            w = min(w, n - start)  # a thread per batch at most
            if w <= 0:
                self.producers = 0
                return None
            # the producers claim batches from one counter and push them in order into
            # one ring; the helpers park while the consumer is the slower side
            build = base.batch_at if pool is None else functools.partial(_pooled, base, pool, start)
            self.producers = w
            pipeline = self._runner.start_shared(
                build, start, n, w, self.queue_size, on_stop=on_stop
            )
        else:
            sources: list[Callable[[], Iterable[Any]]] = [lambda: _sequential(base)]
            if pool is not None:
                sources = [functools.partial(_filled, sources[0], pool, iter(range(1 << 62)))]
            self.producers = w
            pipeline = self._runner.start(sources, self.queue_size, on_stop=on_stop)
        self._consumed_in_run = 0
        return pipeline

    def _shutdown(self, timeout: float | None = None) -> None:
        self._runner.stop(timeout)
        self._pending = None

    def _restarted(self) -> None:
        """After reset()/load_state_dict(): a fresh start is fine even in a forked child."""
        self._runner.forked = False
        self._finished = False

    def _fetch(self) -> Any:
        """Pop the next item of this epoch (blocking), or END."""
        if not self.prefetching:
            return self.base.next() if self.base.has_next() else END
        pipeline = self._runner.pipeline
        if pipeline is None:
            pipeline = self._start()
            if pipeline is None:
                return END
        if self._pool is not None:
            self._pool.asked(self._consumed_in_run)
        try:
            item = pipeline.pop()
        except BaseException:
            # Interrupted while waiting (e.g. KeyboardInterrupt): leave no thread behind.
            self._finish()
            raise
        self._consumed_in_run += 1
        return item

    def _finish(self) -> None:
        self._finished = True
        self._shutdown()

    # --- the iterator contract ----------------------------------------------------
    def has_next(self) -> bool:
        """Whether another batch (or a producer error to raise) is waiting; may block."""
        if self._pending is not None:
            return True
        if self._finished:
            return False
        item = self._fetch()
        if item is END:
            self._finish()
            return False
        self._pending = item
        return True

    def next(self, num: int | None = None) -> Any:
        """The next prefetched batch; a producer's exception is re-raised here."""
        if num is not None:
            raise NotImplementedError(
                f"{type(self).__name__}.next(num) is not supported: "
                f"batches are prefetched at the base's size"
            )
        if not self.has_next():
            raise NoSuchElementError(
                f"{type(self).__name__} has no more batches "
                f"({self._position} returned); call reset()"
            )
        return self.__next__()

    def __next__(self) -> Any:
        # The hot path of `for batch in it`: one call, no has_next()/next() round trip.
        item = self._pending
        if item is None:
            if self._finished:
                raise StopIteration
            item = self._fetch()
            if item is END:
                self._finish()
                raise StopIteration
        else:
            self._pending = None
        if type(item) is Failure:
            self._finish()
            item.reraise()
        self._position += 1
        return item

    def _next_batch(self, num: int | None) -> Any:  # pragma: no cover - next() overrides
        raise AssertionError("unreachable: next() is overridden")

    forwards_paths = True

    def reset(self, paths: Any = None) -> None:
        """Stop and join the producers, drop prefetched batches, reset the base.

        With ``paths`` (an iterator over files inside, such as NetCDFDataSetIterator,
        reached through wrappers that forward them) the next epoch reads those files; it
        works mid-epoch too.  When the base refuses them, nothing is lost: the error is
        raised and the epoch goes on over the old files from the consumer's batch
        (with ``reuse_buffers`` the batches handed out before become stale).
        """
        if not self.base.reset_supported():
            raise UnsupportedOperationError(
                f"{type(self).__name__} over {type(self.base).__name__} cannot be reset"
            )
        state = None
        if paths is not None:
            refuse_paths(self)
            if not self._finished and (self._pending is not None or self._position):
                state = self.state_dict()  # the consumer's batch, to come back to
        self._shutdown()
        if self._pool is not None:
            self._pool.start_epoch()  # batches of the old epoch must not look valid
        if paths is None:
            self.base.reset()
        else:
            try:
                self.base.reset(paths=paths)
            except BaseException:
                # the producers ran ahead of the consumer: rewind the base to its batch
                if state is not None:
                    self.load_state_dict(state)
                raise
        self._epoch += 1
        self._position = 0
        self._base_start = self.base.position
        self._restarted()

    def close(self) -> None:
        """Stop and join every producer thread; the iterator is then exhausted.

        ``reset()`` starts it again.
        """
        self._finish()
        self._runner.close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def state_dict(self) -> dict[str, Any]:
        """The consumer's position (not the producers', which run ahead), JSON-safe.

        Holds the base's own state rewound to the batch the consumer will get next, so
        ``load_state_dict`` on a fresh wrapper over a fresh base resumes exactly there.
        """
        base_state = dict(self.base.state_dict())
        base_state["position"] = self._base_start + self._position
        return {
            "type": type(self).__name__,
            "epoch": self._epoch,
            "position": self._position,
            "base": base_state,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Stop the producers, move the base to ``state`` and prefetch from there."""
        if state.get("type") not in (None, type(self).__name__):
            raise ValueError(f"state is for a {state.get('type')}, not a {type(self).__name__}")
        if "base" not in state:
            raise ValueError("state has no 'base' entry; pass a dict from state_dict()")
        self._shutdown()
        if self._pool is not None:
            self._pool.start_epoch()
        self.base.load_state_dict(state["base"])
        self._epoch = int(state["epoch"])
        self._position = int(state["position"])
        self._base_start = self.base.position - self._position
        self._restarted()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({type(self.base).__name__}, queue_size="
            f"{self.queue_size}, workers={self.workers}, "
            f"reuse_buffers={self.reuse_buffers})"
        )


class AsyncDataSetIterator(_AsyncMixin, DataSetIteratorWrapper):
    """Prefetches a :class:`DataSetIterator` on native threads (DL4J's AsyncDataSetIterator).

    Parameters
    ----------
    base : DataSetIterator
        The iterator to prefetch.
    queue_size : int, default 8
        Batches prefetched ahead of the consumer (at least 2; the ring's capacity is
        this rounded up to a power of two); with ``workers > 1`` each producer may
        also hold one built batch beside it.  A base whose batches cost next to nothing and
        hold the GIL pays two GIL hand-offs per lap of the ring, i.e. per
        ``queue_size`` batches; the ring's waits make them uncontended (about 1-1.6 us
        per batch in all at 8, 0.6-1.3 us at 64, on a 2-vCPU VM).
    workers : int, default 1
        Producer threads, 1 to 256; more than one needs a random-access base
        (``indexable``), otherwise one is used, and no more are started than the epoch
        has batches left (``producers`` says how many the current run has).  The order
        of batches never depends on it.
    reuse_buffers : bool, default False
        DL4J's cyclic workspace: at most ``queue_size + 1 + workers`` batches exist at
        once, each held by a recycled slot, and their memory cycles through the
        producers' block cache.  A batch is valid until ``queue_size + 1`` more batches
        have been requested; using it later raises
        :class:`~fastiter.errors.StaleBatchError`.  ``ds.detach()`` keeps a copy.
        The price of that window is depth: each producer runs at most one batch ahead
        of the consumer, so a pipeline whose two sides jitter overlaps less well.

    Examples
    --------
    >>> from fastiter import ArrayDataSetIterator
    >>> base = ArrayDataSetIterator(np.arange(20.0).reshape(10, 2), np.ones((10, 1)), 4)
    >>> with AsyncDataSetIterator(base, queue_size=2, workers=2) as it:
    ...     [float(ds.features[0, 0]) for ds in it]
    [0.0, 8.0, 16.0]
    """

    def __init__(
        self,
        base: DataSetIterator,
        queue_size: int = 8,
        workers: int = 1,
        reuse_buffers: bool = False,
    ) -> None:
        self._setup(base, queue_size, workers, reuse_buffers)


class AsyncMultiDataSetIterator(_AsyncMixin, MultiDataSetIteratorWrapper):
    """Prefetches a :class:`MultiDataSetIterator` on native threads.

    Same parameters and guarantees as :class:`AsyncDataSetIterator`.

    Examples
    --------
    >>> from fastiter import MultiDataSet
    >>> class Two(MultiDataSetIterator):
    ...     def __init__(self): super().__init__(); self.i = 0
    ...     def has_next(self): return self.i < 2
    ...     def _next_batch(self, num):
    ...         self.i += 1; return MultiDataSet([np.full((1, 1), self.i)], [np.ones((1, 1))])
    >>> with AsyncMultiDataSetIterator(Two()) as it:
    ...     [int(m.features[0][0, 0]) for m in it]
    [1, 2]
    """

    def __init__(
        self,
        base: MultiDataSetIterator,
        queue_size: int = 8,
        workers: int = 1,
        reuse_buffers: bool = False,
    ) -> None:
        self._setup(base, queue_size, workers, reuse_buffers)
