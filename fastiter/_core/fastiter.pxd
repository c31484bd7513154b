# Declarations of the public C API (csrc/include/fastiter.h) for Cython code.
# Other Cython extensions can `cimport fastiter._core.fastiter` and build against
# fastiter.get_include().
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t

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
    int fi_one_hot_zeroed(const void *labels, int label_dtype, int64_t outer, int64_t inner,
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
    int fi_ring_wait_items(fi_ring *ring, size_t want, int64_t linger_ns,
                           int64_t deadline_ns)
    int fi_ring_wait_room(fi_ring *ring, size_t want, int64_t linger_ns,
                          int64_t deadline_ns)
    void fi_ring_close(fi_ring *ring)
    int fi_ring_is_closed(const fi_ring *ring)

    int fi_thread_start(fi_thread **out, void (*fn)(void *) noexcept nogil, void *arg)
    int fi_thread_join(fi_thread *thread)
    int fi_thread_join_until(fi_thread *thread, int64_t deadline_ns)
    void fi_thread_detach(fi_thread *thread)
    int fi_thread_done(const fi_thread *thread)
    int64_t fi_thread_live_count()
    ctypedef enum fi_layout:
        FI_LAYOUT_NTF
        FI_LAYOUT_NFT

    int fi_pad_sequences(const void *const *seqs, const int64_t *src_begin,
                         const int64_t *count, const int64_t *start, int64_t n,
                         int64_t features, int64_t steps, size_t elem_size, int layout,
                         const void *pad_value, void *out, void *mask, size_t mask_elem_size,
                         const void *mask_one, int64_t *bad_index)
    int fi_gather(const void *src, int64_t src_rows, int64_t src_stride, size_t row_bytes,
                  const int64_t *indices, int64_t n, void *out, int64_t *bad_index)
    int fi_gather_windows(const void *src, int64_t src_rows, int64_t features,
                          size_t elem_size, const int64_t *starts, int64_t n, int64_t window,
                          int layout, void *out, int64_t *bad_index)
    int fi_collate(const void *const *srcs, int64_t n, size_t item_bytes, void *out)

    # random.h
    void fi_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
    int fi_random_bits(uint64_t seed, uint64_t stream, int64_t first, int64_t n, uint32_t *out)
    int fi_random_uniform(uint64_t seed, uint64_t stream, int64_t first, int64_t n,
                          void *out, int dtype)
    int fi_random_normal(uint64_t seed, uint64_t stream, int64_t first, int64_t n,
                         void *out, int dtype)
    int fi_random_integers(uint64_t seed, uint64_t stream, int64_t first, int64_t n,
                           int64_t low, uint64_t range, void *out, int dtype)
    int fi_random_binary(uint64_t seed, uint64_t stream, int64_t first, int64_t n,
                         double p, void *out, int dtype)
    int fi_random_one_hot(uint64_t seed, uint64_t stream, int64_t first, int64_t n,
                          int64_t num_classes, void *out, int dtype)
    int fi_random_simd_level()
    int fi_random_set_simd_level(int level)

    # threads.h
    ctypedef void (*fi_range_fn)(void *ctx, int64_t begin, int64_t end) noexcept nogil
    void fi_parallel_for(int64_t n, int64_t chunk, fi_range_fn fn, void *ctx)
    int fi_set_num_threads(int n)
    int fi_get_num_threads()
    int fi_pool_live_threads()
    void fi_pool_shutdown()
    int fi_thread_serial(int on)
    unsigned long long fi_pool_jobs()

cdef extern from "fastiter/csv.h" nogil:
    ctypedef struct fi_csv_error:
        int64_t line
        int64_t column
        int64_t offset
        int64_t length
        int kind

    ctypedef struct fi_csv_dialect:
        char delim
        char quote
        int64_t label_column
        const char *const *labels
        const size_t *label_len
        int64_t nlabels

    int FI_CSV_ENUMBER
    int FI_CSV_EFIELDS
    int FI_CSV_EQUOTE
    int FI_CSV_ELONG
    int FI_CSV_ELABEL
    int FI_CSV_MAX_FIELD

    int fi_csv_parse(const char *buf, size_t len, const fi_csv_dialect *d, int64_t ncols,
                     int is_last, double *out, int64_t *row_line, int64_t max_rows,
                     int64_t *nrows, size_t *consumed, int64_t *nlines, fi_csv_error *err)
    int fi_csv_count_fields(const char *buf, size_t len, const fi_csv_dialect *d,
                            int is_last, int64_t *ncols, int64_t *line, fi_csv_error *err)

cdef extern from "fastiter/convert.h" nogil:
    int FI_NO_THRESHOLD
    int fi_gather_scaled_u8(const uint8_t *src, int64_t src_rows, int64_t src_stride,
                            int64_t row_len, const int64_t *indices, int64_t n, double scale,
                            int threshold, void *out, int out_dtype, int64_t *bad_index)
    int fi_gather_scaled_labeled_u8(const uint8_t *src, int64_t src_rows,
                                    int64_t src_stride, int64_t row_len,
                                    const int64_t *indices, int64_t n, double scale,
                                    int threshold, void *out, int out_dtype,
                                    const void *label_rows, size_t label_row_bytes,
                                    void *labels_out, int64_t *bad_index)

cdef extern from "fastiter/blockcache.h" nogil:
    ctypedef struct fi_blockcache:
        pass
    ctypedef struct fi_blockcache_stats:
        uint64_t hits
        uint64_t misses
        size_t cached_blocks
        size_t cached_bytes
    size_t FI_BLOCKCACHE_MAX_BLOCKS
    int fi_blockcache_create(size_t min_bytes, size_t max_blocks, size_t max_bytes,
                             fi_blockcache **out)
    void *fi_blockcache_alloc(fi_blockcache *c, size_t n)
    void *fi_blockcache_calloc(fi_blockcache *c, size_t nelem, size_t elsize)
    void *fi_blockcache_realloc(fi_blockcache *c, void *p, size_t n)
    void fi_blockcache_free(fi_blockcache *c, void *p)
    void *fi_blockcache_take(fi_blockcache *c, size_t n)
    void fi_blockcache_set_limits(fi_blockcache *c, size_t max_blocks, size_t max_bytes)
    void fi_blockcache_get_stats(fi_blockcache *c, fi_blockcache_stats *out)
    void fi_blockcache_destroy(fi_blockcache *c)
