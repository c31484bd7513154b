"""CSV record readers: CSVRecordReader (one record per line) and CSVSequenceRecordReader
(one sequence per file, one time step per line)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from fastiter._validate import is_int
from fastiter.records._csvparse import (
    CSVFormatError,
    check_delimiters,
    check_labels,
    count_fields,
    make_dialect,
    parse_block,
    skip_lines,
)
from fastiter.records.base import (
    RecordMetaData,
    RecordReader,
    RecordRefs,
    SequenceRecordReader,
    check_count,
    resolve_paths,
)

__all__ = ["CSVRecordReader", "CSVSequenceRecordReader", "CSVFormatError"]

_BLOCK = 1 << 22  # bytes read and parsed at a time: large enough to amortise the call


class _CSVConfig:
    """What both CSV readers share: dialect, category column, files, column count."""

    # Both readers define reset(); declared for the type checker only, so that no runtime
    # stub comes before RecordReader's in their method order.
    if TYPE_CHECKING:

        def reset(self) -> None: ...

    def __init__(
        self,
        skip_lines: int,
        delimiter: str,
        quote: str,
        paths: Any,
        labels: Sequence[str] | None,
        label_column: int,
    ) -> None:
        if not is_int(skip_lines) or skip_lines < 0:
            raise ValueError(f"skip_lines must be an integer >= 0, got {skip_lines!r}")
        check_delimiters(delimiter, quote)
        if not is_int(label_column):
            raise TypeError(f"label_column must be an integer, got {label_column!r}")
        self._skip_lines = skip_lines
        self._delimiter = delimiter
        self._quote = quote
        self._labels = check_labels(labels)
        self._label_column = label_column
        self._ncols: int | None = None
        self._dialect_cache: Any = None
        self._files: list[str] = []
        if paths is not None:
            self.initialize(paths)
        else:
            self.reset()

    def initialize(self, paths: Any) -> _CSVConfig:
        """Read from ``paths``: a path, a list of paths or a glob pattern.  Returns self."""
        self._files = resolve_paths(paths, "paths")
        self._ncols = None
        self._dialect_cache = None
        self.reset()
        return self

    def _require_files(self) -> None:
        if not self._files:
            raise ValueError(
                f"{type(self).__name__} has no input: pass paths= or call initialize(paths)"
            )

    def get_labels(self) -> list[str] | None:
        return None if self._labels is None else list(self._labels)

    def _dialect(self) -> Any:
        if self._dialect_cache is None:
            self._dialect_cache = make_dialect(
                self._delimiter, self._quote, self.num_columns(), self._labels, self._label_column
            )
        return self._dialect_cache

    def _open_skipped(self, path: str, block: int) -> tuple[Any, bytes]:
        """An open file and its first bytes after the BOM and the skipped lines."""
        f = open(path, "rb")  # noqa: SIM115 - handed to the caller open; closed here on error
        data = b""
        try:
            while True:
                chunk = f.read(block)
                data += chunk
                pos = skip_lines(data, self._skip_lines, not chunk)
                if pos is not None:
                    return f, data[pos:]
        except BaseException:
            f.close()
            raise

    def _read_file(self, path: str) -> tuple[bytes, int]:
        """The file's bytes after the skipped lines, and how many lines were skipped."""
        with open(path, "rb") as f:
            data = f.read()
        pos = skip_lines(data, self._skip_lines, True)
        return data[pos:] if pos else data, self._skip_lines

    def num_columns(self) -> int:
        if self._ncols is None:
            self._require_files()
            probe = make_dialect(self._delimiter, self._quote, 1)
            for path in self._files:
                f, data = self._open_skipped(path, 1 << 16)
                with f:
                    while True:
                        chunk = f.read(1 << 16)
                        n = count_fields(data, path, self._skip_lines, probe, not chunk)
                        if n > 0 or not chunk:  # 0 or -1: blank so far, or incomplete
                            break
                        data += chunk
                if n > 0:
                    self._ncols = n
                    return n
            raise ValueError(f"{type(self).__name__}: no record in {self._files}")
        return self._ncols

    def _parse_all(self, data: bytes, path: str, base: int) -> tuple[np.ndarray, np.ndarray]:
        """Every record of ``data`` (a whole file after its skipped lines)."""
        return parse_block(
            data, path, base, self.num_columns(), self._dialect(), True, self._labels
        )[:2]

    def _load_lines(self, metas: Sequence[RecordMetaData]) -> np.ndarray:
        """Records named by (path, starting line) metadata; each file is parsed once."""
        out = np.empty((len(metas), self.num_columns()), np.float64)
        cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for i, m in enumerate(metas):
            if m.source not in cache:
                if not os.path.isfile(m.source):
                    raise FileNotFoundError(f"metadata names a missing file {m.source!r}")
                data, skipped = self._read_file(m.source)
                cache[m.source] = self._parse_all(data, m.source, skipped)
            values, lines = cache[m.source]
            k = int(np.searchsorted(lines, m.position))
            if k == len(lines) or lines[k] != m.position:
                raise ValueError(
                    f"metadata {m.location()} names no record: the line is "
                    f"blank, skipped, inside a record or past the end"
                )
            out[i] = values[k]
        return out


