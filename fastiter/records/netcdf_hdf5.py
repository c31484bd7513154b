"""Record readers over netCDF and HDF5 variables: one record per step along a record
dimension (NetCDFRecordReader, HDF5RecordReader), or windows of steps as sequences
(NetCDFSequenceRecordReader, HDF5SequenceRecordReader).

A record at step ``r`` is every listed variable's slice at ``r``, flattened and
concatenated in the order given.  Files are read a block of whole chunks at a time,
through the netCDF/HDF5 access layer (:mod:`fastiter._ncaccess`): the same path order,
errors and CF decoding (fill values to NaN, scale and offset) as the netCDF iterators.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from fastiter._ncaccess import VariableSource
from fastiter._validate import positive_int
from fastiter.records.base import (
    RecordMetaData,
    RecordReader,
    RecordRefs,
    SequenceRecordReader,
    check_count,
)

__all__ = ["NetCDFRecordReader", "NetCDFSequenceRecordReader", "HDF5RecordReader",
           "HDF5SequenceRecordReader"]

_TARGET_BLOCK_BYTES = 1 << 22


def _source(paths: Any, variables: Sequence[str], record_dim: str | int) -> VariableSource:
    """The files through the one netCDF/HDF5 access layer, with a read block of whole
    chunks near ``_TARGET_BLOCK_BYTES``."""
    src = VariableSource(paths, variables, record_dim)
    chunks = src.chunk_steps()
    target = max(1, _TARGET_BLOCK_BYTES // (8 * src.columns))
    src.block = chunks * max(1, -(-target // chunks))  # type: ignore[attr-defined]
    return src


class _RecordsReader(RecordReader):
    _source: Any

    def reset(self) -> None:
        self._file, self._step = 0, 0
        self._block, self._block_lo = np.empty((0, self._source.columns)), 0
        self._block_file = -1

    def has_next(self) -> bool:
        while self._file < len(self._source.files):
            if self._step < self._source.lengths[self._file]:
                return True
            self._file, self._step = self._file + 1, 0
        return False

    def num_columns(self) -> int:
        return self._source.columns

    def _rows(self, lo: int, hi: int) -> np.ndarray:
        """Steps [lo, hi) of the current file, from the cached chunk-aligned block."""
        blo = self._block_lo
        if self._block_file != self._file or not (blo <= lo and hi <= blo + len(self._block)):
            start = lo - lo % self._source.block
            stop = min(start + self._source.block, self._source.lengths[self._file])
            self._block, self._block_lo = self._source.read(self._file, start, stop), start
            self._block_file = self._file
            blo = start
        return self._block[lo - blo:hi - blo]

    def next_records(self, n: int) -> tuple[np.ndarray, RecordRefs]:
        n = check_count("n", n)
        parts, src, pos = [], [], []
        while n and self.has_next():
            length = self._source.lengths[self._file]
            block_end = self._step - self._step % self._source.block + self._source.block
            hi = min(self._step + n, length, block_end)
            parts.append(self._rows(self._step, hi))
            src.append(np.full(hi - self._step, self._file))
            pos.append(np.arange(self._step, hi))
            n -= hi - self._step
            self._step = hi
        if not parts:
            return np.empty((0, self.num_columns())), RecordRefs([], [], [], type(self).__name__)
        values = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return values, RecordRefs(self._source.files, np.concatenate(src), np.concatenate(pos),
                                  type(self).__name__)

    def load_from_metadata(self, metas: Sequence[RecordMetaData]) -> np.ndarray:
        out = np.empty((len(metas), self.num_columns()))
        for i, m in enumerate(metas):
            k = self._source.files.index(m.source) if m.source in self._source.files else -1
            if k < 0 or not 0 <= m.position < self._source.lengths[k]:
                raise ValueError(f"metadata {m.location()} is not a record of this reader")
            out[i] = self._source.read(k, m.position, m.position + 1)[0]
        return out


class _WindowsReader(SequenceRecordReader):
    _source: Any

    def _setup(self, window: int, stride: int | None) -> None:
        self._window = positive_int("window", window)
        self._stride = self._window if stride is None else positive_int("stride", stride)
        self._starts = [(k, s) for k, n in enumerate(self._source.lengths)
                        for s in range(0, n - self._window + 1, self._stride)]
        self.reset()

    def reset(self) -> None:
        self._cursor = 0

    def has_next(self) -> bool:
        return self._cursor < len(self._starts)

    def num_columns(self) -> int:
        return self._source.columns

    def _windows(self, starts: Sequence[tuple[int, int]], merged: bool = True,
                 ) -> list[np.ndarray]:
        """The windows at ``starts``: with ``merged`` (consecutive windows, as a batch
        has), one read per file spanning that file's windows, then slices of it."""
        if not merged:
            return [self._source.read(k, s, s + self._window) for k, s in starts]
        spans: dict[int, tuple[int, int]] = {}
        for k, s in starts:
            lo, hi = spans.get(k, (s, s + self._window))
            spans[k] = (min(lo, s), max(hi, s + self._window))
        blocks = {k: (lo, self._source.read(k, lo, hi)) for k, (lo, hi) in spans.items()}
        return [blocks[k][1][s - blocks[k][0]:s - blocks[k][0] + self._window]
                for k, s in starts]

    def next_sequences(self, n: int) -> tuple[list[np.ndarray], RecordRefs]:
        n = check_count("n", n)
        chosen = self._starts[self._cursor:self._cursor + n]
        self._cursor += len(chosen)
        refs = RecordRefs(self._source.files, [k for k, _ in chosen], [s for _, s in chosen],
                          type(self).__name__)
        return self._windows(chosen), refs

    def _skip_block(self, n: int) -> int:
        k = min(n, len(self._starts) - self._cursor)
        self._cursor += k
        return k

    def load_from_metadata(self, metas: Sequence[RecordMetaData]) -> list[np.ndarray]:
        starts = []
        for m in metas:
            if m.source not in self._source.files:
                raise ValueError(f"metadata {m.location()} names a file this reader lacks")
            starts.append((self._source.files.index(m.source), m.position))
        return self._windows(starts, merged=False)  # positions may be far apart


