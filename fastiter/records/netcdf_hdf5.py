"""Record readers over netCDF and HDF5 variables: one record per step along a record
dimension (NetCDFRecordReader, HDF5RecordReader), or windows of steps as sequences
(NetCDFSequenceRecordReader, HDF5SequenceRecordReader).

A record at step ``r`` is every listed variable's slice at ``r``, flattened and
concatenated in the order given.  Files are read a block of whole chunks at a time,
through netCDF4 / h5py directly.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from fastiter._validate import positive_int
from fastiter.records.base import (
    RecordMetaData,
    RecordReader,
    RecordRefs,
    SequenceRecordReader,
    check_count,
    resolve_paths,
)

__all__ = ["NetCDFRecordReader", "NetCDFSequenceRecordReader", "HDF5RecordReader",
           "HDF5SequenceRecordReader"]

_TARGET_BLOCK_BYTES = 1 << 22


class _Source:
    """Files + variables + record axis: lengths, column count and block reads."""

    def __init__(self, paths: Any, variables: Sequence[str], record_dim: Any) -> None:
        self.files = resolve_paths(paths, "paths")
        if isinstance(variables, str) or not variables:
            raise ValueError(f"variables must be a non-empty list of names, got {variables!r}")
        self.variables = list(variables)
        self.record_dim = record_dim
        self.lengths, widths, chunks = [], None, 1
        for path in self.files:
            with self._open(path) as f:
                n, w, c = self._describe(f, path)
            if widths is not None and w != widths:
                raise ValueError(f"{path}: values per record {w} differ from the first "
                                 f"file's {widths} (variables {self.variables})")
            widths, chunks = w, max(chunks, c)
            self.lengths.append(n)
        self.columns = int(sum(widths))  # type: ignore[arg-type]
        target = max(1, _TARGET_BLOCK_BYTES // (8 * self.columns))
        self.block = chunks * max(1, -(-target // chunks))

    def _describe(self, f: Any, path: str) -> tuple[int, list[int], int]:
        n, widths, chunk = None, [], 1
        for name in self.variables:
            var = self._variable(f, name, path)
            axis = self._axis(var, name, path)
            shape = var.shape
            if n is not None and shape[axis] != n:
                raise ValueError(f"{path}: variable {name!r} has {shape[axis]} records along "
                                 f"{self.record_dim!r}, the first variable has {n}")
            n = shape[axis]
            widths.append(int(np.prod(shape[:axis] + shape[axis + 1:], dtype=np.int64)))
            chunk = max(chunk, self._chunk(var, axis))
        return int(n), widths, chunk  # type: ignore[arg-type]

    def read(self, file_index: int, lo: int, hi: int) -> np.ndarray:
        """Steps ``[lo, hi)`` of one file as a ``[hi - lo, columns]`` float64 array."""
        path = self.files[file_index]
        out = np.empty((hi - lo, self.columns), np.float64)
        at = 0
        with self._open(path) as f:
            for name in self.variables:
                var = f[name] if not hasattr(f, "variables") else f.variables[name]
                axis = self._axis(var, name, path)
                index = [slice(None)] * len(var.shape)
                index[axis] = slice(lo, hi)
                block = np.moveaxis(self._values(var[tuple(index)]), axis, 0)
                block = block.reshape(hi - lo, -1)
                out[:, at:at + block.shape[1]] = block
                at += block.shape[1]
        return out

    @staticmethod
    def _values(a: Any) -> np.ndarray:
        if np.ma.isMaskedArray(a):
            return np.ma.filled(a.astype(np.float64), np.nan)
        return np.asarray(a, np.float64)


class _NetCDF(_Source):
    def _open(self, path: str) -> Any:
        import netCDF4

        ds = netCDF4.Dataset(path, "r")
        ds.set_auto_mask(True)
        return ds

    def _variable(self, f: Any, name: str, path: str) -> Any:
        if name not in f.variables:
            raise ValueError(f"{path}: no variable {name!r}; it has {sorted(f.variables)}")
        return f.variables[name]

    def _axis(self, var: Any, name: str, path: str) -> int:
        if self.record_dim not in var.dimensions:
            raise ValueError(f"{path}: variable {name!r} has dimensions {var.dimensions}, "
                             f"not the record dimension {self.record_dim!r}")
        return var.dimensions.index(self.record_dim)

    @staticmethod
    def _chunk(var: Any, axis: int) -> int:
        c = var.chunking()
        return 1 if c == "contiguous" or c is None else int(c[axis])


class _HDF5(_Source):
    def _open(self, path: str) -> Any:
        import h5py

        return h5py.File(path, "r")

    def _variable(self, f: Any, name: str, path: str) -> Any:
        import h5py

        if not isinstance(f.get(name), h5py.Dataset):
            raise ValueError(f"{path}: no dataset {name!r}")
        return f[name]

    def _axis(self, var: Any, name: str, path: str) -> int:
        axis = self.record_dim
        if not isinstance(axis, int) or not -len(var.shape) <= axis < len(var.shape):
            raise ValueError(f"{path}: record axis {axis!r} is not an axis of dataset "
                             f"{name!r} with shape {var.shape}")
        return axis % len(var.shape)

    @staticmethod
    def _chunk(var: Any, axis: int) -> int:
        return 1 if var.chunks is None else int(var.chunks[axis])


class _RecordsReader(RecordReader):
    _source: _Source

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
    _source: _Source

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
        self._source = _NetCDF(paths, variables, record_dim)
        self.reset()


class HDF5RecordReader(_RecordsReader):
    """One record per index along axis ``record_axis`` of HDF5 ``datasets``."""

    def __init__(self, paths: Any, datasets: Sequence[str], record_axis: int = 0) -> None:
        self._source = _HDF5(paths, datasets, record_axis)
        self.reset()


class NetCDFSequenceRecordReader(_WindowsReader):
    """Sequences of ``window`` consecutive steps along ``record_dim`` (every ``stride``
    steps, within each file); metadata positions are window starts."""

    def __init__(self, paths: Any, variables: Sequence[str], record_dim: str = "time",
                 window: int = 1, stride: int | None = None) -> None:
        self._source = _NetCDF(paths, variables, record_dim)
        self._setup(window, stride)


class HDF5SequenceRecordReader(_WindowsReader):
    """Sequences of ``window`` consecutive indices along ``record_axis`` of HDF5 datasets."""

    def __init__(self, paths: Any, datasets: Sequence[str], record_axis: int = 0,
                 window: int = 1, stride: int | None = None) -> None:
        self._source = _HDF5(paths, datasets, record_axis)
        self._setup(window, stride)
