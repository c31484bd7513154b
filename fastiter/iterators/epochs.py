"""MultipleEpochsIterator: several passes over a base iterator (or one DataSet) as one."""
from __future__ import annotations

import numbers
from typing import Any

from fastiter._validate import positive_int
from fastiter.dataset import DataSet
from fastiter.iterators._wrapping import Wrapper, check_state_type
from fastiter.iterators.base import BaseIterator, DataSetIterator

__all__ = ["MultipleEpochsIterator"]


class MultipleEpochsIterator(Wrapper, DataSetIterator):
    """Repeats ``base`` for ``num_epochs`` passes, resetting it between passes.

    Parameters
    ----------
    base : DataSetIterator or DataSet
        The source.  A DataSet is served whole per pass, or in consecutive slices of
        ``batch_size`` (DL4J's ``batch_by``).  DL4J's argument order
        ``(num_epochs, base)`` is accepted too.
    num_epochs : int
        Passes (>= 1).  More than one pass needs a base that can reset.
    batch_size : int, optional
        Only with a DataSet.

    Notes
    -----
    ``reset()`` starts again from pass 0.  This iterator's pre-processor is applied to
    each batch here (as DL4J does), after the base's own.

    Examples
    --------
    >>> from fastiter import ArrayDataSetIterator
    >>> base = ArrayDataSetIterator(np.arange(3.0)[:, None], None, batch_size=2)
    >>> [ds.features[:, 0].tolist() for ds in MultipleEpochsIterator(base, 2)]
    [[0.0, 1.0], [2.0], [0.0, 1.0], [2.0]]
    >>> ds = DataSet(np.arange(4.0)[:, None])
    >>> [len(b) for b in MultipleEpochsIterator(ds, 2, batch_size=3)]
    [3, 1, 3, 1]
    """

    def __init__(self, base: DataSetIterator | DataSet | int, num_epochs: Any,
                 batch_size: int | None = None) -> None:
        super().__init__()
        if isinstance(base, numbers.Integral) and not isinstance(base, bool):
            base, num_epochs = num_epochs, base
        self._num_epochs = positive_int("num_epochs", num_epochs)
        self._data: DataSet | None = None
        if isinstance(base, DataSet):
            self._data = base
            self._batch_size = None if batch_size is None else positive_int(
                "batch_size", batch_size)
            self._cursor = 0
        elif isinstance(base, DataSetIterator):
            if batch_size is not None:
                raise ValueError("batch_size is only for a DataSet source; the base "
                                 "iterator already has its own batch size")
            if self._num_epochs > 1 and not base.reset_supported():
                raise ValueError(f"num_epochs={self._num_epochs} needs a base that can "
                                 f"reset, and {type(base).__name__} cannot")
            self._base = base
        else:
            raise TypeError(f"base must be a DataSetIterator or a DataSet, "
                            f"got {type(base).__name__}")
        self._pass = 0  # completed passes over the source in this epoch

    # --- the DataSet source ---------------------------------------------------------
    def _data_batches(self) -> int:
        assert self._data is not None
        if self._batch_size is None:
            return 1
        return -(-self._data.num_examples() // self._batch_size)

    def _data_next(self) -> DataSet:
        assert self._data is not None
        if self._batch_size is None:
            out = self._data.copy()
        else:
            lo = self._cursor * self._batch_size
            hi = min(lo + self._batch_size, self._data.num_examples())
            out = self._data.get_range(lo, hi).copy()
        self._cursor += 1
        return out

    # --- the contract ---------------------------------------------------------------
    def has_next(self) -> bool:
        if self._data is not None:
            if self._cursor >= self._data_batches():
                if self._pass + 1 >= self._num_epochs:
                    return False
                self._pass, self._cursor = self._pass + 1, 0
            return self._data_batches() > 0
        if self._base.has_next():
            return True
        if self._pass + 1 >= self._num_epochs:
            return False
        self._pass += 1
        self._base.reset()
        return self._base.has_next()

    def _next_batch(self, num: int | None) -> DataSet:
        if self._data is not None:
            if num is not None:
                raise NotImplementedError("MultipleEpochsIterator over a DataSet has a fixed "
                                          "batch_size; call next() without num")
            return self._data_next()
        return self._base.next(num)

    def _restart(self) -> None:
        self._pass = 0
        if self._data is not None:
            self._cursor = 0
        else:
            self._base.reset()

    def num_batches(self) -> int:
        per = self._data_batches() if self._data is not None else self._base.num_batches()
        return per * self._num_epochs

    def reset_supported(self) -> bool:
        return True if self._data is not None else self._base.reset_supported()

    def async_supported(self) -> bool:
        return False if self._data is not None else self._base.async_supported()

    def batch(self) -> int:
        if self._data is not None:
            return self._batch_size or self._data.num_examples()
        return self._base.batch()

    def input_columns(self) -> int:
        return self._data.num_inputs() if self._data is not None else self._base.input_columns()

    def total_outcomes(self) -> int:
        if self._data is not None:
            return self._data.num_outcomes()
        return self._base.total_outcomes()

    def get_labels(self) -> list[str] | None:
        return self._data.label_names if self._data is not None else self._base.get_labels()

    # --- resumable state ------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        state = BaseIterator.state_dict(self)
        state["pass"] = self._pass
        if self._data is not None:
            state["cursor"] = self._cursor
        else:
            state["base"] = self._base.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        check_state_type(self, state)
        if self._data is not None:
            self._cursor = int(state["cursor"])
        else:
            self._base.load_state_dict(state["base"])
        self._pass = int(state["pass"])
        self._epoch, self._position = int(state["epoch"]), int(state["position"])
