"""Shields that stop async wrapping, and ``prefetch`` for any Python iterable."""
from __future__ import annotations

import weakref
from typing import Any, Iterable, Iterator, TypeVar

from fastiter._validate import positive_int
from fastiter.iterators._pipeline import END, Failure, register_for_exit
from fastiter.iterators._wrapping import DataSetWrapperMixin
from fastiter.iterators.async_ import _ForwardToBase, _Runner
from fastiter.iterators.base import BaseIterator, DataSetIterator, MultiDataSetIterator

__all__ = [
    "AsyncShieldDataSetIterator",
    "AsyncShieldMultiDataSetIterator",
    "Prefetcher",
    "prefetch",
]

T = TypeVar("T")


class _ShieldMixin(_ForwardToBase):
    """Pass every call through to the base, but answer ``async_supported() == False``."""

    _base_type: type = BaseIterator

    def _wrap(self, base: Any) -> None:
        if not isinstance(base, self._base_type):
            raise TypeError(f"base must be a {self._base_type.__name__}, "
                            f"got {type(base).__name__}")
        self.base = base

    def has_next(self) -> bool:
        return self.base.has_next()

    def next(self, num: int | None = None) -> Any:
        batch = self.base.next(num)  # the base applies its own pre-processor
        self._position += 1
        return batch

    def _next_batch(self, num: int | None) -> Any:  # pragma: no cover - next() overrides
        return self.base.next(num)

    def reset(self) -> None:
        self.base.reset()
        self._epoch += 1
        self._position = 0


class AsyncShieldDataSetIterator(_ShieldMixin, DataSetWrapperMixin, DataSetIterator):
    """A pass-through that answers ``async_supported() == False`` (DL4J's shield).

    Examples
    --------
    >>> from fastiter import ArrayDataSetIterator
    >>> it = AsyncShieldDataSetIterator(ArrayDataSetIterator(np.ones((5, 2)), None, 2))
    >>> it.async_supported(), [len(ds) for ds in it]
    (False, [2, 2, 1])
    """

    _base_type = DataSetIterator

    def __init__(self, base: DataSetIterator) -> None:
        DataSetIterator.__init__(self)
        self._wrap(base)


class AsyncShieldMultiDataSetIterator(_ShieldMixin, MultiDataSetIterator):
    """The MultiDataSet shield: a pass-through with ``async_supported() == False``.

    Examples
    --------
    >>> from fastiter import SingletonMultiDataSetIterator
    >>> base = SingletonMultiDataSetIterator(MultiDataSet([np.ones((3, 2))], [np.ones((3, 1))]))
    >>> it = AsyncShieldMultiDataSetIterator(base)
    >>> it.async_supported(), [len(m) for m in it]
    (False, [3])
    """

    _base_type = MultiDataSetIterator

    def __init__(self, base: MultiDataSetIterator) -> None:
        MultiDataSetIterator.__init__(self)
        self._wrap(base)


class Prefetcher(Iterator[T]):
    """Iterates ``iterable`` on a native thread, up to ``n`` items ahead (see :func:`prefetch`)."""

    def __init__(self, iterable: Iterable[T], n: int = 8) -> None:
        n = positive_int("n", n)
        if not hasattr(iterable, "__iter__"):
            raise TypeError(f"iterable must be iterable, got {type(iterable).__name__}")
        self._runner = _Runner()
        self._runner.start([lambda: iter(iterable)], n)
        self._finalizer = weakref.finalize(self, _Runner.close, self._runner)
        register_for_exit(self)

    def __iter__(self) -> "Prefetcher[T]":
        return self

    def __next__(self) -> T:
        pipeline = self._runner.pipeline
        if pipeline is None:
            self._runner.check_not_forked(self)
            raise StopIteration
        try:
            item = pipeline.pop()
        except BaseException:
            self.close()
            raise
        if item is END:
            self.close()
            raise StopIteration
        if type(item) is Failure:
            self.close()
            item.reraise()
        return item

    def _shutdown(self, timeout: float | None = None) -> None:
        self._runner.stop(timeout)

    def close(self) -> None:
        """Stop and join the producer thread; later ``next()`` raises StopIteration."""
        self._runner.close()

    def __enter__(self) -> "Prefetcher[T]":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def prefetch(iterable: Iterable[T], n: int = 8) -> Prefetcher[T]:
    """Iterate ``iterable`` on a native thread, keeping up to ``n`` items ready.

    Items come in the iterable's order; an exception raised while producing an item is
    re-raised by ``next()`` at that position, with its original traceback.  ``close()``,
    the ``with`` statement, garbage collection and interpreter exit join the thread.

    Examples
    --------
    >>> with prefetch((i * i for i in range(5)), n=2) as it:
    ...     list(it)
    [0, 1, 4, 9, 16]
    """
    return Prefetcher(iterable, n)
