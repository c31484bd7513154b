"""Iterators over several DataSetIterators at once: JointMultiDataSetIterator advances
them together, JointParallelDataSetIterator takes turns between them."""
from __future__ import annotations

import enum
import numbers
from typing import Any

from fastiter._validate import positive_int
from fastiter.dataset import DataSet, MultiDataSet
from fastiter.iterators._indexed import owned
from fastiter.iterators._wrapping import check_iterator, check_state_type
from fastiter.iterators.base import BaseIterator, DataSetIterator, MultiDataSetIterator

__all__ = ["JointMultiDataSetIterator", "JointParallelDataSetIterator", "InequalityHandling"]


def _children(iterators: tuple) -> list[DataSetIterator]:
    if len(iterators) == 1 and isinstance(iterators[0], (list, tuple)):
        iterators = tuple(iterators[0])
    if not iterators:
        raise ValueError("give at least one DataSetIterator")
    out = [check_iterator(f"iterators[{i}]", it, DataSetIterator)
           for i, it in enumerate(iterators)]
    if len({id(it) for it in out}) != len(out):
        raise ValueError("the same iterator was given twice; each child must be distinct")
    return out


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
            raise ValueError(f"state has {len(state['children'])} children, this iterator "
                             f"has {len(self._children)}")
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
        if isinstance(outcome, bool) or not isinstance(outcome, numbers.Integral):
            raise TypeError(f"outcome must be an int (-1 for every child's labels), "
                            f"got {outcome!r}")
        self._children = _children(iterators)
        if not -1 <= outcome < len(self._children):
            raise ValueError(f"outcome must be -1 or a child index in [0, "
                             f"{len(self._children) - 1}], got {outcome}")
        self._outcome = int(outcome)

    @property
    def indexable(self) -> bool:  # type: ignore[override]
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


class InequalityHandling(enum.Enum):
    """What JointParallelDataSetIterator does when one source runs out before the others."""

    STOP_EVERYONE = "STOP_EVERYONE"  #: end as soon as any source is exhausted
    PASS_NULL = "PASS_NULL"          #: yield None in an exhausted source's turn
    RESET = "RESET"                  #: reset an exhausted source until every one has ended
    RELOCATE = "RELOCATE"            #: skip to the next source that still has data


class JointParallelDataSetIterator(_Children, DataSetIterator):
    """Round-robins several DataSetIterators: batch i comes from source ``i mod n``.

    When a source runs out, ``inequality_handling`` decides (see
    :class:`InequalityHandling`); the epoch ends when it says so or every source is
    exhausted.  With ``PASS_NULL``, ``next()`` returns None in an exhausted source's turn.

    Differs from DL4J: the sources are read on the calling thread (no per-source
    prefetch yet, so ``buffer_per_split`` is recorded only); the pre-processor is
    supported and applied once per batch (DL4J refuses one).

    Examples
    --------
    >>> from fastiter import ArrayDataSetIterator
    >>> a = ArrayDataSetIterator(np.zeros((2, 1)), None, 1)
    >>> b = ArrayDataSetIterator(np.ones((3, 1)), None, 1)
    >>> it = JointParallelDataSetIterator([a, b], InequalityHandling.RELOCATE)
    >>> [float(ds.features[0, 0]) for ds in it]
    [0.0, 1.0, 0.0, 1.0, 1.0]
    """

    def __init__(self, iterators: Any, inequality_handling: Any = "STOP_EVERYONE",
                 buffer_per_split: int = 4) -> None:
        super().__init__()
        self._children = _children((iterators,))
        for i, c in enumerate(self._children):
            if not c.async_supported():
                raise ValueError(f"iterators[{i}] ({type(c).__name__}) does not support async "
                                 f"prefetch, which every source here must")
        try:
            self._policy = InequalityHandling(getattr(inequality_handling, "value",
                                                      inequality_handling))
        except ValueError:
            raise ValueError(f"inequality_handling must be one of "
                             f"{[p.value for p in InequalityHandling]}, "
                             f"got {inequality_handling!r}") from None
        if self._policy is InequalityHandling.RESET:
            for i, c in enumerate(self._children):
                if not c.reset_supported():
                    raise ValueError(f"the RESET policy resets exhausted sources, and "
                                     f"iterators[{i}] ({type(c).__name__}) cannot reset")
        self._buffer = positive_int("buffer_per_split", buffer_per_split)
        self._restart()

    def _restart(self) -> None:
        n = len(self._children)
        if self._position or self._epoch:
            for c in self._children:
                c.reset()
        self._turn = 0
        self._alive = [True] * n
        self._ended_once = [False] * n
        self._depleted = False

    def _cur(self) -> int:
        return self._turn % len(self._children)

    def has_next(self) -> bool:
        if self._depleted or not any(self._alive):
            return False
        cur = self._cur()
        if self._children[cur].has_next():
            return True
        self._alive[cur] = False
        if not any(self._alive):
            return False
        policy = self._policy
        if policy is InequalityHandling.STOP_EVERYONE:
            return False
        if policy is InequalityHandling.PASS_NULL:
            # unlike DL4J, no trailing None once every source has ended
            self._alive = [a and c.has_next() for a, c in zip(self._alive, self._children)]
            return any(self._alive)
        if policy is InequalityHandling.RESET:
            self._ended_once[cur] = True
            if all(self._ended_once):
                self._depleted = True
                return False
            self._children[cur].reset()
            self._alive[cur] = True
            return self._children[cur].has_next()
        while not self._children[self._cur()].has_next():  # RELOCATE
            self._alive[self._cur()] = False
            if not any(self._alive):
                return False
            self._turn += 1
        return True

    def next(self, num: int | None = None) -> DataSet | None:  # type: ignore[override]
        if self._policy is InequalityHandling.PASS_NULL and self.has_next() and \
                not self._alive[self._cur()]:
            self._turn += 1
            self._position += 1
            return None
        return super().next(num)

    def _next_batch(self, num: int | None) -> DataSet:
        if num is not None:
            raise NotImplementedError("JointParallelDataSetIterator.next(num) is not supported")
        batch = owned(self, self._children[self._cur()].next())
        self._turn += 1
        return batch

    def _own(self) -> dict[str, Any]:
        return {"turn": self._turn, "alive": list(self._alive),
                "ended_once": list(self._ended_once), "depleted": self._depleted}

    def state_dict(self) -> dict[str, Any]:
        state = BaseIterator.state_dict(self)
        state.update(self._own())
        return self._children_state(state)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._load_children(state, ("turn", "alive", "ended_once", "depleted"))
        self._turn = int(state["turn"])
        self._alive = [bool(x) for x in state["alive"]]
        self._ended_once = [bool(x) for x in state["ended_once"]]
        self._depleted = bool(state["depleted"])

    def async_supported(self) -> bool:
        return False

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

        def add_source_iterator(self, it: DataSetIterator
                                ) -> "JointParallelDataSetIterator.Builder":
            self._sources.append(it)
            return self

        def set_buffer_size_per_split(self, n: int) -> "JointParallelDataSetIterator.Builder":
            self._buffer = n
            return self

        def build(self) -> "JointParallelDataSetIterator":
            return JointParallelDataSetIterator(self._sources, self._policy, self._buffer)
