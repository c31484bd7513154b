"""JointParallelDataSetIterator: several sources taken in turn, each optionally
prefetched, with DL4J's policies for sources of unequal length."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from fastiter._validate import positive_int
from fastiter.dataset import DataSet
from fastiter.iterators._indexed import owned
from fastiter.iterators._wrapping import advance, check_state_type, distinct_iterators
from fastiter.iterators.base import BaseIterator, DataSetIterator

__all__ = ["JointParallelDataSetIterator", "InequalityHandling"]

_FLAGS = ("turn", "alive", "ended_once", "depleted", "initial", "source_epochs", "consumed")


class InequalityHandling(enum.Enum):
    """What JointParallelDataSetIterator does when one source runs out before the others."""

    STOP_EVERYONE = "STOP_EVERYONE"  #: end as soon as any source is exhausted
    PASS_NULL = "PASS_NULL"  #: yield None in an exhausted source's turn
    RESET = "RESET"  #: reset an exhausted source until every one has ended
    RELOCATE = "RELOCATE"  #: skip to the next source that still has data


def _policy(value: Any) -> InequalityHandling:
    try:
        return InequalityHandling(getattr(value, "value", value))
    except ValueError:
        raise ValueError(
            f"inequality_handling must be one of "
            f"{[p.value for p in InequalityHandling]}, got {value!r}"
        ) from None


def _async_prefetch(source: DataSetIterator, buffer: int) -> DataSetIterator:
    from fastiter.iterators.async_ import AsyncDataSetIterator

    return AsyncDataSetIterator(source, queue_size=max(2, buffer))


def _prefetcher(prefetch: Any) -> Callable[[DataSetIterator, int], DataSetIterator] | None:
    if prefetch == "async":
        return _async_prefetch
    if prefetch is None or prefetch is False:
        return None
    if callable(prefetch):
        return prefetch
    raise TypeError(
        f"prefetch must be 'async', a callable (source, buffer) -> iterator, "
        f"or None; got {prefetch!r}"
    )


class JointParallelDataSetIterator(DataSetIterator):
    """Round-robins several DataSetIterators: batch i comes from source ``i mod n``.

    When a source runs out, ``inequality_handling`` decides (see
    :class:`InequalityHandling`); the epoch ends when it says so or every source is
    exhausted.  With ``PASS_NULL``, ``next()`` returns None in an exhausted source's turn
    (but never after every source has ended, where DL4J yields one more null).

    Parameters
    ----------
    iterators : list of DataSetIterator
        Distinct sources, each with ``async_supported()``.
    inequality_handling : InequalityHandling or its name
    buffer_per_split : int
        Batches each source's prefetcher may run ahead (at least 2 for the async one).
    prefetch : "async", callable or None
        How each source is prefetched: ``"async"`` (the default, as DL4J) wraps it in an
        :class:`~fastiter.iterators.async_.AsyncDataSetIterator` on its own producer
        thread; a callable ``prefetch(source, buffer_per_split)`` returns any wrapper;
        None reads the sources on the calling thread.  ``close()`` (or leaving a
        ``with`` block) joins the prefetch threads.

    Notes
    -----
    The pre-processor is supported and applied once per batch (DL4J refuses one).
    ``state_dict()`` records each source's epoch and batches consumed, never a
    prefetcher's read-ahead, so a resumed run continues exactly where the consumer was.

    Examples
    --------
    >>> from fastiter import ArrayDataSetIterator
    >>> a = ArrayDataSetIterator(np.zeros((2, 1)), None, 1)
    >>> b = ArrayDataSetIterator(np.ones((3, 1)), None, 1)
    >>> it = JointParallelDataSetIterator([a, b], InequalityHandling.RELOCATE)
    >>> [float(ds.features[0, 0]) for ds in it]
    [0.0, 1.0, 0.0, 1.0, 1.0]
    """

    def __init__(
        self,
        iterators: Any,
        inequality_handling: Any = "STOP_EVERYONE",
        buffer_per_split: int = 4,
        prefetch: str | Callable[[DataSetIterator, int], DataSetIterator] | None = "async",
    ) -> None:
        super().__init__()
        self._sources = distinct_iterators((iterators,))
        for i, c in enumerate(self._sources):
            if not c.async_supported():
                raise ValueError(
                    f"iterators[{i}] ({type(c).__name__}) does not support async "
                    f"prefetch, which every source here must"
                )
        self._policy = _policy(inequality_handling)
        if self._policy is InequalityHandling.RESET:
            for i, c in enumerate(self._sources):
                if not c.reset_supported():
                    raise ValueError(
                        f"the RESET policy resets exhausted sources, and "
                        f"iterators[{i}] ({type(c).__name__}) cannot reset"
                    )
        self._buffer = positive_int("buffer_per_split", buffer_per_split)
        self._prefetch = _prefetcher(prefetch)
        # taken before any prefetcher starts, so a resume can rebuild each source exactly
        self._initial = [s.state_dict() for s in self._sources]
        n = len(self._sources)
        self._source_epochs, self._consumed = [0] * n, [0] * n
        self._children: list[DataSetIterator] = []
        self._wrap()
        self._clear_turns()

    # --- sources and their prefetchers ----------------------------------------------
    def _wrap(self) -> None:
        self._children = [
            self._prefetch(s, self._buffer) if self._prefetch else s for s in self._sources
        ]

    def close(self) -> None:
        """Close the prefetchers (joining their threads); the sources stay usable."""
        for c, s in zip(self._children, self._sources):
            close = getattr(c, "close", None)
            if c is not s and callable(close):
                close()

    def __enter__(self) -> JointParallelDataSetIterator:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _reset_child(self, i: int) -> None:
        self._children[i].reset()
        self._source_epochs[i] += 1
        self._consumed[i] = 0

    # --- turns ----------------------------------------------------------------------
    def _clear_turns(self) -> None:
        n = len(self._sources)
        self._turn, self._depleted = 0, False
        self._alive, self._ended_once = [True] * n, [False] * n

    def _restart(self) -> None:
        for i in range(len(self._children)):
            self._reset_child(i)
        self._clear_turns()

    def _cur(self) -> int:
        return self._turn % len(self._children)

    def has_next(self) -> bool:
        if self._depleted or not any(self._alive):
            return False
        cur = self._cur()
        if self._children[cur].has_next():
            return True
        self._alive[cur] = False
        if not any(self._alive) or self._policy is InequalityHandling.STOP_EVERYONE:
            return False
        if self._policy is InequalityHandling.PASS_NULL:
            self._alive = [a and c.has_next() for a, c in zip(self._alive, self._children)]
            return any(self._alive)
        if self._policy is InequalityHandling.RESET:
            self._ended_once[cur] = True
            if all(self._ended_once):
                self._depleted = True
                return False
            self._reset_child(cur)
            self._alive[cur] = True
            return self._children[cur].has_next()
        while not self._children[self._cur()].has_next():  # RELOCATE
            self._alive[self._cur()] = False
            if not any(self._alive):
                return False
            self._turn += 1
        return True

    def next(self, num: int | None = None) -> DataSet | None:  # type: ignore[override]  # PASS_NULL
        if (
            self._policy is InequalityHandling.PASS_NULL
            and self.has_next()
            and not self._alive[self._cur()]
        ):
            self._turn += 1
            self._position += 1
            return None
        return super().next(num)

    def _next_batch(self, num: int | None) -> DataSet:
        if num is not None:
            raise NotImplementedError("JointParallelDataSetIterator.next(num) is not supported")
        cur = self._cur()
        batch = owned(self, self._children[cur].next())
        self._consumed[cur] += 1
        self._turn += 1
        return batch

    def reset_supported(self) -> bool:
        return all(s.reset_supported() for s in self._sources)

    def async_supported(self) -> bool:
        return False

    # --- resumable state ------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        state = BaseIterator.state_dict(self)
        state.update(
            turn=self._turn,
            alive=list(self._alive),
            ended_once=list(self._ended_once),
            depleted=self._depleted,
            initial=self._initial,
            source_epochs=list(self._source_epochs),
            consumed=list(self._consumed),
        )
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        check_state_type(self, state, ("epoch", "position") + _FLAGS)
        if len(state["initial"]) != len(self._sources):
            raise ValueError(
                f"state has {len(state['initial'])} sources, this iterator has {len(self._sources)}"
            )
        self.close()
        for src, init, epochs, used in zip(
            self._sources, state["initial"], state["source_epochs"], state["consumed"]
        ):
            src.load_state_dict(init)
            for _ in range(int(epochs)):
                src.reset()
            advance(src, int(used))
        self._wrap()
        self._epoch, self._position = int(state["epoch"]), int(state["position"])
        self._turn, self._depleted = int(state["turn"]), bool(state["depleted"])
        self._alive = [bool(x) for x in state["alive"]]
        self._ended_once = [bool(x) for x in state["ended_once"]]
        self._initial = list(state["initial"])
        self._source_epochs = [int(x) for x in state["source_epochs"]]
        self._consumed = [int(x) for x in state["consumed"]]

    class Builder:
        """DL4J's builder: ``Builder(policy).add_source_iterator(it)...build()``.

        >>> from fastiter import ArrayDataSetIterator
        >>> src = [ArrayDataSetIterator(np.ones((2, 1)), None, 1) for _ in range(2)]
        >>> it = (JointParallelDataSetIterator.Builder("STOP_EVERYONE")
        ...       .add_source_iterator(src[0]).add_source_iterator(src[1]).build())
        >>> len(list(it))
        4
        """

        def __init__(self, inequality_handling: Any = "STOP_EVERYONE") -> None:
            self._policy = inequality_handling
            self._sources: list[DataSetIterator] = []
            self._buffer = 4
            self._prefetch: Any = "async"

        def add_source_iterator(self, it: DataSetIterator) -> JointParallelDataSetIterator.Builder:
            """Add a source (each must be distinct and support async)."""
            self._sources.append(it)
            return self

        def set_buffer_size_per_split(self, n: int) -> JointParallelDataSetIterator.Builder:
            """Batches each source's prefetcher may run ahead."""
            self._buffer = n
            return self

        def prefetch(self, factory: Any) -> JointParallelDataSetIterator.Builder:
            """``"async"`` (default), ``factory(source, buffer)``, or None for no prefetch."""
            self._prefetch = factory
            return self

        def build(self) -> JointParallelDataSetIterator:
            """The iterator over the sources added so far."""
            return JointParallelDataSetIterator(
                self._sources, self._policy, self._buffer, self._prefetch
            )