class CSVRecordReader(_CSVConfig, RecordReader):
    """Records from delimited text, one per line (DataVec's CSVRecordReader).

    Files are parsed in bulk by the C core, 4 MiB at a time, quoted fields and the
    category column included.  Fields follow one strict grammar (decimal numbers,
    nan/inf; see docs/csv.md); lines may end in ``\\n``, ``\\r\\n`` or ``\\r``; a UTF-8
    byte-order mark is skipped.  A malformed field raises :class:`CSVFormatError` naming
    the file, line and column.

    Parameters
    ----------
    skip_lines : int
        Lines skipped at the start of **each** file (headers).
    delimiter, quote : str
        One ASCII character each (not a letter, digit, sign, '.' or blank).  A field
        starting with ``quote`` may hold the delimiter, line ends and doubled quotes.
    paths : path, list of paths or glob pattern, optional
        The input; or call :meth:`initialize` later.
    labels : list of str, optional
        Class names: the values of column ``label_column`` are mapped to their index in
        this list, and :meth:`get_labels` returns it (so the iterators infer the number
        of classes and take the last column as the label, as DL4J does).
    label_column : int
        The category column (negative counts from the end).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp(), "a.csv")
    >>> _ = p.write_text("x,y\\n1,2\\n3,4\\n")
    >>> CSVRecordReader(skip_lines=1, paths=p).next_records(5)[0]
    array([[1., 2.],
           [3., 4.]])
    """

    def __init__(
        self,
        skip_lines: int = 0,
        delimiter: str = ",",
        quote: str = '"',
        *,
        paths: Any = None,
        labels: Sequence[str] | None = None,
        label_column: int = -1,
    ) -> None:
        self._reader_name = type(self).__name__
        _CSVConfig.__init__(self, skip_lines, delimiter, quote, paths, labels, label_column)

    def reset(self) -> None:
        self._close()
        self._file_index = -1
        self._fh: Any = None
        self._pending = b""
        self._line_base = 0
        self._block = np.empty((0, 0))
        self._block_lines = np.empty(0, np.int64)
        self._cursor = 0
        self._exhausted = not self._files

    def _close(self) -> None:
        if getattr(self, "_fh", None) is not None:
            self._fh.close()
            self._fh = None

    def close(self) -> None:
        """Close the open file (reading again reopens from the start after reset())."""
        self._close()

    def __del__(self) -> None:
        self._close()

    def _open_next(self) -> bool:
        self._close()
        self._file_index += 1
        if self._file_index >= len(self._files):
            self._exhausted = True
            return False
        self._fh, self._pending = self._open_skipped(self._files[self._file_index], _BLOCK)
        self._line_base = self._skip_lines
        return True

    def _fill(self) -> bool:
        """Parse the next block; False at the end of the data."""
        while not self._exhausted:
            if self._fh is None and not self._open_next():
                return False
            path = self._files[self._file_index]
            chunk = self._fh.read(_BLOCK)
            data = self._pending + chunk if self._pending else chunk
            is_last = not chunk
            values, lines, consumed, nlines = parse_block(
                data,
                path,
                self._line_base,
                self.num_columns(),
                self._dialect(),
                is_last,
                self._labels,
            )
            self._pending = data[consumed:]
            self._line_base += nlines
            if is_last:
                self._close()
            if len(values):
                self._block, self._block_lines, self._cursor = values, lines, 0
                return True
        return False

    def has_next(self) -> bool:
        self._require_files()
        return self._cursor < len(self._block) or self._fill()

    def next_records(self, n: int) -> tuple[np.ndarray, RecordRefs]:
        n = check_count("n", n)
        parts, lines, srcs = [], [], []
        want = n
        while want and self.has_next():
            lo = self._cursor
            hi = min(lo + want, len(self._block))
            parts.append(self._block[lo:hi])
            lines.append(self._block_lines[lo:hi])
            srcs.append(np.full(hi - lo, self._file_index, np.int64))
            self._cursor, want = hi, want - (hi - lo)
        if not parts:
            return np.empty((0, self.num_columns())), RecordRefs([], [], [], self._reader_name)
        values = parts[0] if len(parts) == 1 else np.concatenate(parts)
        refs = RecordRefs(
            self._files, np.concatenate(srcs), np.concatenate(lines), self._reader_name
        )
        return values, refs

    def load_from_metadata(self, metas: Sequence[RecordMetaData]) -> np.ndarray:
        return self._load_lines(metas)


