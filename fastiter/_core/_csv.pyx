# cython: language_level=3
"""nogil wrapper over csrc/csv.c (bulk numeric CSV parsing).

fastiter.records._csvparse validates arguments and turns the error record into a message
that names the file, line and column; this module only converts buffers and drops the GIL.
"""
from libc.stdint cimport int64_t
from libc.stdlib cimport malloc, free

from fastiter._core.fastiter cimport (
    fi_csv_parse, fi_csv_count_fields, fi_csv_error, fi_csv_dialect,
    FI_CSV_ENUMBER, FI_CSV_EFIELDS, FI_CSV_EQUOTE, FI_CSV_ELONG, FI_CSV_ELABEL,
    FI_CSV_MAX_FIELD,
)

ENUMBER = FI_CSV_ENUMBER
EFIELDS = FI_CSV_EFIELDS
EQUOTE = FI_CSV_EQUOTE
ELONG = FI_CSV_ELONG
ELABEL = FI_CSV_ELABEL
MAX_FIELD = FI_CSV_MAX_FIELD


cdef class Dialect:
    """Delimiter, quote (b'' for none) and an optional label column with its names."""
    cdef fi_csv_dialect d
    cdef const char **names
    cdef size_t *lens
    cdef list keep

    def __cinit__(self, char delim, bytes quote, Py_ssize_t label_column=-1,
                  labels=None):
        self.d.delim = delim
        self.d.quote = quote[0] if quote else 0
        self.d.label_column = label_column
        self.keep = [bytes(x) for x in (labels or [])]
        n = len(self.keep)
        self.names = <const char **>malloc(max(n, 1) * sizeof(char *))
        self.lens = <size_t *>malloc(max(n, 1) * sizeof(size_t))
        if self.names == NULL or self.lens == NULL:
            raise MemoryError()
        for i, b in enumerate(self.keep):
            self.names[i] = <const char *>b
            self.lens[i] = len(b)
        self.d.labels = self.names
        self.d.label_len = self.lens
        self.d.nlabels = n

    def __dealloc__(self):
        free(self.names)
        free(self.lens)


cdef tuple _error_tuple(fi_csv_error *err):
    return (err.kind, err.line, err.column, err.offset, err.length)


def parse(const unsigned char[::1] buf, Dialect dialect, double[:, ::1] out,
          int64_t[::1] row_line, bint is_last):
    """Parse records of buf into out (rows x ncols).

    row_line (length >= out rows) receives each row's starting line index within buf.
    Returns (nrows, consumed_bytes, nlines, error) where error is None or a tuple
    (kind, line, column, offset, length).
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
    cdef const char *bp = <const char *>&buf[0] if n > 0 else NULL
    if row_line.shape[0] < out.shape[0]:
        raise ValueError("row_line must have at least as many entries as out has rows")
    if n == 0:
        return 0, 0, 0, None
    with nogil:
        status = fi_csv_parse(bp, <size_t>n, &dialect.d, out.shape[1], is_last, outp, linep,
                              out.shape[0], &nrows, &consumed, &nlines, &err)
    if status == 0:
        return nrows, consumed, nlines, None
    if err.kind != 0:
        return nrows, consumed, nlines, _error_tuple(&err)
    raise ValueError(f"fi_csv_parse rejected its arguments (status {status})")


def count_fields(const unsigned char[::1] buf, Dialect dialect, bint is_last):
    """(fields of the first non-blank record (0: none, -1: incomplete), its line, error)."""
    cdef fi_csv_error err
    cdef int64_t ncols = 0, line = 0
    cdef int status
    cdef Py_ssize_t n = buf.shape[0]
    cdef const char *bp = <const char *>&buf[0] if n > 0 else NULL
    with nogil:
        status = fi_csv_count_fields(bp, <size_t>n, &dialect.d, is_last, &ncols, &line,
                                     &err)
    if status == 0:
        return ncols, line, None
    if err.kind != 0:
        return ncols, line, _error_tuple(&err)
    raise ValueError(f"fi_csv_count_fields rejected its arguments (status {status})")
