"""DataSetIteratorSplitter and MultiDataSetIteratorSplitter: train/test (or any number
of parts) as consecutive *batch* ranges of one deterministic, resettable base iterator.

All views share the base.  The splitter tracks how many batches the base has handed out
in its current pass (the cursor); a view that starts elsewhere resets the base and skips
to its first batch.  The arithmetic is exact: ratios are read as the decimals they were
written as, so 3125 batches at 0.7 give 2187 train and 938 test, and no batch is lost.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from numbers import Integral, Real
from typing import Any

import numpy as np

from fastiter._validate import positive_int
from fastiter.dataset import DataSet
from fastiter.iterators._wrapping import advance, base_kind, check_state_type
from fastiter.iterators.base import BaseIterator, DataSetIterator, MultiDataSetIterator

__all__ = ["DataSetIteratorSplitter", "MultiDataSetIteratorSplitter"]


def _exact(name: str, ratio: Any) -> Fraction:
    """``ratio`` as an exact fraction in (0, 1): 0.7 means 7/10, not the nearest double."""
    if isinstance(ratio, bool) or not isinstance(ratio, Real):
        raise TypeError(f"{name} must be a number in (0, 1), got {ratio!r}")
    frac = (
        Fraction(ratio) if isinstance(ratio, (Integral, Fraction)) else Fraction(repr(float(ratio)))
    )
    if not 0 < frac < 1:
        raise ValueError(f"{name} must be in (0, 1) (exclusive), got {ratio!r}")
    return frac


def plan_parts(
    total_batches: Any = None, ratio: Any = None, ratios: Any = None, splits: Any = None
) -> list[int]:
    """Batch counts of each part, with DL4J's rules and no batch lost to rounding.

    >>> plan_parts(3125, 0.7)
    [2187, 938]
    >>> plan_parts(1000, ratios=[0.5, 0.3, 0.2])
    [500, 300, 200]
    """
    given = sum(x is not None for x in (ratio, ratios, splits))
    if given != 1:
        raise ValueError("give exactly one of ratio, ratios or splits")
    if splits is not None:
        parts = [positive_int(f"splits[{i}]", s) for i, s in enumerate(splits)]
        if not parts:
            raise ValueError("splits must name at least one part, got []")
        return parts
    total = positive_int("total_batches", total_batches)
    if ratio is not None:
        train = math.floor(total * _exact("ratio", ratio))
        return [train, total - train]
    fracs = [_exact(f"ratios[{i}]", r) for i, r in enumerate(ratios)]
    if not fracs or sum(fracs) > 1:
        raise ValueError(f"ratios must be non-empty and sum to at most 1, got {list(ratios)}")
    parts = [math.floor(total * f) for f in fracs]
    if sum(fracs) == 1:  # the parts cover the base: the last one takes the remainder
        parts[-1] = total - sum(parts[:-1])
    return parts


def _is_list(x: Any) -> bool:
    return isinstance(x, (Sequence, np.ndarray)) and not isinstance(x, str)


class _Splitter:
    """Shared state of the views: the base, the part bounds and the base's cursor."""

    _view_kind: type
    _base_kind: type

    def __init__(
        self,
        base: BaseIterator,
        total_batches: Any = None,
        ratio: Any = None,
        *,
        ratios: Any = None,
        splits: Any = None,
    ) -> None:
        if _is_list(total_batches) and ratio is None and splits is None:
            total_batches, splits = None, total_batches  # DL4J's (base, int[] splits)
        if _is_list(ratio) and ratios is None:
            ratio, ratios = None, ratio
        if base_kind(base) is not self._base_kind:
            raise TypeError(f"base must be a {self._base_kind.__name__}, got {type(base).__name__}")
        if not base.reset_supported():
            raise ValueError(
                f"base {type(base).__name__} cannot reset, so it cannot be "
                f"split: every pass after the first re-reads it from the start"
            )
        self.parts = plan_parts(total_batches, ratio, ratios, splits)
        self.total_batches = sum(self.parts)
        try:
            known = base.num_batches()
        except TypeError:
            known = None
        if known is not None and self.total_batches > known:
            raise ValueError(
                f"total_batches={self.total_batches} exceeds the base's "
                f"{known} batches; total_batches counts batches, not examples"
            )
        self.bounds = [sum(self.parts[:i]) for i in range(len(self.parts) + 1)]
        self.base = base
        self._cursor = 0  # batches the base has handed out in its current pass
        self._first: Any = None  # features of the base's first batch, to detect shuffling

    # --- positioning the shared base ------------------------------------------------
    def _seek(self, target: int) -> None:
        if self._cursor != target:
            self.base.reset()
            self._cursor = 0
            if target > 0:
                # every reset must show the same first batch, even when a view skips it:
                # a part that seeks past a reshuffled start would read other parts' rows
                self._take(None)
            advance(self.base, target - self._cursor)
            self._cursor = target

    def _take(self, num: int | None) -> Any:
        """The base's next batch; its first batch of a pass is checked against the first
        pass's, which is how a shuffling base is caught (SPEC §3)."""
        at = self._cursor
        batch = self.base.next(num)
        self._cursor += 1
        if at == 0:
            self._check_not_shuffled(batch)
        return batch

    def _check_not_shuffled(self, batch: Any) -> None:
        feats = [batch.features] if isinstance(batch, DataSet) else list(batch.features)
        if self._first is None:
            self._first = [None if f is None else f.copy() for f in feats]
            return
        same = len(feats) == len(self._first) and all(
            (a is None and b is None)
            or (
                a is not None
                and b is not None
                and a.shape == b.shape
                and np.allclose(a, b, rtol=0, atol=1e-5)
            )
            for a, b in zip(feats, self._first)
        )
        if not same:
            raise RuntimeError(
                f"the first batch of base {type(self.base).__name__} differs "
                f"between passes: the base shuffles (or is random), so its "
                f"parts would overlap; split a base without shuffling"
            )

    # --- views ----------------------------------------------------------------------
    def get_iterators(self) -> list:
        """One view per part, in order; each can be read at any time (it seeks the base)."""
        return [self._view_kind(self, i, strict=False) for i in range(len(self.parts))]

    def get_train_iterator(self) -> Any:
        """The first part.  Each pass resets the base when it is not at the start."""
        return self._view_kind(self, 0, strict=False)

    def get_test_iterator(self) -> Any:
        """The second part, valid only right after a full pass of the train iterator.

        Starting it anywhere else (twice in a row, or before any train pass) raises
        RuntimeError, DL4J's rule made explicit.
        """
        if len(self.parts) != 2:
            raise ValueError(
                f"get_test_iterator needs a two-part split, this one has "
                f"{len(self.parts)} parts; use get_iterators()"
            )
        return self._view_kind(self, 1, strict=True)


