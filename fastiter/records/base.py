"""The record-reader interfaces (DataVec's RecordReader / SequenceRecordReader) and
RecordMetaData, the source and position of one record.

A record is one example's values as a 1-D float64 array; a sequence record is a
``[T, columns]`` float64 array.  Readers hand out records in bulk (``next_records``), so
the iterators above them never touch a value from Python.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from fastiter._paths import resolve_paths
from fastiter._validate import positive_int
from fastiter.errors import NoSuchElementError

__all__ = ["RecordMetaData", "RecordRefs", "RecordReader", "SequenceRecordReader", "resolve_paths"]


@dataclass(frozen=True)
class RecordMetaData:
    """Where a record came from: its ``source`` (a path, or ``"collection"``) and its
    ``position`` there (a 0-based line for CSV, an index for collections and sequence
    files, a step along the record dimension for netCDF/HDF5).

    Examples
    --------
    >>> RecordMetaData("a.csv", 3, "CSVRecordReader")
    RecordMetaData(source='a.csv', position=3, reader='CSVRecordReader')
    """

    source: str
    position: int
    reader: str = ""

    def location(self) -> str:
        """A human-readable place, used in error messages."""
        return f"{self.source}, position {self.position}"


class RecordRefs:
    """The metadata of a block of records, kept as arrays until an entry is asked for."""

    __slots__ = ("sources", "source_index", "positions", "reader")

    def __init__(
        self,
        sources: Sequence[str],
        source_index: npt.ArrayLike,
        positions: npt.ArrayLike,
        reader: str,
    ) -> None:
        self.sources = list(sources)
        self.source_index = np.asarray(source_index, dtype=np.int64)
        self.positions = np.asarray(positions, dtype=np.int64)
        self.reader = reader

    def __len__(self) -> int:
        return int(self.positions.shape[0])

    def __getitem__(self, i: int) -> RecordMetaData:
        return RecordMetaData(
            self.sources[int(self.source_index[i])], int(self.positions[i]), self.reader
        )

    def slice(self, lo: int, hi: int) -> RecordRefs:
        """The metadata of records ``lo`` to ``hi`` (exclusive)."""
        return RecordRefs(
            self.sources, self.source_index[lo:hi], self.positions[lo:hi], self.reader
        )

    def to_list(self) -> list[RecordMetaData]:
        """One :class:`RecordMetaData` per record."""
        return [self[i] for i in range(len(self))]


class _ReaderBase(abc.ABC):
    def has_next(self) -> bool:
        """Whether another record is available."""
        raise NotImplementedError

    def reset(self) -> None:
        """Rewind to the first record."""
        raise NotImplementedError

    def reset_supported(self) -> bool:
        """Whether :meth:`reset` works (True for every file and collection reader)."""
        return True

    def get_labels(self) -> list[str] | None:
        """The class names this reader knows (DL4J's ``getLabels``), or None."""
        return None

    def num_columns(self) -> int:
        """Values per record (per time step for sequences)."""
        raise NotImplementedError

    def skip(self, n: int) -> int:
        """Drop the next ``n`` records; returns how many were dropped."""
        done = 0
        while done < n and self.has_next():
            done += self._skip_block(n - done)
        return done

    @abc.abstractmethod
    def _skip_block(self, n: int) -> int:
        """Drop up to ``n`` records (at least one when any is left)."""

    def __iter__(self) -> Any:
        while self.has_next():
            yield self.next()

    def next(self) -> np.ndarray:
        """The next record (or sequence)."""
        if not self.has_next():
            raise NoSuchElementError(f"{type(self).__name__} has no more records")
        return self._next_one()

    @abc.abstractmethod
    def _next_one(self) -> np.ndarray: ...


class RecordReader(_ReaderBase):
    """Yields records: 1-D float64 arrays of :meth:`num_columns` values."""

    @abc.abstractmethod
    def next_records(self, n: int) -> tuple[np.ndarray, RecordRefs]:
        """Up to ``n`` records as a ``[k, columns]`` float64 array and their metadata.

        ``k < n`` only at the end of the data.  The array may be a view of an internal
        buffer, valid until the next call: copy what you keep.
        """

    def _next_one(self) -> np.ndarray:
        values, _ = self.next_records(1)
        return values[0].copy()

    def _skip_block(self, n: int) -> int:
        return len(self.next_records(min(n, 1 << 16))[1])

    @abc.abstractmethod
    def load_from_metadata(self, metas: Sequence[RecordMetaData]) -> np.ndarray:
        """The records at ``metas`` as a ``[len(metas), columns]`` float64 array."""


class SequenceRecordReader(_ReaderBase):
    """Yields sequence records: ``[T, columns]`` float64 arrays."""

    @abc.abstractmethod
    def next_sequences(self, n: int) -> tuple[list[np.ndarray], RecordRefs]:
        """Up to ``n`` sequences and their metadata (fewer only at the end)."""

    def _next_one(self) -> np.ndarray:
        return self.next_sequences(1)[0][0]

    def _skip_block(self, n: int) -> int:
        return len(self.next_sequences(min(n, 1024))[1])

    @abc.abstractmethod
    def load_from_metadata(self, metas: Sequence[RecordMetaData]) -> list[np.ndarray]:
        """The sequences at ``metas``."""


def check_count(name: str, n: int) -> int:
    """``n`` as a positive int (records asked for), naming ``name`` when it is not."""
    return positive_int(name, n)
