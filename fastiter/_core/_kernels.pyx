# cython: language_level=3
"""nogil wrappers over the csrc/ kernels.

The Python face (fastiter.kernels) validates and allocates; these wrappers only convert
buffers, pick the dtype code and release the GIL around the C call.  The `cdef api`
functions are the entry points numba binds through
numba.extending.get_cython_function_address("fastiter._core._kernels", name).
"""
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from libc.stdint cimport int64_t, int8_t, int16_t, int32_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdint cimport uintptr_t
cimport numpy as cnp

from fastiter._core.fastiter cimport (
    fi_one_hot, fi_one_hot_zeroed, fi_status_str, FI_OK, FI_ERANGE, FI_EINVAL,
    FI_BOOL, FI_INT8, FI_INT16, FI_INT32, FI_INT64, FI_UINT8, FI_UINT16, FI_UINT32,
    FI_UINT64, FI_FLOAT16, FI_FLOAT32, FI_FLOAT64,
    fi_pad_sequences, fi_gather, fi_gather_windows, fi_collate,
    fi_random_bits, fi_random_uniform, fi_random_normal, fi_random_integers,
    fi_random_binary, fi_random_one_hot, fi_random_simd_level, fi_random_set_simd_level,
    fi_set_num_threads, fi_get_num_threads, fi_pool_live_threads, fi_pool_shutdown,
    fi_thread_serial, fi_pool_jobs,
)

cnp.import_array()

# numpy dtype name -> fi_dtype code, the values taken from the enum in fastiter.h (through
# fastiter.pxd), so Python never restates them (fastiter.kernels.FI_DTYPE_CODES, fastiter.jit)
DTYPE_CODES = {
    "bool": FI_BOOL, "int8": FI_INT8, "int16": FI_INT16, "int32": FI_INT32,
    "int64": FI_INT64, "uint8": FI_UINT8, "uint16": FI_UINT16, "uint32": FI_UINT32,
    "uint64": FI_UINT64, "float16": FI_FLOAT16, "float32": FI_FLOAT32, "float64": FI_FLOAT64,
}

ctypedef fused label_t:
    int8_t
    int16_t
    int32_t
    int64_t
    uint8_t
    uint16_t

# float16 travels as its uint16 bit pattern; bool as uint8.
ctypedef fused onehot_out_t:
    uint8_t
    int32_t
    uint16_t
    float
    double


cdef inline int _label_code(label_t *p) noexcept nogil:
    if label_t is int8_t:
        return FI_INT8
    elif label_t is int16_t:
        return FI_INT16
    elif label_t is int32_t:
        return FI_INT32
    elif label_t is int64_t:
        return FI_INT64
    elif label_t is uint8_t:
        return FI_UINT8
    else:
        return FI_UINT16


class KernelError(RuntimeError):
    """A C kernel reported a status the Python face should have prevented."""


def status_message(int status):
    """The C core's name for a status code."""
    return fi_status_str(status).decode()


def one_hot_into(label_t[:, ::1] labels, onehot_out_t[:, :, ::1] out, int out_code,
                 bint zeroed=False):
    """Write one_hot(labels) into out ([outer, C, inner]); return -1 or the bad position.

    out_code is the fi_dtype of out's elements (it disambiguates uint8/bool and
    uint16/float16, which share a memoryview type).  zeroed: out is all zeros already.
    """
    cdef int64_t outer = labels.shape[0], inner = labels.shape[1]
    cdef int64_t num_classes = out.shape[1]
    cdef int64_t bad = -1
    cdef int status
    if out.shape[0] != outer or out.shape[2] != inner:
        raise ValueError("out shape does not match labels")
    if outer * inner == 0:
        return -1
    with nogil:
        if zeroed:
            status = fi_one_hot_zeroed(&labels[0, 0], _label_code(&labels[0, 0]), outer,
                                       inner, num_classes, &out[0, 0, 0], out_code, &bad)
        else:
            status = fi_one_hot(&labels[0, 0], _label_code(&labels[0, 0]), outer, inner,
                                num_classes, &out[0, 0, 0], out_code, &bad)
    if status == FI_ERANGE:
        return bad
    if status != FI_OK:
        raise KernelError(f"fi_one_hot: {status_message(status)}")
    return -1


