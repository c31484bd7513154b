"""Record readers over netCDF and HDF5 variables: one record per step along a record
dimension (NetCDFRecordReader, HDF5RecordReader), or windows of steps as sequences
(NetCDFSequenceRecordReader, HDF5SequenceRecordReader), which cross file boundaries as
the netCDF iterators' windows do.

A record at step ``r`` is every listed variable's slice at ``r``, flattened and
concatenated in the order given.  Files are read a block of whole chunks at a time,
through the netCDF/HDF5 access layer (:mod:`fastiter._ncaccess`): the same path order,
errors and CF decoding (fill values to NaN, scale and offset) as the netCDF iterators.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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

__all__ = [
    "NetCDFRecordReader",
    "NetCDFSequenceRecordReader",
    "HDF5RecordReader",
    "HDF5SequenceRecordReader",
]

_TARGET_BLOCK_BYTES = 1 << 22


def _source(paths: Any, variables: Sequence[str], record_dim: str | int) -> VariableSource:
    """The files through the one netCDF/HDF5 access layer, with a read block of whole
    chunks near ``_TARGET_BLOCK_BYTES``."""
    src = VariableSource(paths, variables, record_dim)
    chunks = src.chunk_steps()
    target = max(1, _TARGET_BLOCK_BYTES // (8 * src.columns))
    blocks = max(1, -(-target // chunks))
    src.block = chunks * blocks  # type: ignore[attr-defined]  # the readers' own, on the source
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
        return self._block[lo - blo : hi - blo]

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
        return values, RecordRefs(
            self._source.files, np.concatenate(src), np.concatenate(pos), type(self).__name__
        )

    def load_from_metadata(self, metas: Sequence[RecordMetaData]) -> np.ndarray:
        out = np.empty((len(metas), self.num_columns()))
        for i, m in enumerate(metas):
            k = self._source.files.index(m.source) if m.source in self._source.files else -1
            if k < 0 or not 0 <= m.position < self._source.lengths[k]:
                raise ValueError(f"metadata {m.location()} is not a record of this reader")
            out[i] = self._source.read(k, m.position, m.position + 1)[0]
        return out


class _WindowsReader(SequenceRecordReader):
    """Windows along the files laid end to end on one *global step* axis: in the order
    of their ``dim`` coordinate, checked contiguous (as the netCDF iterators order
    them), so that windows cross file boundaries but never a gap; or, with
    ``windows_within_files``, in the given order with every window inside one file."""

    _source: Any

    def _setup(self, window: int, stride: int | None, within: bool, allow_gaps: bool) -> None:
        self._window = positive_int("window", window)
        self._stride = self._window if stride is None else positive_int("stride", stride)
        src = self._source
        if within:
            order = segments = list(range(len(src.files)))
        else:
            series = src.series(allow_gaps=bool(allow_gaps))
            order, segments = series.order, series.segment_starts
        self._order = order
        self._at = {k: j for j, k in enumerate(order)}  # file -> position in the series
        lengths = [src.lengths[k] for k in order]
        self._offsets = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
        #: global steps where the continuous runs begin, then the end
        self._runs = self._offsets[list(segments) + [len(order)]]
        self._starts = np.concatenate(
            [
                np.arange(lo, hi - self._window + 1, self._stride, dtype=np.int64)
                for lo, hi in zip(self._runs[:-1], self._runs[1:])
            ]
            or [np.empty(0, np.int64)]
        )
        self.reset()

    def reset(self) -> None:
        self._cursor = 0

    def has_next(self) -> bool:
        return self._cursor < len(self._starts)

    def num_columns(self) -> int:
        return self._source.columns

    def _steps(self, lo: int, hi: int) -> np.ndarray:
        """Global steps ``[lo, hi)``, read file by file into one array."""
        out = np.empty((hi - lo, self._source.columns))
        j = int(np.searchsorted(self._offsets, lo, side="right") - 1)
        at = lo
        while at < hi:
            end = min(hi, int(self._offsets[j + 1]))
            base = int(self._offsets[j])
            self._source.read_into(self._order[j], at - base, end - base, out[at - lo : end - lo])
            at, j = end, j + 1
        return out

    def _windows(self, starts: np.ndarray, merged: bool = True) -> list[np.ndarray]:
        """The windows at global ``starts``: with ``merged`` (consecutive windows, as a
        batch has), one read spanning them all, then views of it."""
        w = self._window
        if not merged:
            return [self._steps(int(g), int(g) + w) for g in starts]
        if not len(starts):
            return []
        lo = int(starts.min())
        block = self._steps(lo, int(starts.max()) + w)
        return [block[g - lo : g - lo + w] for g in starts.tolist()]

    def _refs(self, starts: np.ndarray) -> RecordRefs:
        j = np.searchsorted(self._offsets, starts, side="right") - 1
        return RecordRefs(
            self._source.files,
            np.asarray(self._order, np.int64)[j],
            starts - self._offsets[j],
            type(self).__name__,
        )

    def next_sequences(self, n: int) -> tuple[list[np.ndarray], RecordRefs]:
        n = check_count("n", n)
        chosen = self._starts[self._cursor : self._cursor + n]
        self._cursor += len(chosen)
        return self._windows(chosen), self._refs(chosen)

    def _skip_block(self, n: int) -> int:
        k = min(n, len(self._starts) - self._cursor)
        self._cursor += k
        return k

    def load_from_metadata(self, metas: Sequence[RecordMetaData]) -> list[np.ndarray]:
        starts = []
        for m in metas:
            if m.source not in self._source.files:
                raise ValueError(f"metadata {m.location()} names a file this reader lacks")
            k = self._source.files.index(m.source)
            g = int(self._offsets[self._at[k]]) + m.position
            run = int(np.searchsorted(self._runs, g, side="right") - 1)
            if (
                not 0 <= m.position < self._source.lengths[k]
                or g + self._window > self._runs[run + 1]
            ):
                raise ValueError(
                    f"metadata {m.location()} is not the start of a window of "
                    f"this reader: {self._window} steps from there run past "
                    f"the end of the series or across a gap"
                )
            starts.append(g)
        return self._windows(np.asarray(starts, np.int64), merged=False)


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
    """Sequences of ``window`` consecutive steps along ``record_dim``, one every
    ``stride`` steps; metadata name the file and step where a window starts.

    The files are one series in the order of their ``record_dim`` coordinate, and
    windows cross file boundaries (monthly or yearly files), as
    :class:`~fastiter.netcdf.NetCDFDataSetIterator`'s do.  Overlapping files are
    refused, and gaps unless ``allow_gaps=True`` (windows then never cross a gap);
    ``windows_within_files=True`` keeps each window inside one file, files in the
    order given.

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

    def __init__(
        self,
        paths: Any,
        variables: Sequence[str],
        record_dim: str = "time",
        window: int = 1,
        stride: int | None = None,
        *,
        windows_within_files: bool = False,
        allow_gaps: bool = False,
    ) -> None:
        self._source = _source(paths, variables, record_dim)
        self._setup(window, stride, windows_within_files, allow_gaps)


class HDF5SequenceRecordReader(_WindowsReader):
    """Sequences of ``window`` consecutive indices along ``record_axis`` of HDF5 datasets.

    HDF5 axes carry no coordinate: the files are one series in the order given (a glob:
    natural order), and windows cross their boundaries unless
    ``windows_within_files=True``.

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

    def __init__(
        self,
        paths: Any,
        datasets: Sequence[str],
        record_axis: int = 0,
        window: int = 1,
        stride: int | None = None,
        *,
        windows_within_files: bool = False,
    ) -> None:
        self._source = _source(paths, datasets, int(record_axis))
        self._setup(window, stride, windows_within_files, False)
