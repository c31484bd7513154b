"""The iterator interfaces: DL4J's DataSetIterator / MultiDataSetIterator contract in
snake_case, plus Python iteration, resumable state and random access.

How a concrete iterator is written
----------------------------------
Subclasses implement three hooks and inherit the public contract:

``has_next()``
    Whether another batch is available.
``_next_batch(num)``
    Produce the next raw batch (``num`` examples, or the nominal batch when None),
    *without* applying the pre-processor: :meth:`next` applies it exactly once.
``_restart()``
    Rewind to the start of epoch ``self._epoch`` (re-deriving any shuffle from
    ``(self._seed, self._epoch)``).  Called by :meth:`reset` and :meth:`load_state_dict`.

Optional hooks: ``_skip(n)`` (jump ``n`` batches ahead; the default replays them),
``num_batches()`` (enables ``len()``), and the random-access protocol below.

Random access (used by ``AsyncDataSetIterator(workers > 1)`` and ``shard``)
-------------------------------------------------------------------------
An iterator that can build batch ``i`` of the current epoch independently of the others
sets ``indexable = True`` and implements ``num_batches()`` and ``_batch_at(i)``; the
public :meth:`batch_at` applies the pre-processor.  ``_batch_at`` must be safe to call
from several threads at once and must not move the iterator's own cursor.
"""

from __future__ import annotations

import abc
import functools
from collections.abc import Iterator
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from fastiter._validate import check_int
from fastiter.dataset import DataSet, MultiDataSet
from fastiter.errors import NoSuchElementError, UnsupportedOperationError

__all__ = [
    "DataSetPreProcessor",
    "MultiDataSetPreProcessor",
    "BaseIterator",
    "DataSetIterator",
    "MultiDataSetIterator",
]

T = TypeVar("T", DataSet, MultiDataSet)


@runtime_checkable
class DataSetPreProcessor(Protocol):
    """Anything with ``pre_process(ds)``, which changes the batch in place."""

    def pre_process(self, ds: DataSet) -> None: ...


@runtime_checkable
class MultiDataSetPreProcessor(Protocol):
    """Anything with ``pre_process(mds)``, which changes the batch in place."""

    def pre_process(self, mds: MultiDataSet) -> None: ...


def checked_pre_processor(value: Any) -> Any:
    """``value`` if it is None or has a ``pre_process`` method, else a TypeError."""
    if value is not None and not callable(getattr(value, "pre_process", None)):
        raise TypeError(
            f"pre_processor must have a pre_process(ds) method, got {type(value).__name__}"
        )
    return value


