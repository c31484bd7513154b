# cython: language_level=3
"""nogil wrappers over the csrc/ kernels.

The Python face (fastiter.kernels) validates and allocates; these wrappers only convert
buffers, pick the dtype code and release the GIL around the C call.  The `cdef api`
functions are the entry points numba binds through
numba.extending.get_cython_function_address("fastiter._core._kernels", name).
"""
from libc.stdint cimport int64_t, int8_t, int16_t, int32_t, uint8_t, uint16_t

from fastiter._core.fastiter cimport (
    fi_one_hot, fi_status_str, FI_OK, FI_ERANGE,
    FI_BOOL, FI_INT8, FI_INT16, FI_INT32, FI_INT64, FI_UINT8, FI_UINT16,
    FI_FLOAT16, FI_FLOAT32, FI_FLOAT64,
)

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


def one_hot_into(label_t[:, ::1] labels, onehot_out_t[:, :, ::1] out, int out_code):
    """Write one_hot(labels) into out ([outer, C, inner]); return -1 or the bad position.

    out_code is the fi_dtype of out's elements (it disambiguates uint8/bool and
    uint16/float16, which share a memoryview type).
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
