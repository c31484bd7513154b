# Declarations of the public C API (csrc/include/fastiter.h) for Cython code.
# Other Cython extensions can `cimport fastiter._core.fastiter` and build against
# fastiter.get_include().
from libc.stdint cimport int64_t

cdef extern from "fastiter.h" nogil:
    ctypedef enum fi_status:
        FI_OK
        FI_EINVAL
        FI_ERANGE
        FI_ENOMEM
        FI_ECLOSED
        FI_ETIMEDOUT

    ctypedef enum fi_dtype:
        FI_BOOL
        FI_INT8
        FI_INT16
        FI_INT32
        FI_INT64
        FI_UINT8
        FI_UINT16
        FI_UINT32
        FI_UINT64
        FI_FLOAT16
        FI_FLOAT32
        FI_FLOAT64

    const char *fi_status_str(int status)
    size_t fi_dtype_size(int dtype)

    int fi_one_hot(const void *labels, int label_dtype, int64_t outer, int64_t inner,
                   int64_t num_classes, void *out, int out_dtype, int64_t *bad_index)


cdef extern from "fastiter/csv.h" nogil:
    ctypedef struct fi_csv_error:
        int64_t line
        int64_t column
        int64_t offset
        int64_t length
        int kind

    int FI_CSV_ENUMBER
    int FI_CSV_EFIELDS

    int fi_csv_parse_f64(const char *buf, size_t len, char delim, int64_t ncols,
                         int is_last, double *out, int64_t *row_line, int64_t max_rows,
                         int64_t *nrows,
                         size_t *consumed, int64_t *nlines, fi_csv_error *err)
