"""Turning CSV bytes into float64 rows, through the one C parser (csrc/csv.c).

Quoted fields, a category column mapped through a label list, ``\\r``/``\\r\\n``/``\\n``
line ends and the number grammar are all handled by ``fastiter._core._csv``, so a token
means the same in every file (docs/csv.md states the grammar).  This module builds the
dialect, skips header lines and a byte-order mark, and turns the parser's error record
into a :class:`CSVFormatError` naming the file, the 1-based line and the 0-based column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from fastiter._core import csv as _csv
from fastiter.errors import FormatError

BOM = b"\xef\xbb\xbf"
_LINE_END = re.compile(rb"\r\n|\r|\n")
_SHOW = 60  # characters of a field or line quoted in a message


class CSVFormatError(FormatError):
    """A CSV file could not be read as numbers; names the file, line and column.

    Attributes ``path``, ``line`` (1-based) and ``column`` (0-based field index, or None
    when the whole record is at fault) locate the problem.
    """

    def __init__(
        self, message: str, path: str = "", line: int = 0, column: int | None = None
    ) -> None:
        super().__init__(message)
        self.path, self.line, self.column = path, line, column

    def __reduce__(self) -> tuple:
        # keeps the location when a worker process sends the error to the caller
        return type(self), (str(self), self.path, self.line, self.column)


def make_dialect(
    delimiter: str,
    quote: str,
    ncols: int,
    labels: Sequence[str] | None = None,
    label_column: int = -1,
) -> _csv.Dialect:
    """The C parser's dialect; ``label_column`` may count from the end."""
    if labels is None:
        return _csv.Dialect(ord(delimiter), quote.encode())
    col = label_column + ncols if label_column < 0 else label_column
    if not 0 <= col < ncols:
        raise ValueError(f"label_column {label_column} is outside the {ncols} columns of the file")
    return _csv.Dialect(
        ord(delimiter), quote.encode(), col, [str(x).encode("utf-8") for x in labels]
    )


def skip_lines(data: bytes, count: int, at_eof: bool) -> int | None:
    """Byte offset after ``count`` lines (any line end), or None when ``data`` may not
    hold them all yet (read more and ask again).  A leading BOM is skipped."""
    pos = len(BOM) if data.startswith(BOM) else 0
    for _ in range(count):
        m = _LINE_END.search(data, pos)
        if m is None:
            return len(data) if at_eof else None
        if m.group() == b"\r" and m.end() == len(data) and not at_eof:
            return None  # a "\n" may follow in the next block
        pos = m.end()
    return pos


def _line_text(data: bytes, offset: int) -> str:
    start = max(data.rfind(b"\n", 0, offset), data.rfind(b"\r", 0, offset)) + 1
    m = _LINE_END.search(data, offset)
    end = m.start() if m else len(data)
    return _show(data[start:end].decode("utf-8", "replace").rstrip())


def _show(text: str) -> str:
    return repr(text if len(text) <= _SHOW else text[:_SHOW] + "...")


def format_error(
    err: tuple,
    data: bytes,
    path: str,
    line_base: int,
    ncols: int,
    labels: Sequence[str] | None = None,
) -> CSVFormatError:
    """The CSVFormatError for the C parser's error tuple."""
    kind, line, column, offset, length = err
    line1 = line_base + line + 1
    where = f"{path}: line {line1}"
    raw = data[offset : offset + length]
    if kind == _csv.EFIELDS:
        return CSVFormatError(
            f"{where} has {column} fields, expected {ncols} (the column "
            f"count of the first record): {_line_text(data, offset)}",
            path,
            line1,
        )
    where += f", column index {column}"
    try:
        field = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        bad = raw[e.start : e.end]
        return CSVFormatError(
            f"{where}: bytes {bad!r} are not valid UTF-8 (CSV files are "
            f"read as UTF-8; re-encode the file)",
            path,
            line1,
            column,
        )
    if kind == _csv.ELONG:
        msg = (
            f"a field of {length} bytes is longer than the {_csv.MAX_FIELD} bytes "
            f"allowed: {_show(field)}"
        )
    elif kind == _csv.EQUOTE:
        msg = f"a quoted field is not closed, or text follows its closing quote: {_show(field)}"
    elif kind == _csv.ELABEL:
        msg = f"{field.strip()!r} is not one of the labels {list(labels or [])}"
    else:
        msg = (
            f"{field!r} is not a number (expected a decimal such as -1.5e3, or "
            f"nan/inf; line {_line_text(data, offset)})"
        )
    return CSVFormatError(f"{where}: {msg}", path, line1, column)


def parse_block(
    data: bytes,
    path: str,
    line_base: int,
    ncols: int,
    dialect: _csv.Dialect,
    is_last: bool,
    labels: Sequence[str] | None = None,
    max_rows: int | None = None,
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Parse the complete records of ``data`` (the whole tail too when ``is_last``).

    Returns ``(values [k, ncols], lines [k] (0-based, file-relative starting line),
    consumed bytes, lines consumed)``.
    """
    # every row takes at least 2 * ncols bytes (a digit and a separator per field); the
    # unused tail of this bound is never touched, so its pages are never faulted in
    cap = len(data) // (2 * ncols) + 1
    if max_rows is not None:
        cap = min(cap, max_rows)
    values = np.empty((cap, ncols), np.float64)
    lines = np.empty(cap, np.int64)
    nrows, consumed, nlines, err = _csv.parse(data, dialect, values, lines, is_last)
    if err is not None:
        raise format_error(err, data, path, line_base, ncols, labels)
    lines = lines[:nrows]
    lines += line_base
    return values[:nrows], lines, consumed, nlines


def count_fields(
    data: bytes, path: str, line_base: int, dialect: _csv.Dialect, is_last: bool
) -> int:
    """Fields of the first non-blank record (0: none; -1: it may continue past data)."""
    n, _, err = _csv.count_fields(data, dialect, is_last)
    if err is not None:
        raise format_error(err, data, path, line_base, 0)
    return n


def check_labels(labels: Sequence[str] | None) -> list[str] | None:
    """The label list as distinct strings, or None."""
    if labels is None:
        return None
    names = [str(x) for x in labels]
    if len(set(names)) != len(names):
        raise ValueError(f"labels must be distinct, got {names}")
    return names


def check_delimiters(delimiter: str, quote: str) -> None:
    """Refuse a delimiter or quote the parser would confuse with a number or a line end."""
    for name, v in (("delimiter", delimiter), ("quote", quote)):
        if not isinstance(v, str) or len(v) != 1:
            raise ValueError(f"{name} must be a single character, got {v!r}")
        if v.isalnum() or v in "+-. \t\r\n" or ord(v) > 127:
            raise ValueError(
                f"{name} {v!r} cannot be a letter, digit, sign, '.', a blank, "
                f"a line end or a non-ASCII character"
            )
    if delimiter == quote:
        raise ValueError(f"delimiter and quote must differ, both are {delimiter!r}")