class _SplitView:
    """One part of a split: batches ``[bounds[i], bounds[i+1])`` of the base."""

    def _setup(self, splitter: _Splitter, part: int, strict: bool) -> None:
        self._splitter = splitter
        self._part = part
        self._strict = strict
        self._lo, self._hi = splitter.bounds[part], splitter.bounds[part + 1]

    @property
    def pre_processor(self) -> Any:
        """The base's pre-processor (views forward it, so it runs once per batch)."""
        return self._splitter.base.pre_processor

    @pre_processor.setter
    def pre_processor(self, value: Any) -> None:
        self._splitter.base.pre_processor = value

    def _positioned(self) -> bool:
        sp = self._splitter
        want = self._lo + self._position
        if sp._cursor == want:
            return True
        if self._strict and self._position == 0:
            raise RuntimeError(
                f"the test iterator can only start right after a full pass of "
                f"the train iterator (the base is at batch {sp._cursor}, the "
                f"test part starts at {self._lo}); run the train iterator "
                f"again before testing again, or use get_iterators()"
            )
        sp._seek(want)
        return True

    def has_next(self) -> bool:
        if self._position >= self._hi - self._lo:
            return False
        self._positioned()
        return self._splitter.base.has_next()

    def _next_batch(self, num: int | None) -> Any:
        if num is not None:
            raise NotImplementedError(
                "split views yield the base's batches as they are; call next() without num"
            )
        return self._splitter._take(None)

    def _restart(self) -> None:
        """Nothing to do now: the base is sought lazily when the view is next read."""

    def num_batches(self) -> int:
        return self._hi - self._lo

    def reset_supported(self) -> bool:
        return self._splitter.base.reset_supported()

    def async_supported(self) -> bool:
        return self._splitter.base.async_supported()

    def state_dict(self) -> dict[str, Any]:
        sp = self._splitter
        return {
            "type": type(self).__name__,
            "epoch": self._epoch,
            "position": self._position,
            "seed": None,
            "part": self._part,
            "cursor": sp._cursor,
            "base": sp.base.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        check_state_type(self, state, ("epoch", "position", "part", "cursor", "base"))
        if int(state["part"]) != self._part:
            raise ValueError(f"state is for part {state['part']}, this view is part {self._part}")
        sp = self._splitter
        sp.base.load_state_dict(state["base"])
        sp._cursor = int(state["cursor"])
        self._epoch, self._position = int(state["epoch"]), int(state["position"])


class DataSetSplitView(_SplitView, DataSetIterator):
    """A part of a :class:`DataSetIteratorSplitter` (made by the splitter, not directly)."""

    def __init__(self, splitter: _Splitter, part: int, strict: bool) -> None:
        DataSetIterator.__init__(self)
        self._setup(splitter, part, strict)

    def _data_base(self) -> DataSetIterator:
        base = self._splitter.base
        assert isinstance(base, DataSetIterator)  # DataSetIteratorSplitter checked it
        return base

    def batch(self) -> int:
        return self._data_base().batch()

    def input_columns(self) -> int:
        return self._data_base().input_columns()

    def total_outcomes(self) -> int:
        return self._data_base().total_outcomes()

    def get_labels(self) -> list[str] | None:
        return self._data_base().get_labels()


class MultiDataSetSplitView(_SplitView, MultiDataSetIterator):
    """A part of a :class:`MultiDataSetIteratorSplitter`."""

    def __init__(self, splitter: _Splitter, part: int, strict: bool) -> None:
        MultiDataSetIterator.__init__(self)
        self._setup(splitter, part, strict)


class DataSetIteratorSplitter(_Splitter):
    """Split a deterministic, resettable DataSetIterator into parts by batch ranges.

    Parameters
    ----------
    base : DataSetIterator
        Must reset and must yield the same batches every pass (no shuffling: the first
        batch is compared between passes and a difference raises RuntimeError).
    total_batches : int
        Batches (not examples) of the base to split, >= 1.  A list here means ``splits``.
    ratio : float
        Train fraction in (0, 1): train = floor(total × ratio) exactly, test = the rest.
    ratios : sequence of float
        One fraction per part, each in (0, 1), summing to at most 1; when they sum to
        exactly 1 the last part takes the remainder, so no batch is lost.
    splits : sequence of int
        Batch counts per part; the total is their sum.

    Examples
    --------
    >>> from fastiter import ArrayDataSetIterator
    >>> base = ArrayDataSetIterator(np.zeros((100_000, 1), np.float32), None, batch_size=32)
    >>> sp = DataSetIteratorSplitter(base, 3125, 0.7)
    >>> sp.parts
    [2187, 938]
    >>> train, test = sp.get_train_iterator(), sp.get_test_iterator()
    >>> sum(1 for _ in train), sum(1 for _ in test)
    (2187, 938)
    """

    _base_kind = DataSetIterator
    _view_kind = DataSetSplitView


class MultiDataSetIteratorSplitter(_Splitter):
    """:class:`DataSetIteratorSplitter` for MultiDataSetIterators (works, unlike DL4J's).

    Examples
    --------
    >>> from fastiter import ArrayDataSetIterator, MultiDataSetIteratorAdapter
    >>> base = MultiDataSetIteratorAdapter(ArrayDataSetIterator(np.ones((10, 1)), None, 1))
    >>> [len(v) for v in MultiDataSetIteratorSplitter(base, 10, 0.8).get_iterators()]
    [8, 2]
    """

    _base_kind = MultiDataSetIterator
    _view_kind = MultiDataSetSplitView
