"""RecordReaderDataSetIterator: minibatches of DataSets from a RecordReader, with DL4J's
column mapping (a label column or range; the rest are features)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fastiter import kernels
from fastiter._validate import is_int, positive_int
from fastiter.dataset import DataSet
from fastiter.iterators.base import DataSetIterator
from fastiter.records.base import RecordMetaData, RecordReader, RecordRefs

__all__ = ["RecordReaderDataSetIterator", "labels_as_classes"]


class LabelError(ValueError):
    """A label is not a class index; ``index`` is the offending record's row."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index


def labels_as_classes(values: np.ndarray, num_classes: int, describe: Any) -> np.ndarray:
    """Label values as int64 class indices; raises naming the record when one is not an
    integer in ``[0, num_classes)``.  ``describe(i)`` names record ``i``."""
    idx = values.astype(np.int64)
    bad = (idx != values) | (idx < 0) | (idx >= num_classes)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise LabelError(
            f"label {values[i].item()!r} of record {describe(i)} is not a class "
            f"index in [0, num_classes={num_classes})",
            i,
        )
    return idx


class RecordReaderDataSetIterator(DataSetIterator):
    """Minibatches from a :class:`RecordReader` (DL4J's RecordReaderDataSetIterator).

    Column mapping, as DL4J:

    * classification (``label_index`` and ``num_classes``): the label column is one-hot
      encoded by the C kernel; the other columns are the features.  ``num_classes=None``
      takes the number of the reader's labels (:meth:`RecordReader.get_labels`).
    * regression (``regression=True``): columns ``label_index..label_index_to``
      (inclusive) are the labels; a range in the middle leaves two feature ranges, which
      are concatenated.
    * neither: labels = features, unless the reader knows its labels; then the last
      column is a class label.

    A label outside ``[0, num_classes)`` raises naming the record's file and line.
    ``next(num)`` reads ``num`` records.

    Examples
    --------
    >>> from fastiter.records import CollectionRecordReader
    >>> rr = CollectionRecordReader([[0.5, 1.5, 2], [2.5, 3.5, 0]])
    >>> ds = RecordReaderDataSetIterator(rr, 2, label_index=2, num_classes=3).next()
    >>> ds.features.tolist(), ds.labels.tolist()
    ([[0.5, 1.5], [2.5, 3.5]], [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    """

    # converted records not yet served (features, labels, metadata), the next one's index
    # in them, and a label error held back until the records before it are served
    _chunk: tuple
    _chunk_at: int
    _error: LabelError | None

    def __init__(
        self,
        reader: RecordReader,
        batch_size: int,
        label_index: int | None = None,
        num_classes: int | None = None,
        label_index_to: int | None = None,
        regression: bool = False,
        max_num_batches: int = -1,
        collect_metadata: bool = False,
        dtype: Any = np.float32,
    ) -> None:
        super().__init__()
        if not isinstance(reader, RecordReader):
            raise TypeError(f"reader must be a RecordReader, got {type(reader).__name__}")
        self._reader = reader
        self._batch_size = positive_int("batch_size", batch_size)
        if not is_int(max_num_batches) or max_num_batches == 0 or max_num_batches < -1:
            raise ValueError(
                f"max_num_batches must be -1 (unlimited) or >= 1, got {max_num_batches!r}"
            )
        self._max_batches = max_num_batches
        self._collect = bool(collect_metadata)
        self._dtype = np.dtype(dtype)
        self._records = 0
        self._clear_chunk()
        self._configure(label_index, num_classes, label_index_to, bool(regression))
        self._chunk_records = self._batch_size * max(1, 8192 // self._batch_size)

    # --- column mapping -------------------------------------------------------------
    def _configure(
        self,
        label_index: int | None,
        num_classes: int | None,
        label_to: int | None,
        regression: bool,
    ) -> None:
        ncols = self._reader.num_columns()
        names = self._reader.get_labels()
        if label_index is None and not regression:
            if names is None and num_classes is None:
                self._mode, self._label_cols = "features", (0, 0)
                self._feature_cols = [(0, ncols)]
                self._num_classes = 0
                return
            label_index = ncols - 1
        if label_index is None:
            raise ValueError("regression needs label_index (and optionally label_index_to)")
        lo = label_index + ncols if label_index < 0 else label_index
        hi = lo if label_to is None else (label_to + ncols if label_to < 0 else label_to)
        if not 0 <= lo <= hi < ncols:
            last = label_to if label_to is not None else label_index
            raise ValueError(
                f"label columns {label_index}..{last} are outside the record "
                f"width {ncols} (columns 0..{ncols - 1})"
            )
        if not regression and hi != lo:
            raise ValueError(
                "classification takes one label column; pass regression=True for a label range"
            )
        self._label_cols = (lo, hi + 1)
        self._feature_cols = [r for r in ((0, lo), (hi + 1, ncols)) if r[1] > r[0]]
        if not self._feature_cols:
            raise ValueError(f"the labels take every column (0..{ncols - 1}); no features left")
        self._mode = "regression" if regression else "classification"
        if not regression:
            if num_classes is None:
                if names is None:
                    raise ValueError(
                        "num_classes is needed: the reader does not know its "
                        "labels (get_labels() is None)"
                    )
                num_classes = len(names)
            self._num_classes = positive_int("num_classes", num_classes)

    # --- batches --------------------------------------------------------------------
    # Records are converted a chunk (many batches) at a time: one column copy and one
    # one-hot kernel call per chunk, so a batch costs a slice, not a dozen numpy calls.
    # Batches are views of a chunk that is never reused, and never overlap.
    def _convert(
        self, values: np.ndarray, refs: RecordRefs | None, metas: list[RecordMetaData] | None
    ) -> tuple:
        k = len(values)
        nf = sum(b - a for a, b in self._feature_cols)
        feats = np.empty((k, nf), self._dtype)
        at = 0
        for a, b in self._feature_cols:
            feats[:, at : at + b - a] = values[:, a:b]
            at += b - a
        lo, hi = self._label_cols
        if self._mode == "features":
            labels = feats.copy()
        elif self._mode == "regression":
            labels = values[:, lo:hi].astype(self._dtype)
        else:

            def describe(i: int) -> str:
                m = metas[i] if metas is not None else refs[i] if refs is not None else None
                return m.location() if m is not None else f"#{i}"

            idx = labels_as_classes(values[:, lo], self._num_classes, describe)
            labels = kernels.one_hot(idx, self._num_classes, dtype=self._dtype)
        if metas is None and self._collect and refs is not None:
            metas = refs.to_list()
        return feats, labels, metas if self._collect else None

    def _dataset(self, feats: np.ndarray, labels: np.ndarray, metas: list | None) -> DataSet:
        return DataSet(feats, labels, example_metadata=metas, label_names=self._reader.get_labels())

    def _chunk_left(self) -> int:
        return len(self._chunk[0]) - self._chunk_at

    def _refill(self, need: int) -> None:
        """Make the chunk hold at least ``need`` records, when the reader has them."""
        if self._chunk_left() >= need or not self._reader.has_next():
            if self._error is not None and self._chunk_left() < need:
                raise self._error
            return
        want = max(need - self._chunk_left(), self._chunk_records)
        values, refs = self._reader.next_records(want)
        try:
            new = self._convert(values, refs, None)
        except LabelError as e:
            # serve the records before the bad one first: the error surfaces with the
            # batch that holds it, as when converting batch by batch
            self._error = e
            new = self._convert(values[: e.index], refs.slice(0, e.index), None)
            if self._chunk_left() + e.index < need:
                raise
        if self._chunk_left():
            at = self._chunk_at
            old = (self._chunk[0][at:], self._chunk[1][at:], self._chunk[2])
            metas = None if new[2] is None else old[2][at:] + new[2]
            new = (np.concatenate([old[0], new[0]]), np.concatenate([old[1], new[1]]), metas)
        self._chunk, self._chunk_at = new, 0

    def has_next(self) -> bool:
        if self._max_batches != -1 and self._position >= self._max_batches:
            return False
        return self._chunk_left() > 0 or self._reader.has_next() or self._error is not None

    def _next_batch(self, num: int | None) -> DataSet:
        n = self._batch_size if num is None else positive_int("num", num)
        self._refill(n)
        lo = self._chunk_at
        hi = min(lo + n, len(self._chunk[0]))
        feats, labels, metas = self._chunk
        self._chunk_at = hi
        self._records += hi - lo
        return self._dataset(feats[lo:hi], labels[lo:hi], None if metas is None else metas[lo:hi])

    def _clear_chunk(self) -> None:
        self._chunk = (np.empty((0, 0)), np.empty((0, 0)), None)
        self._chunk_at = 0
        self._error = None

    def _restart(self) -> None:
        self._reader.reset()
        self._clear_chunk()
        self._records = 0

    def _skip(self, n: int) -> None:
        self._seek(n * self._batch_size)

    def _seek(self, records: int) -> None:
        """Position after ``records`` records of this epoch (from a fresh restart)."""
        self._reader.reset()
        self._clear_chunk()
        self._records = self._reader.skip(records)

    def load_from_metadata(self, metas: Sequence[RecordMetaData]) -> DataSet:
        """Rebuild exactly the examples named by ``metas`` (pre-processor applied)."""
        metas = list(metas)
        feats, labels, _ = self._convert(self._reader.load_from_metadata(metas), None, metas)
        ds = self._dataset(feats, labels, metas if self._collect else None)
        self._apply_pre_processor(ds)
        return ds

    # --- state and facts ------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "records": self._records}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict({k: v for k, v in state.items() if k != "records"})
        if "records" in state:  # next(num) calls may have read other than batch_size
            self._seek(int(state["records"]))

    def batch(self) -> int:
        return self._batch_size

    def input_columns(self) -> int:
        return sum(b - a for a, b in self._feature_cols)

    def total_outcomes(self) -> int:
        if self._mode == "classification":
            return self._num_classes
        if self._mode == "regression":
            return self._label_cols[1] - self._label_cols[0]
        return self.input_columns()

    def get_labels(self) -> list[str] | None:
        return self._reader.get_labels()

    def reset_supported(self) -> bool:
        return self._reader.reset_supported()

    def async_supported(self) -> bool:
        return True  # every batch is a fresh array; the reader is only touched by next()

    class Builder:
        """DL4J's builder: ``Builder(reader, batch_size).classification(i, n).build()``."""

        def __init__(self, reader: RecordReader, batch_size: int) -> None:
            self._kw: dict[str, Any] = {"reader": reader, "batch_size": batch_size}
            self._pre: Any = None

        def classification(self, label_index: int, num_classes: int | None = None) -> Any:
            self._kw.update(label_index=label_index, num_classes=num_classes, regression=False)
            return self

        def regression(self, label_from: int, label_to: int | None = None) -> Any:
            self._kw.update(label_index=label_from, label_index_to=label_to, regression=True)
            return self

        def max_num_batches(self, n: int) -> Any:
            self._kw["max_num_batches"] = n
            return self

        def pre_processor(self, p: Any) -> Any:
            self._pre = p
            return self

        def collect_metadata(self, flag: bool = True) -> Any:
            self._kw["collect_metadata"] = flag
            return self

        def build(self) -> RecordReaderDataSetIterator:
            it = RecordReaderDataSetIterator(**self._kw)
            it.pre_processor = self._pre
            return it