cdef api int fastiter_one_hot(const void *labels, int label_dtype, int64_t outer,
                              int64_t inner, int64_t num_classes, void *out,
                              int out_dtype, int64_t *bad_index) noexcept nogil:
    """numba entry: the type-generic C kernel, callable without the GIL."""
    return fi_one_hot(labels, label_dtype, outer, inner, num_classes, out, out_dtype,
                      bad_index)


# ------------------------------------------------------------------ padding

def collect_sequences(list seqs, int typenum, int64_t features, int rank,
                      uintptr_t[::1] ptrs, int64_t[::1] lengths):
    """Fill ptrs/lengths from seqs; return -1, or the first index that is not already a
    C-contiguous native-order ndarray of numpy type number `typenum` and `rank` with `features` columns (rank 2)."""
    cdef Py_ssize_t i, n = len(seqs)
    cdef cnp.ndarray a
    cdef object item
    for i in range(n):
        item = seqs[i]
        if type(item) is not cnp.ndarray:
            return i
        a = <cnp.ndarray>item
        if (cnp.PyArray_NDIM(a) != rank or not cnp.PyArray_IS_C_CONTIGUOUS(a)
                or not cnp.PyArray_ISNOTSWAPPED(a)
                or not cnp.PyArray_EquivTypenums(cnp.PyArray_TYPE(a), typenum)):
            return i
        if rank == 2 and cnp.PyArray_DIM(a, 1) != features:
            return i
        ptrs[i] = <uintptr_t>cnp.PyArray_DATA(a)
        lengths[i] = cnp.PyArray_DIM(a, 0)
    return -1


def pad_into(uintptr_t[::1] ptrs, const int64_t[::1] src_begin, const int64_t[::1] count,
             const int64_t[::1] start, int64_t features, int layout, bytes pad_value,
             cnp.ndarray out, object mask, bytes mask_one):
    """Run fi_pad_sequences into out ([N, T, F] or [N, F, T]) and the optional mask."""
    cdef int64_t n = ptrs.shape[0], bad = -1
    cdef int64_t steps = cnp.PyArray_DIM(out, 1 if layout == 0 else 2) if cnp.PyArray_NDIM(out) == 3 else cnp.PyArray_DIM(out, 1)
    cdef size_t es = cnp.PyArray_ITEMSIZE(out), mes = 0
    cdef void *mp = NULL
    cdef const char *mone = NULL
    cdef const char *pv = PyBytes_AS_STRING(pad_value)
    cdef int status
    if PyBytes_GET_SIZE(pad_value) != <Py_ssize_t>es:
        raise ValueError("pad_value has the wrong size")
    if mask is not None:
        mp = cnp.PyArray_DATA(<cnp.ndarray>mask)
        mes = cnp.PyArray_ITEMSIZE(<cnp.ndarray>mask)
        mone = PyBytes_AS_STRING(mask_one)
    if n == 0:
        return -1
    with nogil:
        status = fi_pad_sequences(<const void *const *>&ptrs[0], &src_begin[0], &count[0],
                                  &start[0], n, features, steps, es, layout, pv,
                                  cnp.PyArray_DATA(out), mp, mes, mone, &bad)
    if status == FI_EINVAL:
        return bad
    if status != FI_OK:
        raise KernelError(f"fi_pad_sequences: {status_message(status)}")
    return -1


# ------------------------------------------------------------- batch assembly

cdef inline int64_t _gather_result(int status, int64_t bad, str name) except? -2:
    """The tail gather_into and gather_windows_into share: -1, the first bad position
    (FI_ERANGE), or KernelError naming the C function."""
    if status == FI_ERANGE:
        return bad
    if status != FI_OK:
        raise KernelError(f"{name}: {status_message(status)}")
    return -1


def gather_into(cnp.ndarray src, cnp.ndarray indices, cnp.ndarray out,
                int64_t row_bytes, int64_t stride):
    """Rows src[indices] into out; return -1 or the first bad position.

    indices must be a C-contiguous int64 array (the caller checks; this is the hot
    path of every batch, so it takes raw arrays rather than typed memoryviews)."""
    return _gather(src, indices, out, row_bytes, stride)


