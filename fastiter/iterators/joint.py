"""JointMultiDataSetIterator: several DataSetIterators advanced together as one
MultiDataSetIterator."""

from __future__ import annotations

from typing import Any

from fastiter._validate import is_int
from fastiter.dataset import DataSet, MultiDataSet
from fastiter.iterators._indexed import owned
from fastiter.iterators._wrapping import check_state_type, distinct_iterators
from fastiter.iterators.base import BaseIterator, DataSetIterator, MultiDataSetIterator

__all__ = ["JointMultiDataSetIterator"]


class _Children:
    """State and flags of an iterator over several child iterators."""

    _children: list[DataSetIterator]

    def reset_supported(self) -> bool:
        return all(c.reset_supported() for c in self._children)

    def async_supported(self) -> bool:
        return all(c.async_supported() for c in self._children)

    def _children_state(self, state: dict[str, Any]) -> dict[str, Any]:
        state["children"] = [c.state_dict() for c in self._children]
        return state

    def _load_children(self, state: dict[str, Any], extra: tuple[str, ...] = ()) -> None:
        check_state_type(self, state, ("epoch", "position", "children") + extra)
        if len(state["children"]) != len(self._children):
            raise ValueError(
                f"state has {len(state['children'])} children, this iterator "
                f"has {len(self._children)}"
            )
        for c, s in zip(self._children, state["children"]):
            c.load_state_dict(s)
        self._epoch, self._position = int(state["epoch"]), int(state["position"])


class JointMultiDataSetIterator(_Children, MultiDataSetIterator):
    """Advances N DataSetIterators together: batch i is a MultiDataSet whose features are
    each child's features (and masks), in order.

    ``outcome = -1`` (the default) takes every child's labels; ``outcome = k`` only child
    k's.  It stops with the shortest child; flags are the AND of the children's.

    Examples
    --------
    >>> from fastiter import ArrayDataSetIterator
    >>> a = ArrayDataSetIterator(np.zeros((4, 2)), np.zeros((4, 1)), 2)
    >>> b = ArrayDataSetIterator(np.ones((6, 3)), np.ones((6, 5)), 2)
    >>> m = JointMultiDataSetIterator(1, a, b).next()
    >>> [x.shape for x in m.features], [y.shape for y in m.labels]
    ([(2, 2), (2, 3)], [(2, 5)])
    """

    def __init__(self, outcome: Any = -1, *iterators: DataSetIterator) -> None:
        super().__init__()
        if isinstance(outcome, (DataSetIterator, list, tuple)):
            outcome, iterators = -1, (outcome,) + iterators
        if not is_int(outcome):
            raise TypeError(
                f"outcome must be an int (-1 for every child's labels), got {outcome!r}"
            )
        self._children = distinct_iterators(iterators)
        if not -1 <= outcome < len(self._children):
            raise ValueError(
                f"outcome must be -1 or a child index in [0, "
                f"{len(self._children) - 1}], got {outcome}"
            )
        self._outcome = int(outcome)

    @property
    def indexable(self) -> bool:  # type: ignore[override]  # a property over a class attribute
        return all(c.indexable for c in self._children)

    def has_next(self) -> bool:
        return all(c.has_next() for c in self._children)

    def _join(self, parts: list[DataSet]) -> MultiDataSet:
        wanted = [i for i in range(len(parts)) if self._outcome < 0 or i == self._outcome]
        fm = [p.features_mask for p in parts]
        lm = [parts[i].labels_mask for i in wanted]
        out = MultiDataSet.__new__(MultiDataSet)
        out.features = [p.features for p in parts]
        out.labels = [parts[i].labels for i in wanted if parts[i].labels is not None]
        out.features_masks = fm if any(m is not None for m in fm) else None
        out.labels_masks = lm if any(m is not None for m in lm) else None
        out.example_metadata = None
        return out

    def _next_batch(self, num: int | None) -> MultiDataSet:
        if num is not None:
            raise NotImplementedError("JointMultiDataSetIterator.next(num) is not supported")
        return self._join([owned(self, c.next()) for c in self._children])

    def _batch_at(self, index: int) -> MultiDataSet:
        return self._join([owned(self, c.batch_at(index)) for c in self._children])

    def num_batches(self) -> int:
        return min(c.num_batches() for c in self._children)

    def _restart(self) -> None:
        for c in self._children:
            c.reset()

    def state_dict(self) -> dict[str, Any]:
        return self._children_state(BaseIterator.state_dict(self))

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._load_children(state)
