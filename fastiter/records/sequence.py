"""SequenceRecordReaderDataSetIterator: time-series DataSets ``[N, F, T]`` from sequence
record readers, aligned and masked as DL4J does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fastiter import kernels
from fastiter._validate import positive_int
from fastiter.dataset import DataSet
from fastiter.iterators.base import DataSetIterator
from fastiter.records.alignment import AlignmentMode, align_batch
from fastiter.records.base import RecordMetaData, RecordRefs, SequenceRecordReader
from fastiter.records.record_iterator import labels_as_classes

__all__ = ["SequenceRecordReaderDataSetIterator"]


class SequenceRecordReaderDataSetIterator(DataSetIterator):
    """Sequence minibatches from one or two :class:`SequenceRecordReader` s.

    Two readers (``labels_reader`` given): features from the first, labels from column 0
    of the second (one-hot over ``num_classes``), or every column of it with
    ``regression=True``; the default alignment is ``EQUAL_LENGTH``.  One reader
    (``labels_reader=None``): column ``label_index`` holds the label and the others are
    the features; the default alignment is ``ALIGN_START``.

    Features are ``[N, F, T]``, labels ``[N, C, T]``, masks ``[N, T]`` (1 on real steps),
    present only for an array with a sequence shorter than the batch's T.  Each array is
    assembled by one call to the C padding kernel.

    Examples
    --------
    >>> from fastiter.records import CollectionSequenceRecordReader
    >>> f = CollectionSequenceRecordReader([np.ones((4, 2))] * 3)
    >>> lab = CollectionSequenceRecordReader([[[1], [0]], [[2]], [[0], [1], [2]]])
    >>> it = SequenceRecordReaderDataSetIterator(f, lab, 3, num_classes=3,
    ...                                          alignment_mode=AlignmentMode.ALIGN_END)
    >>> ds = it.next()
    >>> ds.features_mask is None, ds.labels_mask.tolist()
    (True, [[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.0, 1.0], [0.0, 1.0, 1.0, 1.0]])
    """

    def __init__(
        self,
        features_reader: SequenceRecordReader,
        labels_reader: SequenceRecordReader | None,
        batch_size: int,
        num_classes: int | None = None,
        regression: bool = False,
        alignment_mode: Any = None,
        label_index: int | None = None,
        collect_metadata: bool = False,
        dtype: Any = np.float32,
    ) -> None:
        super().__init__()
        for name, r in (("features_reader", features_reader), ("labels_reader", labels_reader)):
            if r is not None and not isinstance(r, SequenceRecordReader):
                raise TypeError(f"{name} must be a SequenceRecordReader, got {type(r).__name__}")
        if features_reader is None:
            raise TypeError("features_reader must be a SequenceRecordReader, got None")
        self._freader, self._lreader = features_reader, labels_reader
        self._batch_size = positive_int("batch_size", batch_size)
        self._regression = bool(regression)
        self._collect = bool(collect_metadata)
        self._dtype = np.dtype(dtype)
        default = AlignmentMode.ALIGN_START if labels_reader is None else AlignmentMode.EQUAL_LENGTH
        self._mode = default if alignment_mode is None else AlignmentMode.of(alignment_mode)
        self._configure(num_classes, label_index)

    def _configure(self, num_classes: int | None, label_index: int | None) -> None:
        names = (self._lreader or self._freader).get_labels()
        if self._lreader is None:
            ncols = self._freader.num_columns()
            if label_index is None:
                raise ValueError("with one reader, label_index must name the label column")
            lo = label_index + ncols if label_index < 0 else label_index
            if not 0 <= lo < ncols:
                raise ValueError(
                    f"label_index {label_index} is outside the sequence width "
                    f"{ncols} (columns 0..{ncols - 1})"
                )
            self._label_cols = [lo]
            self._feature_cols = [c for c in range(ncols) if c != lo]
            if not self._feature_cols:
                raise ValueError("the label takes the only column; no features left")
        elif label_index is not None:
            raise ValueError(
                "label_index is for the one-reader form; with a labels_reader "
                "the label is its column 0 (or all its columns for regression)"
            )
        self._num_classes = 0
        if not self._regression:
            if num_classes is None:
                if names is None:
                    raise ValueError(
                        "num_classes is needed: the reader does not know its "
                        "labels (get_labels() is None)"
                    )
                num_classes = len(names)
            self._num_classes = positive_int("num_classes", num_classes)

    # --- batches --------------------------------------------------------------------
    def _read(self, n: int) -> tuple[list[np.ndarray], list[np.ndarray] | None, list]:
        fseqs, frefs = self._freader.next_sequences(n)
        if self._lreader is None:
            return fseqs, None, [frefs]
        lseqs, lrefs = self._lreader.next_sequences(n)
        k = min(len(fseqs), len(lseqs))
        return fseqs[:k], lseqs[:k], [frefs, lrefs]

    def _labels_flat(self, flat: np.ndarray, describe: Any, lengths: np.ndarray) -> np.ndarray:
        if self._regression:
            return flat.astype(self._dtype)
        step_owner = np.repeat(np.arange(len(lengths)), lengths)
        idx = labels_as_classes(
            flat[:, 0], self._num_classes, lambda j: describe(int(step_owner[j]))
        )
        return kernels.one_hot(idx, self._num_classes, dtype=self._dtype)

    def _build(
        self, fseqs: list[np.ndarray], lseqs: list[np.ndarray] | None, metas: list | None
    ) -> DataSet:
        def describe(i: int) -> str:
            if metas is None:
                return f"#{i}"
            m = metas[i]
            return m.location() if isinstance(m, RecordMetaData) else m[0].location()

        flen = np.array([len(s) for s in fseqs], np.int64)
        fcat = np.concatenate(fseqs) if fseqs else np.empty((0, 0))
        if lseqs is None:
            feats = np.ascontiguousarray(fcat[:, self._feature_cols], self._dtype)
            lcat, llen = fcat[:, self._label_cols], flen
        else:
            feats = fcat.astype(self._dtype)
            llen = np.array([len(s) for s in lseqs], np.int64)
            lcat = np.concatenate(lseqs)
        labels = self._labels_flat(lcat, describe, llen)
        (fb, fm), (lb, lm) = align_batch(
            [(feats, flen), (labels, llen)],
            ["features", "labels"],
            self._mode,
            self._dtype,
            describe,
        )
        return DataSet(
            fb,
            lb,
            fm,
            lm,
            example_metadata=metas if self._collect else None,
            label_names=(self._lreader or self._freader).get_labels(),
        )

    def has_next(self) -> bool:
        return self._freader.has_next() and (self._lreader is None or self._lreader.has_next())

    def _next_batch(self, num: int | None) -> DataSet:
        n = self._batch_size if num is None else positive_int("num", num)
        fseqs, lseqs, refs = self._read(n)
        metas = self._metas(refs, len(fseqs))
        return self._build(fseqs, lseqs, metas)

    def _metas(self, refs: list[RecordRefs], k: int) -> list:
        if len(refs) == 1:
            return refs[0].to_list()[:k]
        return list(zip(refs[0].to_list()[:k], refs[1].to_list()[:k]))

    def load_from_metadata(self, metas: Sequence[Any]) -> DataSet:
        """Rebuild the examples named by ``metas`` (RecordMetaData, or pairs of them for
        the two-reader form), pre-processor applied."""
        metas = list(metas)
        if self._lreader is None:
            fseqs, lseqs = self._freader.load_from_metadata(metas), None
        else:
            fseqs = self._freader.load_from_metadata([m[0] for m in metas])
            lseqs = self._lreader.load_from_metadata([m[1] for m in metas])
        ds = self._build(list(fseqs), None if lseqs is None else list(lseqs), metas)
        self._apply_pre_processor(ds)
        return ds

    def _restart(self) -> None:
        for r in (self._freader, self._lreader):
            if r is not None:
                r.reset()

    def _skip(self, n: int) -> None:
        for r in (self._freader, self._lreader):
            if r is not None:
                r.skip(n * self._batch_size)

    def batch(self) -> int:
        return self._batch_size

    def input_columns(self) -> int:
        if self._lreader is None:
            return len(self._feature_cols)
        return self._freader.num_columns()

    def total_outcomes(self) -> int:
        if not self._regression:
            return self._num_classes
        return 1 if self._lreader is None else self._lreader.num_columns()

    def get_labels(self) -> list[str] | None:
        return (self._lreader or self._freader).get_labels()

    def reset_supported(self) -> bool:
        return all(r.reset_supported() for r in (self._freader, self._lreader) if r is not None)
