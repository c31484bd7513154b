"""The wrapper base class, and argument checks shared by iterators over other iterators.

:class:`IteratorWrapper` holds the wrapped iterator as a public ``base`` and forwards
the interface to it, through the base's public methods only (``has_next``, ``next``,
``batch_at``, ``reset``, ``position``, ``state_dict`` ...), never its private fields.
A wrapper's resumable state nests the base's ``state_dict`` under ``"base"``, so a
resumed wrapper never continues from a rewound base.  The pre-processor is either
forwarded to the base (DL4J's pass-through wrappers: set here, applied there once) or
kept and applied by the wrapper after its own work (``forwards_pre_processor = False``).
"""

from __future__ import annotations

import inspect
from typing import Any

from fastiter.errors import UnsupportedOperationError
from fastiter.iterators._indexed import owned
from fastiter.iterators.base import (
    BaseIterator,
    DataSetIterator,
    MultiDataSetIterator,
    checked_pre_processor,
)

__all__ = ["IteratorWrapper", "DataSetIteratorWrapper", "MultiDataSetIteratorWrapper"]


def check_iterator(name: str, value: Any, kind: type = BaseIterator) -> Any:
    """Return ``value`` if it is a ``kind`` iterator, else raise a TypeError naming ``name``."""
    if not isinstance(value, kind):
        raise TypeError(f"{name} must be a {kind.__name__}, got {type(value).__name__}")
    return value


def distinct_iterators(iterators: tuple) -> list[DataSetIterator]:
    """Children given as ``*iterators`` or as one list: at least one, each a distinct
    DataSetIterator."""
    if len(iterators) == 1 and isinstance(iterators[0], (list, tuple)):
        iterators = tuple(iterators[0])
    if not iterators:
        raise ValueError("give at least one DataSetIterator")
    out = [check_iterator(f"iterators[{i}]", it, DataSetIterator) for i, it in enumerate(iterators)]
    if len({id(it) for it in out}) != len(out):
        raise ValueError("the same iterator was given twice; each child must be distinct")
    return out


def check_state_type(
    obj: Any, state: dict[str, Any], required: tuple[str, ...] = ("epoch", "position")
) -> None:
    """Refuse, before anything changes, a state dict of another iterator class, one with
    missing keys, or a negative epoch or position."""
    if not isinstance(state, dict):
        raise TypeError(f"state must be a dict from state_dict(), got {type(state).__name__}")
    if state.get("type") not in (None, type(obj).__name__):
        raise ValueError(f"state is for a {state.get('type')}, not a {type(obj).__name__}")
    missing = [k for k in required if k not in state]
    if missing:
        raise ValueError(
            f"state is missing {missing}; pass a dict from {type(obj).__name__}.state_dict()"
        )
    for key in ("epoch", "position"):
        if key in state and int(state[key]) < 0:
            raise ValueError(f"state {key} must be >= 0, got {state[key]}")


def refuse_paths(it: BaseIterator) -> None:
    """Raise UnsupportedOperationError unless ``it.reset(paths=...)`` reaches an iterator
    over files: every wrapper on the way forwards it (``forwards_paths``) and the
    innermost iterator's ``reset`` takes ``paths``.  Nothing is changed."""
    node: Any = it
    while isinstance(node, IteratorWrapper):
        if not node.forwards_paths:
            raise UnsupportedOperationError(
                f"reset(paths=...): {type(node).__name__} cannot forward new files to its "
                f"base (it keeps what it read of the old ones); build a new iterator "
                f"over the new files instead"
            )
        node = node.base
    if "paths" not in inspect.signature(node.reset).parameters:
        raise UnsupportedOperationError(
            f"reset(paths=...): {type(node).__name__} is not read from files and takes "
            f"no paths; call reset() without paths"
        )


def advance(it: BaseIterator, n: int) -> None:
    """Move a freshly reset ``it`` forward by ``n`` batches without pre-processing them
    (constant time for indexable iterators); see :meth:`BaseIterator.skip`."""
    it.skip(n)