class BaseIterator(Generic[T], abc.ABC):
    """Shared machinery of both interfaces; see the module docstring for the hooks."""

    #: True when ``_batch_at(i)`` / ``num_batches()`` give random access to the epoch.
    indexable: bool = False

    # Class-level defaults: an iterator that implements the public interface itself and
    # never runs BaseIterator.__init__ still answers position, pre_processor and iter().
    _pre_processor: Any = None
    _epoch: int = 0
    _position: int = 0
    _seed: int | None = None

    def __init__(self) -> None:
        self._pre_processor: Any = None
        self._epoch = 0  # how many resets have happened
        self._position = 0  # batches returned by next() in this epoch
        self._seed: int | None = None

    # --- the hooks ------------------------------------------------------------------
    @abc.abstractmethod
    def has_next(self) -> bool:
        """Whether :meth:`next` can return another batch in this epoch."""

    @abc.abstractmethod
    def _next_batch(self, num: int | None) -> T:
        """The next raw batch, before the pre-processor."""

    def _restart(self) -> None:
        """Rewind to the start of epoch ``self._epoch``.  Resettable iterators override."""
        raise UnsupportedOperationError(f"{type(self).__name__} cannot be reset")

    def _skip(self, n: int) -> None:
        """Advance ``n`` batches without returning them (default: produce and drop)."""
        for _ in range(n):
            if not self.has_next():
                raise ValueError(f"cannot skip to batch {n}: the epoch ended earlier")
            self._next_batch(None)

    def _batch_at(self, index: int) -> T:
        raise UnsupportedOperationError(f"{type(self).__name__} has no random access")

    # --- DL4J's contract ------------------------------------------------------------
    def next(self, num: int | None = None) -> T:
        """The next batch, with the pre-processor applied.

        ``num`` asks for that many examples; iterators that cannot honour it raise
        :class:`NotImplementedError`.  Past the end, raises :class:`NoSuchElementError`
        (a :class:`StopIteration`).
        """
        if not self.has_next():
            raise NoSuchElementError(
                f"{type(self).__name__} has no more batches "
                f"(epoch {self._epoch}, {self._position} returned); "
                f"call reset() to start again"
            )
        batch = self._next_batch(num)
        self._position += 1
        self._apply_pre_processor(batch)
        return batch

    def _apply_pre_processor(self, batch: T) -> None:
        if self._pre_processor is not None:
            self._pre_processor.pre_process(batch)

    def reset(self) -> None:
        """Start a new epoch (which may reshuffle).  Raises when not supported."""
        if not self.reset_supported():
            raise UnsupportedOperationError(f"{type(self).__name__} does not support reset()")
        self._epoch += 1
        self._position = 0
        self._restart()

    def reset_supported(self) -> bool:
        """Whether :meth:`reset` works."""
        return False

    @property
    def position(self) -> int:
        """Batches returned by :meth:`next` in this epoch (read-only; 0 after a reset).

        Wrappers read it to know where a base stands; an iterator that implements
        :meth:`next` itself, without this class's bookkeeping, overrides it.
        """
        return self._position

    def async_supported(self) -> bool:
        """Whether an async prefetch wrapper may wrap this iterator."""
        return True

    @property
    def pre_processor(self) -> Any:
        """Applied in place to each batch before :meth:`next` returns it (or None)."""
        return self._pre_processor

    @pre_processor.setter
    def pre_processor(self, value: Any) -> None:
        self._pre_processor = checked_pre_processor(value)

    def set_pre_processor(self, value: Any) -> None:
        """DL4J's setter spelling of :attr:`pre_processor`."""
        self.pre_processor = value

    def get_pre_processor(self) -> Any:
        """DL4J's getter spelling of :attr:`pre_processor`."""
        return self.pre_processor

    # --- random access --------------------------------------------------------------
    def num_batches(self) -> int:
        """Batches in one epoch, where known; otherwise raises TypeError."""
        raise TypeError(f"{type(self).__name__} does not know its number of batches")

    def batch_at(self, index: int) -> T:
        """Batch ``index`` of the current epoch with the pre-processor applied.

        Only for ``indexable`` iterators; does not move the cursor, and is thread-safe.
        """
        n = self.num_batches()
        if not 0 <= index < n:
            raise IndexError(f"batch index {index} is out of range for {n} batches")
        batch = self._batch_at(index)
        self._apply_pre_processor(batch)
        return batch

    def shard(self, rank: int, world_size: int) -> BaseIterator[T]:
        """This iterator's batches ``rank, rank + world_size, ...`` (needs random access).

        The same as the free function ``fastiter.shard(self, rank, world_size)``, which
        is where sharding is implemented: this module only declares the method, and the
        sharding module installs itself with :func:`_set_sharder`, so that the
        interfaces do not import the wrappers built on them.
        """
        return _sharder(self, rank, world_size)

    def skip(self, n: int) -> None:
        """Advance ``n`` batches without returning or pre-processing them.

        Constant time for indexable iterators; others produce and drop the batches.
        :attr:`position` grows by ``n``.  Raises ValueError when the epoch ends first.

        >>> from fastiter import ArrayDataSetIterator
        >>> it = ArrayDataSetIterator(np.arange(6.0)[:, None], batch_size=2)
        >>> it.skip(2); it.position, it.next().features[:, 0].tolist()
        (2, [4.0, 5.0])
        """
        n = check_int("n", n, 0)
        self._skip(n)
        self._position += n

    # --- resumable position ---------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The position to resume from: epoch, batches returned and seed (JSON-safe)."""
        return {
            "type": type(self).__name__,
            "epoch": self._epoch,
            "position": self._position,
            "seed": self._seed,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume so that the next batches equal an uninterrupted run's from ``state``."""
        if state.get("type") not in (None, type(self).__name__):
            raise ValueError(f"state is for a {state.get('type')}, not a {type(self).__name__}")
        missing = [k for k in ("epoch", "position") if k not in state]
        if missing:
            raise ValueError(f"state is missing {missing}; pass a dict from state_dict()")
        position, epoch = int(state["position"]), int(state["epoch"])
        if position < 0 or epoch < 0:
            raise ValueError(
                f"state position and epoch must be >= 0, got position={position}, epoch={epoch}"
            )
        if self.indexable and position > self.num_batches():
            raise ValueError(
                f"state position {position} is past the end of an epoch of "
                f"{self.num_batches()} batches"
            )
        old = (self._epoch, self._seed, self._position)
        self._epoch, self._seed, self._position = epoch, state.get("seed"), 0
        try:
            self._restart()
        except Exception:
            # _restart refuses before changing anything; keep the iterator as it was
            self._epoch, self._seed, self._position = old
            raise
        self._skip(position)
        self._position = position
        self._resumed = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Whatever load_state_dict the class resolves to (its own, an ancestor's or a
        # mixin's listed before the interface) marks the iterator resumed, so the next
        # `for` loop continues the restored epoch instead of starting a new one.
        impl = cls.load_state_dict
        if not getattr(impl, "_marks_resumed", False):

            @functools.wraps(impl)
            def load_state_dict(self: Any, state: dict[str, Any]) -> None:
                impl(self, state)
                self._resumed = True

            load_state_dict._marks_resumed = True  # type: ignore[attr-defined]  # a function attribute
            cls.load_state_dict = load_state_dict  # type: ignore[method-assign]  # the wrapping itself

    # --- Python iteration -----------------------------------------------------------
    def __iter__(self) -> Iterator[T]:
        """One epoch.  Resets first when reset is supported and the epoch has begun."""
        if getattr(self, "_resumed", False):
            self._resumed = False  # continue the epoch load_state_dict restored
        elif self._position > 0 and self.reset_supported():
            self.reset()
        return self

    def __next__(self) -> T:
        if not self.has_next():
            raise StopIteration
        return self.next()

    def __len__(self) -> int:
        return self.num_batches()


def _no_sharder(it: BaseIterator, rank: int, world_size: int) -> BaseIterator:
    raise RuntimeError(
        "sharding is implemented in fastiter.iterators.shard, which "
        "importing fastiter.iterators loads; import it first"
    )


_sharder: Any = _no_sharder


def _set_sharder(fn: Any) -> None:
    """Install the implementation behind :meth:`BaseIterator.shard` (called once by
    ``fastiter.iterators.shard``, which depends on this module and not the reverse)."""
    global _sharder
    _sharder = fn


class DataSetIterator(BaseIterator[DataSet]):
    """DL4J's DataSetIterator: yields :class:`DataSet` batches.

    Examples
    --------
    >>> from fastiter import ArrayDataSetIterator
    >>> it = ArrayDataSetIterator(np.zeros((10, 3)), np.zeros((10, 2)), batch_size=4)
    >>> [len(ds) for ds in it]
    [4, 4, 2]
    """

    def batch(self) -> int:
        """The nominal batch size."""
        raise NotImplementedError(f"{type(self).__name__} has no nominal batch size")

    def input_columns(self) -> int:
        """Dimension 1 of the features."""
        return self._peek().num_inputs()

    def total_outcomes(self) -> int:
        """Dimension 1 of the labels."""
        return self._peek().num_outcomes()

    def get_labels(self) -> list[str] | None:
        """The class names, or None."""
        return None

    def _peek(self) -> DataSet:
        """A raw batch to read shapes from, without moving the cursor or pre-processing."""
        if self.indexable and self.num_batches() > 0:
            return self._batch_at(0)
        raise NotImplementedError(f"{type(self).__name__} cannot tell its shapes before iterating")


class MultiDataSetIterator(BaseIterator[MultiDataSet]):
    """DL4J's MultiDataSetIterator: yields :class:`MultiDataSet` batches."""
