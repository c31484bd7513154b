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

    # ring.h: the SPSC ring and native threads
    ctypedef struct fi_ring:
        pass
    ctypedef struct fi_thread:
        pass
    int64_t FI_RING_FOREVER
    int64_t FI_RING_NOWAIT
    size_t FI_RING_MAX_CAPACITY

    int64_t fi_now_ns()
    int fi_ring_create(size_t min_capacity, fi_ring **out)
    void fi_ring_destroy(fi_ring *ring)
    size_t fi_ring_capacity(const fi_ring *ring)
    size_t fi_ring_size(const fi_ring *ring)
    int fi_ring_push(fi_ring *ring, void *item, int64_t deadline_ns)
    int fi_ring_pop(fi_ring *ring, void **item, int64_t deadline_ns)
    size_t fi_ring_push_some(fi_ring *ring, void **items, size_t n)
    size_t fi_ring_pop_some(fi_ring *ring, void **items, size_t n)
    void fi_ring_close(fi_ring *ring)
    int fi_ring_is_closed(const fi_ring *ring)

    int fi_thread_start(fi_thread **out, void (*fn)(void *) noexcept nogil, void *arg)
    int fi_thread_join(fi_thread *thread)
    int fi_thread_join_until(fi_thread *thread, int64_t deadline_ns)
    void fi_thread_detach(fi_thread *thread)
    int fi_thread_done(const fi_thread *thread)
    int64_t fi_thread_live_count()