class IteratorWrapper(BaseIterator):
    """An iterator over one ``base`` iterator that forwards the interface to it.

    By default every batch, flag and query is the base's: ``has_next``, ``next(num)``,
    ``num_batches``, ``reset_supported``, ``async_supported``, ``close`` and the
    pre-processor; ``reset()`` resets the base.  A subclass overrides what it changes
    (``has_next``/``_next_batch`` to change the batches, ``_own_state`` for extra
    resumable fields).  Random access is off unless the subclass opts in with
    ``forwards_index = True`` (only correct when batch ``i`` of the wrapper is batch
    ``i`` of the base).  Use :class:`DataSetIteratorWrapper` or
    :class:`MultiDataSetIteratorWrapper` as the base class of a concrete wrapper.

    Attributes
    ----------
    base : BaseIterator
        The wrapped iterator.
    position : int
        Batches this wrapper returned in this epoch (not the base's ``position``).
    """

    #: the kind of iterator ``base`` must be
    _base_type: type = BaseIterator
    #: True: the pre-processor is set on the base and applied there once (DL4J's wrappers).
    #: False: the wrapper keeps its own and applies it to its batches, after the base's.
    forwards_pre_processor: bool = True
    #: True in a wrapper whose ``_batch_at`` reads the base's ``batch_at`` (a pass-through,
    #: or a remapping such as a shard): it has random access exactly when the base has
    forwards_index: bool = False
    #: True in a wrapper that keeps nothing of the base's data across epochs (a
    #: pass-through, a shard, a map): ``reset(paths=...)`` is forwarded to the base.
    #: False (the default): it is refused with UnsupportedOperationError, never dropped
    forwards_paths: bool = False
    #: extra fields of this wrapper's state, written by :meth:`_own_state`
    _own_keys: tuple[str, ...] = ()
    _new_paths: Any = None  # set only while reset(paths=...) runs

    def __init__(self, base: Any) -> None:
        BaseIterator.__init__(self)
        self.base = check_iterator("base", base, self._base_type)

    def reset(self, paths: Any = None) -> None:
        """Start a new epoch; with ``paths``, the innermost iterator (one over files, such
        as :class:`~fastiter.netcdf.NetCDFDataSetIterator`) switches to those files.

        Every wrapper on the way must forward them (``forwards_paths``); one that cannot
        (a cache of the old files' batches) raises UnsupportedOperationError.  When the
        files are refused nothing changes: the epoch goes on over the old files.
        """
        if paths is None:
            BaseIterator.reset(self)
            return
        refuse_paths(self)
        epoch, position = self._epoch, self._position
        self._new_paths = paths
        try:
            BaseIterator.reset(self)
        except BaseException:
            self._epoch, self._position = epoch, position
            raise
        finally:
            self._new_paths = None

    def _reset_base(self) -> None:
        """Reset the base, handing on the paths of a running ``reset(paths=...)``."""
        if self._new_paths is None:
            self.base.reset()
        else:
            self.base.reset(paths=self._new_paths)

    @property
    def indexable(self) -> bool:  # type: ignore[override]  # a property over a bool
        """Random access: only in a pass-through (``forwards_index``) over an indexable
        base."""
        return self.forwards_index and self.base.indexable

    # --- batches: the base's ---------------------------------------------------------
    def has_next(self) -> bool:
        return self.base.has_next()

    def _next_batch(self, num: int | None) -> Any:
        return self.base.next(num)

    def _batch_at(self, index: int) -> Any:
        return self.base.batch_at(index)

    def num_batches(self) -> int:
        return self.base.num_batches()

    def _restart(self) -> None:
        self._reset_base()

    # --- flags and the pre-processor -------------------------------------------------
    def reset_supported(self) -> bool:
        return self.base.reset_supported()

    def async_supported(self) -> bool:
        return self.base.async_supported()

    @property
    def pre_processor(self) -> Any:
        """The base's pre-processor when forwarded, else this wrapper's own."""
        if self.forwards_pre_processor:
            return self.base.pre_processor
        return self._pre_processor

    @pre_processor.setter
    def pre_processor(self, value: Any) -> None:
        if self.forwards_pre_processor:
            self.base.pre_processor = value
        else:
            self._pre_processor = checked_pre_processor(value)

    def close(self) -> None:
        """Close the base, when it can be closed (e.g. joins an async base's threads)."""
        close = getattr(self.base, "close", None)
        if callable(close):
            close()

    # --- resumable state: the wrapper's, with the base's nested ------------------------
    def _own_state(self) -> dict[str, Any]:
        """Extra fields of this wrapper (JSON-safe), named in ``_own_keys``."""
        return {}

    def _load_own_state(self, state: dict[str, Any]) -> None:
        """Restore the fields written by :meth:`_own_state`."""

    def state_dict(self) -> dict[str, Any]:
        state = BaseIterator.state_dict(self)
        state.update(self._own_state())
        state["base"] = self.base.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        check_state_type(self, state, ("epoch", "position", "base") + self._own_keys)
        self.base.load_state_dict(state["base"])
        self._epoch = int(state["epoch"])
        self._position = int(state["position"])
        self._seed = state.get("seed")
        self._load_own_state(state)