cdef int64_t _gather(cnp.ndarray src, cnp.ndarray indices, cnp.ndarray out,
                     int64_t row_bytes, int64_t stride) except? -2:
    cdef int64_t bad = -1, n = cnp.PyArray_SIZE(indices)
    cdef int status
    cdef const int64_t *ip = <const int64_t *>cnp.PyArray_DATA(indices)
    if n == 0:
        return -1
    with nogil:
        status = fi_gather(cnp.PyArray_DATA(src), cnp.PyArray_DIM(src, 0), stride,
                           <size_t>row_bytes, ip, n, cnp.PyArray_DATA(out), &bad)
    return _gather_result(status, bad, "fi_gather")


cdef inline bint _plain_rows(cnp.ndarray a) noexcept:
    """A C-contiguous array of a plain numeric dtype (bool to complex, float16)."""
    cdef int t = cnp.PyArray_TYPE(a)
    return cnp.PyArray_IS_C_CONTIGUOUS(a) and (t <= cnp.NPY_CLONGDOUBLE or t == cnp.NPY_FLOAT16)


def gather_rows(object src, object indices, object out):
    """gather_into for arrays already in the form fi_gather reads, checked here in C
    instead of by the Python face: exact ndarrays, src C-contiguous with rows, of a
    plain numeric dtype; indices 1-D C-contiguous native int64; out writeable
    C-contiguous [B, *src.shape[1:]] of src's dtype.  Returns -2 when they are not (the
    caller takes its general path, which also words the errors), else as gather_into.
    The same checks as attribute reads in Python (fastiter.kernels.gather's fast path
    before) took 1.0 us of a 1-row gather(out=) against 0.1 us for gather_into alone;
    with this call the whole gather(out=) takes 0.2-0.3 us, and a 2-thread 1024 x 128
    float32 batch 7-9 us."""
    if (type(src) is not cnp.ndarray or type(indices) is not cnp.ndarray
            or type(out) is not cnp.ndarray):
        return -2
    cdef cnp.ndarray s = <cnp.ndarray>src, i = <cnp.ndarray>indices, o = <cnp.ndarray>out
    cdef int nd = cnp.PyArray_NDIM(s), d
    if (nd < 1 or cnp.PyArray_DIM(s, 0) == 0 or not _plain_rows(s)
            or cnp.PyArray_NDIM(i) != 1 or cnp.PyArray_TYPE(i) != cnp.NPY_INT64
            or not cnp.PyArray_ISNOTSWAPPED(i) or not cnp.PyArray_IS_C_CONTIGUOUS(i)
            or cnp.PyArray_NDIM(o) != nd or not cnp.PyArray_IS_C_CONTIGUOUS(o)
            or not cnp.PyArray_ISWRITEABLE(o)
            or cnp.PyArray_DIM(o, 0) != cnp.PyArray_DIM(i, 0)
            or not cnp.PyArray_EquivTypes(s.descr, o.descr)):
        return -2
    for d in range(1, nd):
        if cnp.PyArray_DIM(o, d) != cnp.PyArray_DIM(s, d):
            return -2
    cdef int64_t row_bytes = cnp.PyArray_NBYTES(s) // cnp.PyArray_DIM(s, 0)
    return _gather(s, i, o, row_bytes, row_bytes)


def gather_windows_into(cnp.ndarray src, cnp.ndarray starts, cnp.ndarray out,
                        int64_t window, int layout):
    """Windows src[s:s + window] for s in starts into out; return -1 or the first bad
    position.  src is a C-contiguous 2-D array, starts C-contiguous int64 (the caller
    checks both)."""
    cdef int64_t bad = -1, n = cnp.PyArray_SIZE(starts)
    cdef int status
    cdef const int64_t *sp = <const int64_t *>cnp.PyArray_DATA(starts)
    if n == 0:
        return -1
    with nogil:
        status = fi_gather_windows(cnp.PyArray_DATA(src), cnp.PyArray_DIM(src, 0),
                                   cnp.PyArray_DIM(src, 1), <size_t>cnp.PyArray_ITEMSIZE(src),
                                   sp, n, window, layout, cnp.PyArray_DATA(out), &bad)
    return _gather_result(status, bad, "fi_gather_windows")


