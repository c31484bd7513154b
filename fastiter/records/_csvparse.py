"""Turning CSV bytes into float64 rows: the bulk C path and the csv-module path.

Unquoted numeric text goes to ``fastiter._core._csv`` (csrc/csv.c) a block at a time.
Files holding the quote character, or a category column to map through a label list,
go through the :mod:`csv` module, which understands quoting.  Both paths report a bad
field by file, 1-based line number and 0-based column index.
"""
from __future__ import annotations

import csv
import io
from typing import Sequence

import numpy as np

from fastiter._core import _csv


class CSVFormatError(ValueError):
    """A CSV line could not be read as numbers; names the file, line and column."""


def _line_text(data: bytes, offset: int) -> str:
    start = data.rfind(b"\n", 0, offset) + 1
    end = data.find(b"\n", offset)
    return data[start:end if end >= 0 else len(data)].decode("utf-8", "replace").rstrip()


def parse_block(data: bytes, path: str, line_base: int, ncols: int, delimiter: str,
                is_last: bool) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Parse the complete lines of ``data`` (the whole tail too when ``is_last``).

    Returns ``(values [k, ncols], lines [k] (0-based, file-relative), consumed bytes,
    lines consumed)``.
    """
    # every row takes at least 2 * ncols bytes (a digit and a separator per field); the
    # unused tail of this bound is never touched, so its pages are never faulted in
    cap = len(data) // (2 * ncols) + 1
    values = np.empty((cap, ncols), np.float64)
    lines = np.empty(cap, np.int64)
    nrows, consumed, nlines, err = _csv.parse_f64(data, 0, ord(delimiter), values, lines,
                                                  is_last)
    if err is not None:
        kind, line, column, offset, length = err
        where = f"{path}: line {line_base + line + 1}"
        if kind == _csv.EFIELDS:
            raise CSVFormatError(f"{where} has {column} fields, expected {ncols} "
                                 f"(the column count of the first record): "
                                 f"{_line_text(data, offset)!r}")
        field = data[offset:offset + length].decode("utf-8", "replace")
        raise CSVFormatError(f"{where}, column index {column}: {field!r} is not a number "
                             f"(line {_line_text(data, offset)!r})")
    lines = lines[:nrows]
    lines += line_base
    return values[:nrows], lines, consumed, nlines


def parse_text(text: str, path: str, line_base: int, ncols: int | None, delimiter: str,
               quote: str, categories: dict[int, dict[str, int]] | None = None,
               ) -> tuple[np.ndarray, np.ndarray]:
    """Parse ``text`` with the csv module (quoted fields, category columns).

    ``categories`` maps a column index (negative counts from the end) to
    ``{name: class index}``.  Returns ``(values [k, ncols], lines [k])``.
    """
    rows: list[list[float]] = []
    lines: list[int] = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar=quote)
    for fields in reader:
        line = line_base + reader.line_num - 1
        if not fields or all(not f.strip() for f in fields):
            continue
        if ncols is None:
            ncols = len(fields)
        if len(fields) != ncols:
            raise CSVFormatError(f"{path}: line {line + 1} has {len(fields)} fields, "
                                 f"expected {ncols} (the column count of the first record)")
        rows.append(_convert(fields, categories or {}, path, line, ncols))
        lines.append(line)
    values = np.array(rows, np.float64).reshape(len(rows), ncols or 0)
    return values, np.array(lines, np.int64)


def _convert(fields: list[str], categories: dict[int, dict[str, int]], path: str,
             line: int, ncols: int) -> list[float]:
    out = []
    for col, f in enumerate(fields):
        cat = categories.get(col, categories.get(col - ncols))
        if cat is not None:
            key = f.strip()
            if key not in cat:
                raise CSVFormatError(f"{path}: line {line + 1}, column index {col}: "
                                     f"{key!r} is not one of the labels {list(cat)}")
            out.append(float(cat[key]))
            continue
        try:
            out.append(float(f))
        except ValueError:
            raise CSVFormatError(f"{path}: line {line + 1}, column index {col}: {f!r} "
                                 f"is not a number") from None
    return out


def count_fields(line: str, delimiter: str, quote: str) -> int:
    """The number of fields on one line, quotes respected."""
    return len(next(csv.reader([line], delimiter=delimiter, quotechar=quote), []))


def category_map(labels: Sequence[str] | None, column: int) -> dict[int, dict[str, int]]:
    """``{column: {label: index}}``, or ``{}`` when there is no label list."""
    if labels is None:
        return {}
    names = [str(x) for x in labels]
    if len(set(names)) != len(names):
        raise ValueError(f"labels must be distinct, got {names}")
    return {int(column): {n: i for i, n in enumerate(names)}}


def check_delimiters(delimiter: str, quote: str) -> None:
    """Refuse delimiters the bulk parser would confuse with a number or a line end."""
    for name, v in (("delimiter", delimiter), ("quote", quote)):
        if not isinstance(v, str) or len(v) != 1:
            raise ValueError(f"{name} must be a single character, got {v!r}")
    if delimiter in "0123456789+-.eE \r\n" or delimiter == quote:
        raise ValueError(f"delimiter {delimiter!r} cannot be a digit, sign, '.', 'e', "
                         f"a space, a line end or the quote character")