class NetCDFRecordReader(_RecordsReader):
    """One record per step along ``record_dim`` of netCDF ``variables``.

    Examples
    --------
    >>> import netCDF4, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.nc")
    >>> with netCDF4.Dataset(p, "w") as d:
    ...     _ = d.createDimension("time", 3); _ = d.createDimension("x", 2)
    ...     d.createVariable("t2m", "f4", ("time", "x"))[:] = [[1, 2], [3, 4], [5, 6]]
    >>> NetCDFRecordReader(p, ["t2m"], "time").next_records(2)[0]
    array([[1., 2.],
           [3., 4.]])
    """

    def __init__(self, paths: Any, variables: Sequence[str], record_dim: str = "time") -> None:
        self._source = _source(paths, variables, record_dim)
        self.reset()


class HDF5RecordReader(_RecordsReader):
    """One record per index along axis ``record_axis`` of HDF5 ``datasets``.

    Examples
    --------
    >>> import h5py, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.h5")
    >>> with h5py.File(p, "w") as f:
    ...     f["x"] = np.arange(12.0).reshape(6, 2)
    >>> HDF5RecordReader(p, ["x"]).next_records(2)[0].tolist()
    [[0.0, 1.0], [2.0, 3.0]]
    """

    def __init__(self, paths: Any, datasets: Sequence[str], record_axis: int = 0) -> None:
        self._source = _source(paths, datasets, int(record_axis))
        self.reset()


class NetCDFSequenceRecordReader(_WindowsReader):
    """Sequences of ``window`` consecutive steps along ``record_dim`` (every ``stride``
    steps, within each file); metadata positions are window starts.

    Examples
    --------
    >>> import netCDF4, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.nc")
    >>> with netCDF4.Dataset(p, "w") as d:
    ...     _ = d.createDimension("time", 4)
    ...     d.createVariable("t2m", "f8", ("time",))[:] = [1.0, 2.0, 3.0, 4.0]
    >>> seqs, _ = NetCDFSequenceRecordReader(p, ["t2m"], window=2).next_sequences(2)
    >>> [s[:, 0].tolist() for s in seqs]
    [[1.0, 2.0], [3.0, 4.0]]
    """

    def __init__(self, paths: Any, variables: Sequence[str], record_dim: str = "time",
                 window: int = 1, stride: int | None = None) -> None:
        self._source = _source(paths, variables, record_dim)
        self._setup(window, stride)


class HDF5SequenceRecordReader(_WindowsReader):
    """Sequences of ``window`` consecutive indices along ``record_axis`` of HDF5 datasets.

    Examples
    --------
    >>> import h5py, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.h5")
    >>> with h5py.File(p, "w") as f:
    ...     f["x"] = np.arange(12.0).reshape(6, 2)
    >>> seqs, _ = HDF5SequenceRecordReader(p, ["x"], window=3).next_sequences(2)
    >>> [s[:, 0].tolist() for s in seqs]
    [[0.0, 2.0, 4.0], [6.0, 8.0, 10.0]]
    """

    def __init__(self, paths: Any, datasets: Sequence[str], record_axis: int = 0,
                 window: int = 1, stride: int | None = None) -> None:
        self._source = _source(paths, datasets, int(record_axis))
        self._setup(window, stride)