def collate_into(list items, cnp.ndarray out, uintptr_t[::1] ptrs):
    """Stack items into out; return -1, or the first item that is not a C-contiguous
    ndarray of out's dtype and of out.shape[1:] (the caller converts it and retries)."""
    cdef Py_ssize_t i, n = len(items)
    cdef int d, nd = cnp.PyArray_NDIM(out) - 1
    cdef size_t item_bytes = cnp.PyArray_NBYTES(out) // n if n else 0
    cdef cnp.ndarray a
    cdef object item
    cdef int status
    for i in range(n):
        item = items[i]
        if type(item) is not cnp.ndarray:
            return i
        a = <cnp.ndarray>item
        if (cnp.PyArray_NDIM(a) != nd or not cnp.PyArray_IS_C_CONTIGUOUS(a)
                or not cnp.PyArray_ISNOTSWAPPED(a)
                or not cnp.PyArray_EquivTypenums(cnp.PyArray_TYPE(a), cnp.PyArray_TYPE(out))):
            return i
        for d in range(nd):
            if cnp.PyArray_DIM(a, d) != cnp.PyArray_DIM(out, d + 1):
                return i
        ptrs[i] = <uintptr_t>cnp.PyArray_DATA(a)
    if n == 0:
        return -1
    with nogil:
        status = fi_collate(<const void *const *>&ptrs[0], n, item_bytes, cnp.PyArray_DATA(out))
    if status != FI_OK:
        raise KernelError(f"fi_collate: {status_message(status)}")
    return -1


# --------------------------------------------------------------------- random

RANDOM_KINDS = ("bits", "uniform", "normal", "integers", "binary", "one_hot")


def random_fill(str kind, uint64_t seed, uint64_t stream, int64_t first, cnp.ndarray out,
                int code, int64_t low=0, uint64_t rng=1, double p=0.5, int64_t num_classes=1):
    """Fill the C-contiguous out with elements [first, first + n) of the given kind."""
    cdef void *o = cnp.PyArray_DATA(out)
    cdef int64_t n = cnp.PyArray_SIZE(out)
    cdef int status, k = RANDOM_KINDS.index(kind)
    if k == 5:
        n = n // num_classes if num_classes else 0
    with nogil:
        if k == 0:
            status = fi_random_bits(seed, stream, first, n, <uint32_t *>o)
        elif k == 1:
            status = fi_random_uniform(seed, stream, first, n, o, code)
        elif k == 2:
            status = fi_random_normal(seed, stream, first, n, o, code)
        elif k == 3:
            status = fi_random_integers(seed, stream, first, n, low, rng, o, code)
        elif k == 4:
            status = fi_random_binary(seed, stream, first, n, p, o, code)
        else:
            status = fi_random_one_hot(seed, stream, first, n, num_classes, o, code)
    if status != FI_OK:
        raise KernelError(f"fi_random_{kind}: {status_message(status)}")


def simd_level():
    """The Philox path in use: 2 = AVX-512, 1 = AVX2, 0 = scalar."""
    return fi_random_simd_level()


def set_simd_level(int level):
    """Cap the Philox path: scalar (0), AVX2 (1), AVX-512 (2), or the CPU's best (-1)."""
    if fi_random_set_simd_level(level) != FI_OK:
        raise ValueError(f"level must be -1, 0, 1 or 2, got {level}")


# ------------------------------------------------------------------ threads

def set_num_threads(int n):
    if fi_set_num_threads(n) != FI_OK:
        raise ValueError(f"n must be in [1, 1024], got {n}")


def get_num_threads():
    return fi_get_num_threads()


def pool_live_threads():
    return fi_pool_live_threads()


def pool_shutdown():
    with nogil:
        fi_pool_shutdown()


def thread_serial(bint on):
    return bool(fi_thread_serial(on))


def pool_jobs():
    return fi_pool_jobs()


# ------------------------------------------------------ numba entry points (cdef api)

cdef api int fastiter_pad_sequences(const void *const *seqs, const int64_t *src_begin,
                                    const int64_t *count, const int64_t *start, int64_t n,
                                    int64_t features, int64_t steps, size_t elem_size,
                                    int layout, const void *pad_value, void *out, void *mask,
                                    size_t mask_elem_size, const void *mask_one,
                                    int64_t *bad_index) noexcept nogil:
    return fi_pad_sequences(seqs, src_begin, count, start, n, features, steps, elem_size,
                            layout, pad_value, out, mask, mask_elem_size, mask_one, bad_index)


