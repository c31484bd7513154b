# cython: language_level=3
"""nogil wrapper over csrc/csv.c (bulk numeric CSV parsing).

fastiter.records.csv validates arguments and turns the error record into a message that
names the file, line and column; this module only converts buffers and drops the GIL.
"""
from libc.stdint cimport int64_t

from fastiter._core.fastiter cimport (
    fi_csv_parse_f64, fi_csv_error, FI_CSV_ENUMBER, FI_CSV_EFIELDS,
)

ENUMBER = FI_CSV_ENUMBER
EFIELDS = FI_CSV_EFIELDS


def parse_f64(const unsigned char[::1] buf, Py_ssize_t start, char delim,
              double[:, ::1] out, int64_t[::1] row_line, bint is_last):
    """Parse lines of buf[start:] into out (rows x ncols).

    row_line (length >= out rows) receives each row's line index within buf[start:].
    Returns (nrows, consumed_bytes, nlines, error) where error is None or a tuple
    (kind, line, column, offset, length) with offset relative to buf[0].
    """
    cdef fi_csv_error err
    cdef int64_t nrows = 0, nlines = 0
    cdef size_t consumed = 0
    cdef int status
    cdef Py_ssize_t n = buf.shape[0]
    cdef double dummy = 0
    cdef int64_t dummy_line = 0
    cdef double *outp = &out[0, 0] if out.shape[0] > 0 else &dummy
    cdef int64_t *linep = &row_line[0] if row_line.shape[0] > 0 else &dummy_line
    if row_line.shape[0] < out.shape[0]:
        raise ValueError("row_line must have at least as many entries as out has rows")
    if not 0 <= start <= n:
        raise ValueError(f"start must be in [0, {n}], got {start}")
    if n == start:
        return 0, 0, 0, None
    with nogil:
        status = fi_csv_parse_f64(<const char *>&buf[start], <size_t>(n - start), delim,
                                  out.shape[1], is_last, outp, linep, out.shape[0],
                                  &nrows, &consumed, &nlines, &err)
    if status == 0:
        return nrows, consumed, nlines, None
    if status == -1 and (err.kind == FI_CSV_ENUMBER or err.kind == FI_CSV_EFIELDS):
        return nrows, consumed, nlines, (err.kind, err.line, err.column,
                                         err.offset + start, err.length)
    raise ValueError(f"fi_csv_parse_f64 rejected its arguments (status {status})")