class DataSetIteratorWrapper(IteratorWrapper, DataSetIterator):
    """A :class:`DataSetIterator` over a DataSetIterator ``base``: :class:`IteratorWrapper`
    plus the DataSet queries (``batch``, ``input_columns``, ``total_outcomes``,
    ``get_labels``) answered by the base.

    Examples
    --------
    >>> from fastiter import ArrayDataSetIterator
    >>> class Doubled(DataSetIteratorWrapper):
    ...     def _next_batch(self, num):
    ...         ds = self.base.next(num)
    ...         ds.features = ds.features * 2
    ...         return ds
    >>> it = Doubled(ArrayDataSetIterator(np.ones((3, 1)), None, batch_size=2))
    >>> [ds.features[:, 0].tolist() for ds in it], it.batch(), it.position
    ([[2.0, 2.0], [2.0]], 2, 2)
    """

    _base_type: type = DataSetIterator

    def batch(self) -> int:
        return self.base.batch()

    def input_columns(self) -> int:
        return self.base.input_columns()

    def total_outcomes(self) -> int:
        return self.base.total_outcomes()

    def get_labels(self) -> list[str] | None:
        return self.base.get_labels()


class MultiDataSetIteratorWrapper(IteratorWrapper, MultiDataSetIterator):
    """A :class:`MultiDataSetIterator` over a MultiDataSetIterator ``base``."""

    _base_type: type = MultiDataSetIterator


class MappedWrapper(IteratorWrapper):
    """A wrapper whose batches are the base's, each passed through :meth:`_map`.

    Sequential and random access both go through the base, so this wrapper is indexable
    exactly when the base is; its own pre-processor is applied after ``_map``.
    """

    forwards_pre_processor = False
    forwards_index = True
    forwards_paths = True

    def _map(self, batch: Any) -> Any:
        raise NotImplementedError

    def _next_batch(self, num: int | None) -> Any:
        return self._map(owned(self, self.base.next(num)))

    def _batch_at(self, index: int) -> Any:
        return self._map(owned(self, self.base.batch_at(index)))


def base_kind(base: Any) -> type:
    """DataSetIterator or MultiDataSetIterator, whichever ``base`` is."""
    if isinstance(base, DataSetIterator):
        return DataSetIterator
    if isinstance(base, MultiDataSetIterator):
        return MultiDataSetIterator
    raise TypeError(
        f"base must be a DataSetIterator or a MultiDataSetIterator, got {type(base).__name__}"
    )