cdef api int fastiter_gather(const void *src, int64_t src_rows, int64_t src_stride,
                             size_t row_bytes, const int64_t *indices, int64_t n, void *out,
                             int64_t *bad_index) noexcept nogil:
    return fi_gather(src, src_rows, src_stride, row_bytes, indices, n, out, bad_index)


cdef api int fastiter_random_uniform(uint64_t seed, uint64_t stream, int64_t first,
                                     int64_t n, void *out, int dtype) noexcept nogil:
    return fi_random_uniform(seed, stream, first, n, out, dtype)


cdef api int fastiter_random_normal(uint64_t seed, uint64_t stream, int64_t first,
                                    int64_t n, void *out, int dtype) noexcept nogil:
    return fi_random_normal(seed, stream, first, n, out, dtype)


cdef api int fastiter_random_integers(uint64_t seed, uint64_t stream, int64_t first,
                                      int64_t n, int64_t low, uint64_t range, void *out,
                                      int dtype) noexcept nogil:
    return fi_random_integers(seed, stream, first, n, low, range, out, dtype)


cdef api int fastiter_collate(const void *const *srcs, int64_t n, size_t item_bytes,
                              void *out) noexcept nogil:
    return fi_collate(srcs, n, item_bytes, out)


cdef api int fastiter_random_binary(uint64_t seed, uint64_t stream, int64_t first,
                                    int64_t n, double p, void *out, int dtype) noexcept nogil:
    return fi_random_binary(seed, stream, first, n, p, out, dtype)


cdef api int fastiter_random_one_hot(uint64_t seed, uint64_t stream, int64_t first,
                                     int64_t n, int64_t num_classes, void *out,
                                     int dtype) noexcept nogil:
    return fi_random_one_hot(seed, stream, first, n, num_classes, out, dtype)


cdef api int fastiter_random_bits(uint64_t seed, uint64_t stream, int64_t first, int64_t n,
                                  uint32_t *out) noexcept nogil:
    return fi_random_bits(seed, stream, first, n, out)


# ----------------------------------------------- fused gather + uint8 -> float (convert.h)

from fastiter._core.fastiter cimport (
    fi_gather_scaled_u8, fi_gather_scaled_labeled_u8, FI_NO_THRESHOLD,
)


def gather_scaled_into(cnp.ndarray src, object indices, cnp.ndarray out, int64_t row_len,
                       int64_t stride, double scale, int threshold):
    """scale * v(src rows) into out (float32 or float64); return -1 or the first bad position.

    src is uint8 with rows of row_len contiguous bytes stride bytes apart; indices is a
    C-contiguous int64 array, or None for rows 0..len(out)-1.  threshold -1: none.  The
    caller (fastiter.kernels.gather_scaled) checks layouts, dtypes and the threshold."""
    cdef int64_t bad = -1, n = cnp.PyArray_DIM(out, 0) if cnp.PyArray_NDIM(out) else 0
    cdef const int64_t *ip = NULL
    cdef int code = FI_FLOAT64 if cnp.PyArray_TYPE(out) == cnp.NPY_FLOAT64 else FI_FLOAT32
    cdef int status
    if indices is not None:
        ip = <const int64_t *>cnp.PyArray_DATA(<cnp.ndarray>indices)
        n = cnp.PyArray_SIZE(<cnp.ndarray>indices)
    if n == 0:
        return -1
    with nogil:
        status = fi_gather_scaled_u8(<const uint8_t *>cnp.PyArray_DATA(src),
                                     cnp.PyArray_DIM(src, 0), stride, row_len, ip, n, scale,
                                     threshold, cnp.PyArray_DATA(out), code, &bad)
    if status == FI_ERANGE:
        return bad
    if status != FI_OK:
        raise KernelError(f"fi_gather_scaled_u8: {status_message(status)}")
    return -1


