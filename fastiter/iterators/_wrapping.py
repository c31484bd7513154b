"""Shared plumbing for iterators that wrap other iterators.

A wrapper's resumable state must include its base's, or a resumed wrapper would
continue from a rewound base.  ``Wrapper`` nests the base's ``state_dict`` under
``"base"`` and restores both sides without replaying batches.  ``ForwardingWrapper``
additionally hands the pre-processor to the base (DL4J's wrappers do this), so the base
applies it exactly once and the wrapper never applies it a second time.
"""
from __future__ import annotations

from typing import Any

from fastiter.iterators._indexed import owned
from fastiter.iterators.base import BaseIterator, DataSetIterator, MultiDataSetIterator

__all__: list[str] = []


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
    out = [check_iterator(f"iterators[{i}]", it, DataSetIterator)
           for i, it in enumerate(iterators)]
    if len({id(it) for it in out}) != len(out):
        raise ValueError("the same iterator was given twice; each child must be distinct")
    return out


def check_state_type(obj: Any, state: dict[str, Any],
                     required: tuple[str, ...] = ("epoch", "position")) -> None:
    """Refuse, before anything changes, a state dict of another iterator class, one with
    missing keys, or a negative epoch or position."""
    if not isinstance(state, dict):
        raise TypeError(f"state must be a dict from state_dict(), got {type(state).__name__}")
    if state.get("type") not in (None, type(obj).__name__):
        raise ValueError(f"state is for a {state.get('type')}, not a {type(obj).__name__}")
    missing = [k for k in required if k not in state]
    if missing:
        raise ValueError(f"state is missing {missing}; pass a dict from "
                         f"{type(obj).__name__}.state_dict()")
    for key in ("epoch", "position"):
        if key in state and int(state[key]) < 0:
            raise ValueError(f"state {key} must be >= 0, got {state[key]}")


def advance(it: BaseIterator, n: int) -> None:
    """Move a freshly reset ``it`` forward by ``n`` batches without pre-processing them.

    Uses the iterator's own ``_skip`` (constant time for indexable iterators).
    """
    it._skip(n)
    it._position += n


class Wrapper:
    """Mixin for iterators over one base iterator: flags and resumable state nest the base."""

    _base: BaseIterator

    def reset_supported(self) -> bool:
        return self._base.reset_supported()

    def async_supported(self) -> bool:
        return self._base.async_supported()

    def _restart(self) -> None:
        self._base.reset()

    _own_keys: tuple[str, ...] = ()

    def _own_state(self) -> dict[str, Any]:
        """Extra fields of this wrapper (JSON-safe), named in ``_own_keys``."""
        return {}

    def _load_own_state(self, state: dict[str, Any]) -> None:
        """Restore the fields written by :meth:`_own_state`."""

    def state_dict(self) -> dict[str, Any]:
        state = BaseIterator.state_dict(self)  # type: ignore[arg-type]
        state.update(self._own_state())
        state["base"] = self._base.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        check_state_type(self, state, ("epoch", "position", "base") + self._own_keys)
        self._base.load_state_dict(state["base"])
        self._epoch = int(state["epoch"])
        self._position = int(state["position"])
        self._seed = state.get("seed")
        self._load_own_state(state)


class PreProcessorOnBase:
    """The pre-processor property of an object over ``_base``: set here, kept (and
    applied, once) by the base, as DL4J's wrappers forward it inward."""

    _base: BaseIterator

    @property
    def pre_processor(self) -> Any:
        """The base iterator's pre-processor."""
        return self._base.pre_processor

    @pre_processor.setter
    def pre_processor(self, value: Any) -> None:
        self._base.pre_processor = value


class ForwardingWrapper(PreProcessorOnBase, Wrapper):
    """A wrapper whose pre-processor lives on the base (set here, applied there once)."""

    @property
    def indexable(self) -> bool:  # type: ignore[override]
        return self._base.indexable

    def _batch_at(self, index: int) -> Any:
        # the base applies the (forwarded) pre-processor; ours is always None
        return self._base.batch_at(index)


class MappedWrapper(Wrapper):
    """A wrapper whose batches are the base's, each passed through :meth:`_map`.

    Sequential and random access both go through the base, so this wrapper is indexable
    exactly when the base is; its own pre-processor is applied by the base class, after
    ``_map``.
    """

    def _map(self, batch: Any) -> Any:
        raise NotImplementedError

    @property
    def indexable(self) -> bool:  # type: ignore[override]
        return self._base.indexable

    def has_next(self) -> bool:
        return self._base.has_next()

    def _next_batch(self, num: int | None) -> Any:
        return self._map(owned(self, self._base.next(num)))

    def _batch_at(self, index: int) -> Any:
        return self._map(owned(self, self._base.batch_at(index)))

    def num_batches(self) -> int:
        return self._base.num_batches()


class DataSetWrapperMixin:
    """DataSetIterator queries answered by the base."""

    _base: DataSetIterator

    def batch(self) -> int:
        return self._base.batch()

    def input_columns(self) -> int:
        return self._base.input_columns()

    def total_outcomes(self) -> int:
        return self._base.total_outcomes()

    def get_labels(self) -> list[str] | None:
        return self._base.get_labels()


def base_kind(base: Any) -> type:
    """DataSetIterator or MultiDataSetIterator, whichever ``base`` is."""
    if isinstance(base, DataSetIterator):
        return DataSetIterator
    if isinstance(base, MultiDataSetIterator):
        return MultiDataSetIterator
    raise TypeError(f"base must be a DataSetIterator or a MultiDataSetIterator, "
                    f"got {type(base).__name__}")
