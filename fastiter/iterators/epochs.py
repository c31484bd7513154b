"""MultipleEpochsIterator: several passes over a base iterator (or one DataSet) as one."""

from __future__ import annotations

from typing import Any

from fastiter._validate import is_int, positive_int
from fastiter.dataset import DataSet
from fastiter.iterators._indexed import owned
from fastiter.iterators._wrapping import DataSetIteratorWrapper
from fastiter.iterators.base import DataSetIterator
from fastiter.iterators.inmemory import ViewIterator

__all__ = ["MultipleEpochsIterator"]


class MultipleEpochsIterator(DataSetIteratorWrapper):
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
    each batch here (as DL4J does), after the base's own, on a copy when the base hands
    out data it keeps.  Flags and queries come from the base (a DataSet source is a
    :class:`ViewIterator`: resettable, not async).

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

    def __init__(
        self, base: DataSetIterator | DataSet | int, num_epochs: Any, batch_size: int | None = None
    ) -> None:
        if is_int(base):
            base, num_epochs = num_epochs, base
        num_epochs = positive_int("num_epochs", num_epochs)
        if isinstance(base, DataSet):
            # a DataSet is served through DL4J's ViewIterator: whole, or batch_by(batch_size)
            size = max(base.num_examples(), 1) if batch_size is None else batch_size
            base = ViewIterator(base, size)
        elif isinstance(base, DataSetIterator):
            if batch_size is not None:
                raise ValueError(
                    "batch_size is only for a DataSet source; the base "
                    "iterator already has its own batch size"
                )
            if num_epochs > 1 and not base.reset_supported():
                raise ValueError(
                    f"num_epochs={num_epochs} needs a base that can "
                    f"reset, and {type(base).__name__} cannot"
                )
        else:
            raise TypeError(
                f"base must be a DataSetIterator or a DataSet, got {type(base).__name__}"
            )
        super().__init__(base)
        self._num_epochs = num_epochs
        self._pass = 0  # completed passes over the source in this epoch

    forwards_pre_processor = False  # applied here, after the base's (DL4J)

    def has_next(self) -> bool:
        if self.base.has_next():
            return True
        if self._pass + 1 >= self._num_epochs:
            return False
        self._pass += 1
        self.base.reset()
        return self.base.has_next()

    def _next_batch(self, num: int | None) -> DataSet:
        # a copy when our pre-processor will edit it: a view must not change its source
        return owned(self, self.base.next(num))

    def _restart(self) -> None:
        self._pass = 0
        self.base.reset()

    def num_batches(self) -> int:
        return self.base.num_batches() * self._num_epochs

    _own_keys = ("pass",)

    def _own_state(self) -> dict[str, Any]:
        return {"pass": self._pass}

    def _load_own_state(self, state: dict[str, Any]) -> None:
        self._pass = int(state["pass"])