def gather_scaled_labeled(cnp.ndarray src, cnp.ndarray indices, cnp.ndarray label_rows,
                          tuple shape, double scale, int threshold, bint f64):
    """A new (features, labels) pair: features ``[len(indices), *shape]`` of float32
    (float64 when f64) from the uint8 rows of src, scaled (threshold -1: none), and labels
    ``[len(indices), ...]``: the rows of label_rows (one per source row, any dtype).

    Checks the layouts itself (it allocates, so it must never be handed a wrong array);
    returns the position of the first index out of range instead, for the caller to
    explain."""
    cdef int64_t bad = -1, n, row_len, label_bytes
    cdef int status, i, nd = len(shape) + 1
    cdef cnp.npy_intp fdims[32]
    cdef cnp.npy_intp ldims[32]
    cdef cnp.ndarray feats, labels
    if (cnp.PyArray_TYPE(src) != cnp.NPY_UINT8 or cnp.PyArray_NDIM(src) < 1
            or not cnp.PyArray_IS_C_CONTIGUOUS(src)):
        raise TypeError("src must be a C-contiguous uint8 array of at least one axis")
    if (cnp.PyArray_TYPE(indices) != cnp.NPY_INT64 or cnp.PyArray_NDIM(indices) != 1
            or not cnp.PyArray_IS_C_CONTIGUOUS(indices)):
        raise TypeError("indices must be a C-contiguous 1-D int64 array")
    if (cnp.PyArray_NDIM(label_rows) < 1 or not cnp.PyArray_IS_C_CONTIGUOUS(label_rows)
            or cnp.PyArray_DIM(label_rows, 0) != cnp.PyArray_DIM(src, 0)):
        raise ValueError("label_rows must be C-contiguous with one row per source row")
    if nd > 32:
        raise ValueError(f"shape has {nd - 1} axes; at most 31 are supported")
    n = cnp.PyArray_SIZE(indices)
    row_len = cnp.PyArray_SIZE(src) // cnp.PyArray_DIM(src, 0) if cnp.PyArray_DIM(src, 0) else 0
    fdims[0] = n
    for i in range(1, nd):
        fdims[i] = shape[i - 1]
        if fdims[i] < 0:
            raise ValueError(f"shape must have non-negative sizes, got {shape}")
    if cnp.PyArray_MultiplyList(fdims + 1, nd - 1) != row_len:
        raise ValueError(f"shape {shape} does not hold a source row of {row_len} pixels")
    feats = cnp.PyArray_EMPTY(nd, fdims, cnp.NPY_FLOAT64 if f64 else cnp.NPY_FLOAT32, 0)
    label_bytes = cnp.PyArray_NBYTES(label_rows) // cnp.PyArray_DIM(label_rows, 0) \
        if cnp.PyArray_DIM(label_rows, 0) else 0
    if cnp.PyArray_NDIM(label_rows) > 32:
        raise ValueError("label_rows has more than 32 axes")
    for i in range(cnp.PyArray_NDIM(label_rows)):
        ldims[i] = cnp.PyArray_DIM(label_rows, i)
    ldims[0] = n
    labels = cnp.PyArray_EMPTY(cnp.PyArray_NDIM(label_rows), ldims,
                               cnp.PyArray_TYPE(label_rows), 0)
    with nogil:
        status = fi_gather_scaled_labeled_u8(
            <const uint8_t *>cnp.PyArray_DATA(src), cnp.PyArray_DIM(src, 0), row_len,
            row_len, <const int64_t *>cnp.PyArray_DATA(indices), n, scale, threshold,
            cnp.PyArray_DATA(feats), FI_FLOAT64 if f64 else FI_FLOAT32,
            cnp.PyArray_DATA(label_rows), <size_t>label_bytes, cnp.PyArray_DATA(labels), &bad)
    if status == FI_ERANGE:
        return bad
    if status != FI_OK:
        raise KernelError(f"fi_gather_scaled_labeled_u8: {status_message(status)}")
    return feats, labels


cdef api int fastiter_gather_scaled_u8(const uint8_t *src, int64_t src_rows,
                                       int64_t src_stride, int64_t row_len,
                                       const int64_t *indices, int64_t n, double scale,
                                       int threshold, void *out, int out_dtype,
                                       int64_t *bad_index) noexcept nogil:
    return fi_gather_scaled_u8(src, src_rows, src_stride, row_len, indices, n, scale,
                               threshold, out, out_dtype, bad_index)
