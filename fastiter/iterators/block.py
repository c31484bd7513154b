"""DummyBlockDataSetIterator / DummyBlockMultiDataSetIterator: several batches per call,
for consumers that feed one batch to each of several workers."""

from __future__ import annotations

from typing import Any

from fastiter._validate import positive_int
from fastiter.iterators._wrapping import check_iterator, check_state_type
from fastiter.iterators.base import BaseIterator, DataSetIterator, MultiDataSetIterator

__all__ = ["DummyBlockDataSetIterator", "DummyBlockMultiDataSetIterator"]


class _Block:
    """``next_block(max_n)`` returns up to ``max_n`` of the base's batches at once.

    Not an iterator of batches, so not an ``IteratorWrapper``; like one, it holds a
    public ``base`` and uses only the base's public interface.
    """

    _kind: type = BaseIterator

    def __init__(self, base: Any) -> None:
        self.base = check_iterator("base", base, self._kind)

    @property
    def pre_processor(self) -> Any:
        """The base's pre-processor (set here, applied once by the base)."""
        return self.base.pre_processor

    @pre_processor.setter
    def pre_processor(self, value: Any) -> None:
        self.base.pre_processor = value

    def has_anything(self) -> bool:
        """Whether :meth:`next_block` would return at least one batch."""
        return self.base.has_next()

    def next_block(self, max_n: int) -> list:
        """Up to ``max_n`` batches (fewer at the end, an empty list when exhausted).

        Each is pre-processed once by the base.
        """
        max_n = positive_int("max_n", max_n)
        out: list[Any] = []
        while len(out) < max_n and self.base.has_next():
            out.append(self.base.next())
        return out

    def reset(self) -> None:
        """Reset the base."""
        self.base.reset()

    def reset_supported(self) -> bool:
        return self.base.reset_supported()

    def async_supported(self) -> bool:
        return self.base.async_supported()

    def state_dict(self) -> dict[str, Any]:
        """The base's position (the block wrapper keeps no state of its own)."""
        return {"type": type(self).__name__, "base": self.base.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume the base from :meth:`state_dict`."""
        check_state_type(self, state, ("base",))
        self.base.load_state_dict(state["base"])

    def __iter__(self) -> Any:
        """Blocks of one batch each (use :meth:`next_block` for bigger blocks)."""
        while self.has_anything():
            yield self.next_block(1)


class DummyBlockDataSetIterator(_Block):
    """Block access over a DataSetIterator.

    Examples
    --------
    >>> from fastiter import ArrayDataSetIterator
    >>> blocks = DummyBlockDataSetIterator(ArrayDataSetIterator(np.ones((5, 1)), None, 1))
    >>> [len(blocks.next_block(2)) for _ in range(4)]
    [2, 2, 1, 0]
    """

    _kind = DataSetIterator


class DummyBlockMultiDataSetIterator(_Block):
    """Block access over a MultiDataSetIterator.

    Examples
    --------
    >>> from fastiter import ArrayDataSetIterator, MultiDataSetIteratorAdapter
    >>> base = MultiDataSetIteratorAdapter(ArrayDataSetIterator(np.ones((3, 1)), None, 1))
    >>> len(DummyBlockMultiDataSetIterator(base).next_block(5))
    3
    """

    _kind = MultiDataSetIterator
