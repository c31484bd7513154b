"""In-memory record readers: CollectionRecordReader and CollectionSequenceRecordReader."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fastiter.records.base import (
    RecordMetaData,
    RecordReader,
    RecordRefs,
    SequenceRecordReader,
    check_count,
)

__all__ = ["CollectionRecordReader", "CollectionSequenceRecordReader"]

_SOURCE = "collection"


def _positions(metas: Sequence[RecordMetaData], n: int) -> np.ndarray:
    pos = np.array([m.position for m in metas], np.int64)
    bad = (pos < 0) | (pos >= n)
    if bad.any():
        m = metas[int(np.flatnonzero(bad)[0])]
        raise ValueError(f"metadata {m.location()} is outside the collection of {n} records")
    return pos


class CollectionRecordReader(RecordReader):
    """Records from a 2-D array or a list of equal-length numeric rows.

    Examples
    --------
    >>> r = CollectionRecordReader([[1, 2], [3, 4], [5, 6]])
    >>> r.next_records(2)[0]
    array([[1., 2.],
           [3., 4.]])
    """

    def __init__(self, records: Any, labels: Sequence[str] | None = None) -> None:
        try:
            arr = np.asarray(records, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise TypeError(
                f"records must be a 2-D numeric array or a list of equal-length numeric rows ({e})"
            ) from None
        if arr.ndim != 2:
            raise ValueError(f"records must be 2-D [records, columns], got shape {arr.shape}")
        self._data = np.ascontiguousarray(arr)
        self._labels = None if labels is None else [str(x) for x in labels]
        self._cursor = 0

    def has_next(self) -> bool:
        return self._cursor < len(self._data)

    def reset(self) -> None:
        self._cursor = 0

    def get_labels(self) -> list[str] | None:
        return None if self._labels is None else list(self._labels)

    def num_columns(self) -> int:
        return int(self._data.shape[1])

    def next_records(self, n: int) -> tuple[np.ndarray, RecordRefs]:
        n = check_count("n", n)
        lo = self._cursor
        hi = min(lo + n, len(self._data))
        self._cursor = hi
        idx = np.arange(lo, hi)
        return self._data[lo:hi], RecordRefs(
            [_SOURCE], np.zeros_like(idx), idx, type(self).__name__
        )

    def _skip_block(self, n: int) -> int:
        k = min(n, len(self._data) - self._cursor)
        self._cursor += k
        return k

    def load_from_metadata(self, metas: Sequence[RecordMetaData]) -> np.ndarray:
        return self._data[_positions(metas, len(self._data))]


class CollectionSequenceRecordReader(SequenceRecordReader):
    """Sequences from a list of ``[T, columns]`` arrays (T may differ between them).

    Examples
    --------
    >>> r = CollectionSequenceRecordReader([np.ones((2, 3)), np.zeros((4, 3))])
    >>> [s.shape for s in r.next_sequences(5)[0]]
    [(2, 3), (4, 3)]
    """

    def __init__(self, sequences: Sequence[Any], labels: Sequence[str] | None = None) -> None:
        seqs: list[np.ndarray] = []
        for i, s in enumerate(sequences):
            a = np.asarray(s, dtype=np.float64)
            if a.ndim == 1:
                a = a.reshape(-1, 1)
            if a.ndim != 2:
                raise ValueError(
                    f"sequences[{i}] must be 2-D [steps, columns], got shape {a.shape}"
                )
            if seqs and a.shape[1] != seqs[0].shape[1]:
                raise ValueError(
                    f"sequences[{i}] has {a.shape[1]} columns, sequences[0] "
                    f"has {seqs[0].shape[1]}; every step needs the same columns"
                )
            seqs.append(a)
        if not seqs:
            raise ValueError("sequences must hold at least one sequence")
        self._seqs = seqs
        self._labels = None if labels is None else [str(x) for x in labels]
        self._cursor = 0

    def has_next(self) -> bool:
        return self._cursor < len(self._seqs)

    def reset(self) -> None:
        self._cursor = 0

    def get_labels(self) -> list[str] | None:
        return None if self._labels is None else list(self._labels)

    def num_columns(self) -> int:
        return int(self._seqs[0].shape[1])

    def next_sequences(self, n: int) -> tuple[list[np.ndarray], RecordRefs]:
        n = check_count("n", n)
        lo = self._cursor
        hi = min(lo + n, len(self._seqs))
        self._cursor = hi
        idx = np.arange(lo, hi)
        return self._seqs[lo:hi], RecordRefs(
            [_SOURCE], np.zeros_like(idx), idx, type(self).__name__
        )

    def _skip_block(self, n: int) -> int:
        k = min(n, len(self._seqs) - self._cursor)
        self._cursor += k
        return k

    def load_from_metadata(self, metas: Sequence[RecordMetaData]) -> list[np.ndarray]:
        return [self._seqs[i] for i in _positions(metas, len(self._seqs))]