class CSVSequenceRecordReader(_CSVConfig, SequenceRecordReader):
    """Sequences from delimited text: each file is one sequence, each line one time step
    (DataVec's CSVSequenceRecordReader).

    Same parameters as :class:`CSVRecordReader`; metadata positions are file indices.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for i, t in enumerate([2, 3]):
    ...     _ = (d / f"s{i}.csv").write_text("1,0\\n" * t)
    >>> seqs, _ = CSVSequenceRecordReader(paths=str(d / "s*.csv")).next_sequences(5)
    >>> [s.shape for s in seqs]
    [(2, 2), (3, 2)]
    """

    def __init__(
        self,
        skip_lines: int = 0,
        delimiter: str = ",",
        quote: str = '"',
        *,
        paths: Any = None,
        labels: Sequence[str] | None = None,
        label_column: int = -1,
    ) -> None:
        self._reader_name = type(self).__name__
        _CSVConfig.__init__(self, skip_lines, delimiter, quote, paths, labels, label_column)

    def reset(self) -> None:
        self._file_index = 0

    def has_next(self) -> bool:
        self._require_files()
        return self._file_index < len(self._files)

    def _load(self, index: int) -> np.ndarray:
        path = self._files[index]
        data, skipped = self._read_file(path)
        if not data.strip():
            return np.empty((0, self.num_columns()))
        return self._parse_all(data, path, skipped)[0]

    def next_sequences(self, n: int) -> tuple[list[np.ndarray], RecordRefs]:
        n = check_count("n", n)
        lo = self._file_index
        hi = min(lo + n, len(self._files))
        seqs = [self._load(i) for i in range(lo, hi)]
        self._file_index = hi
        idx = np.arange(lo, hi)
        return seqs, RecordRefs(self._files, idx, idx, self._reader_name)

    def _skip_block(self, n: int) -> int:
        k = min(n, len(self._files) - self._file_index)
        self._file_index += k
        return k

    def load_from_metadata(self, metas: Sequence[RecordMetaData]) -> list[np.ndarray]:
        out = []
        for m in metas:
            if not os.path.isfile(m.source):
                raise FileNotFoundError(f"metadata names a missing file {m.source!r}")
            data, skipped = self._read_file(m.source)
            out.append(
                self._parse_all(data, m.source, skipped)[0]
                if data.strip()
                else np.empty((0, self.num_columns()))
            )
        return out
