"""``prefetch``: iterate any Python iterable on a native thread, a few items ahead.

The same machinery as the async iterators (a producer thread started by the C core, a
lock-free ring, errors re-raised at their position), for iterables that are not fastiter
iterators: generators, torch DataLoaders, file readers.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from fastiter._validate import positive_int
from fastiter.iterators._pipeline import END, Failure, register_for_exit
from fastiter.iterators.async_ import _Runner

__all__ = ["Prefetcher", "prefetch"]

T = TypeVar("T")


class _Start:
    """The producer's first item over a stateful source: the source's state once
    ``iter()`` has run (the resume point before any item is consumed)."""

    __slots__ = ("state",)

    def __init__(self, state: Any) -> None:
        self.state = state


def _is_stateful(source: Any) -> bool:
    return callable(getattr(source, "state_dict", None)) and callable(
        getattr(source, "load_state_dict", None)
    )


class Prefetcher(Iterator[T]):
    """Iterates ``iterable`` on a native thread, up to ``n`` items ahead (see :func:`prefetch`).

    When the iterable has ``state_dict()`` / ``load_state_dict()`` (every fastiter
    iterator, torchdata's ``StatefulDataLoader``, any ``Stateful``), the producer records
    the source's state after each item it makes and hands it over with the item, so
    :meth:`state_dict` is the *consumer's* position although the producer runs ahead.
    """

    def __init__(self, iterable: Iterable[T], n: int = 8) -> None:
        n = positive_int("n", n)
        if not hasattr(iterable, "__iter__"):
            raise TypeError(f"iterable must be iterable, got {type(iterable).__name__}")
        self._source = iterable
        self._n = n
        self._stateful = _is_stateful(iterable)
        self._state: Any = None  # the source's state after the last item consumed
        self._runner = _Runner()
        self._finalizer = weakref.finalize(self, _Runner.close, self._runner)
        self._start()
        register_for_exit(self)

    @staticmethod
    def _produce(source: Any, stateful: bool) -> Iterator[Any]:
        """The producer's items; holds no reference to the Prefetcher, so that garbage
        collection can still close it."""
        # iter() exactly once: a second call on an iterator that is its own iterator
        # (every fastiter iterator) would start a new epoch after a restored state
        step = iter(source).__next__
        snapshot = source.state_dict if stateful else None
        if snapshot is not None:
            yield _Start(snapshot())
        while True:
            try:
                item = step()
            except StopIteration:
                return
            # the state is taken right after the item, so it is the resume point after it
            yield item if snapshot is None else (item, snapshot())

    def _start(self) -> None:
        self._runner.start(
            [functools.partial(self._produce, self._source, self._stateful)], self._n
        )

    def __iter__(self) -> Prefetcher[T]:
        return self

    def _pop(self) -> Any:
        pipeline = self._runner.pipeline
        if pipeline is None:
            self._runner.check_not_forked(self)
            return END
        try:
            item = pipeline.pop()
        except BaseException:
            self.close()
            raise
        if item is END:
            self.close()
        elif type(item) is Failure:
            self.close()
            item.reraise()
        return item

    def __next__(self) -> T:
        item = self._pop()
        if type(item) is _Start:
            self._state = item.state
            item = self._pop()
        if item is END:
            raise StopIteration
        if self._stateful:
            item, self._state = item
        return item

    def _refuse_stateless(self) -> None:
        if not self._stateful:
            raise TypeError(
                f"prefetch() over a {type(self._source).__name__} cannot save or "
                f"restore its position: the source has no state_dict()/"
                f"load_state_dict(). Prefetch a fastiter iterator or another "
                f"stateful source (e.g. torchdata's StatefulDataLoader)"
            )

    def state_dict(self) -> dict[str, Any]:
        """The source's state after the last item ``next()`` returned (JSON-safe when the
        source's is).  Raises TypeError when the source is not stateful."""
        self._refuse_stateless()
        if self._state is None:
            # nothing consumed yet: the producer's first item is the starting state
            item = self._pop()
            if type(item) is not _Start:
                raise RuntimeError(
                    "this Prefetcher was closed before its source started; "
                    "there is no position to save"
                )
            self._state = item.state
        return {"type": "Prefetcher", "source": self._state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Stop the producer, restore the source to ``state`` and prefetch from there."""
        if (
            not isinstance(state, dict)
            or state.get("type") != "Prefetcher"
            or "source" not in state
        ):
            raise ValueError(
                f"state must be a dict from Prefetcher.state_dict() (type "
                f"'Prefetcher' and a 'source' entry), got {state!r}"
            )
        self._refuse_stateless()
        self._runner.stop()
        self._source.load_state_dict(state["source"])  # type: ignore[attr-defined]
        self._state = None
        self._runner.forked = False
        self._start()

    def _shutdown(self, timeout: float | None = None) -> None:
        self._runner.stop(timeout)

    def close(self) -> None:
        """Stop and join the producer thread; later ``next()`` raises StopIteration."""
        self._runner.close()

    def __enter__(self) -> Prefetcher[T]:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def prefetch(iterable: Iterable[T], n: int = 8) -> Prefetcher[T]:
    """Iterate ``iterable`` on a native thread, keeping up to ``n`` items ready.

    Items come in the iterable's order; an exception raised while producing an item is
    re-raised by ``next()`` at that position, with its original traceback.  ``close()``,
    the ``with`` statement, garbage collection and interpreter exit join the thread.
    Over a stateful source, ``state_dict()`` / ``load_state_dict()`` checkpoint the
    consumer's position (see :class:`Prefetcher`); over any other, they raise TypeError.

    Examples
    --------
    >>> with prefetch((i * i for i in range(5)), n=2) as it:
    ...     list(it)
    [0, 1, 4, 9, 16]
    """
    return Prefetcher(iterable, n)
