/*
 * Batch assembly: gather rows by index, collate per-example arrays (fastiter/kernels.h).
 * Both are pure copies; the pool splits large batches by rows.
 */
#include "fastiter.h"
#include "checked.h"
#include "cpu.h"
#include "gather_rows.h"
#include "index_check.h"
#include "pool.h"

#include <stdint.h>
#include <string.h>

typedef struct gather_job {
    const unsigned char *src;
    int64_t stride;
    size_t row_bytes;
    const int64_t *indices;
    unsigned char *out;
    int inline_rows; /* rows copied by gather_rows_avx2 instead of memcpy */
} gather_job;

/* Rows of 32 bytes up to this size are copied with inline AVX2 moves where the CPU has
 * them, larger ones (and every row without AVX2) by libc's memcpy: at 2 KiB and 8 KiB
 * rows the two took the same time (C bench, 512 KiB gathers, 1 and 2 threads). */
#define GATHER_INLINE_MAX 1024

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define FI_GATHER_AVX2 1
/* Rows of 32 B to GATHER_INLINE_MAX: the first 32 bytes, then whole 32-byte vectors
 * from the first 32-byte boundary of the output row (aligned stores; the loads stay
 * unaligned), four at a time, then the last 32 bytes, overlapping what was copied.
 * For such rows libc's memcpy costs a call and a size dispatch per row.  Measured
 * (C bench, 1024 rows of 512 B from a 512 MB source, arrays 16 bytes past a cache line
 * as numpy's are, best of 15 rounds): 1 thread 17.2-17.5 us with memcpy, 15.5-15.7
 * with unaligned vector stores, 15.1-15.4 with these; 2 threads 7.20 / 6.96 / 6.58. */
__attribute__((target("avx2"))) static void gather_rows_avx2(const gather_job *j, int64_t begin,
                                                              int64_t end)
{
    const size_t rb = j->row_bytes;
    unsigned char *d = j->out + (size_t)begin * rb;
    for (int64_t k = begin; k < end; k++, d += rb) {
        const unsigned char *s = j->src + (size_t)(j->indices[k] * j->stride);
        size_t o = (32 - ((uintptr_t)d & 31)) & 31;
        if (o)
            _mm256_storeu_si256((__m256i *)(void *)d,
                                _mm256_loadu_si256((const __m256i *)(const void *)s));
        for (; o + 128 <= rb; o += 128) {
            __m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)(s + o));
            __m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(s + o + 32));
            __m256i v2 = _mm256_loadu_si256((const __m256i *)(const void *)(s + o + 64));
            __m256i v3 = _mm256_loadu_si256((const __m256i *)(const void *)(s + o + 96));
            _mm256_store_si256((__m256i *)(void *)(d + o), v0);
            _mm256_store_si256((__m256i *)(void *)(d + o + 32), v1);
            _mm256_store_si256((__m256i *)(void *)(d + o + 64), v2);
            _mm256_store_si256((__m256i *)(void *)(d + o + 96), v3);
        }
        for (; o + 32 <= rb; o += 32)
            _mm256_store_si256((__m256i *)(void *)(d + o),
                               _mm256_loadu_si256((const __m256i *)(const void *)(s + o)));
        if (o < rb)
            _mm256_storeu_si256((__m256i *)(void *)(d + rb - 32),
                                _mm256_loadu_si256((const __m256i *)(const void *)(s + rb - 32)));
    }
}
#endif

int fi_gather_inline_rows(size_t row_bytes)
{
#if defined(FI_GATHER_AVX2)
    return row_bytes >= 32 && row_bytes <= GATHER_INLINE_MAX && fi_cpu_simd_level() >= 1;
#else
    (void)row_bytes;
    return 0;
#endif
}

static void gather_range(void *ctx, int64_t begin, int64_t end)
{
    const gather_job *j = ctx;
#if defined(FI_GATHER_AVX2)
    if (j->inline_rows) {
        gather_rows_avx2(j, begin, end);
        return;
    }
#endif
    const size_t rb = j->row_bytes;
    unsigned char *dst = j->out + (size_t)begin * rb;
    for (int64_t k = begin; k < end; k++, dst += rb)
        memcpy(dst, j->src + (size_t)(j->indices[k] * j->stride), rb);
}

/* About 64 KiB of output per chunk (at least one row). */
static int64_t rows_per_chunk(size_t row_bytes)
{
    int64_t c = row_bytes ? (int64_t)(65536 / row_bytes) : 1;
    return c > 0 ? c : 1;
}

/* Up to this many output bytes a gather runs on the calling thread.  Measured on 2
 * threads, 512-byte rows (C bench, best of 400, shared machine): with the worker
 * already polling, 256 and 512 rows ran at 0.96-0.99x the 1-thread time and 1024 rows
 * at 1.42x; with the worker asleep (1 ms between calls) waking it cost more than it
 * gave up to 2048 rows (0.59x at 256 rows, 0.72x at 512, 0.88x at 1024).  So the
 * pool is never asked below 256 KiB; above it a polling worker is worth having. */
#define GATHER_SERIAL_BYTES ((size_t)256 << 10)
/* Up to this many output bytes a gather takes the pool only when a worker is already
 * awake (fi_parallel_for_awake): a sleeping worker would wake after the copy is done. */
#define GATHER_AWAKE_BYTES ((size_t)1 << 20)

int fi_gather(const void *src, int64_t src_rows, int64_t src_stride, size_t row_bytes,
              const int64_t *indices, int64_t n, void *out, int64_t *bad_index)
{
    size_t out_bytes;
    if (n < 0 || src_rows < 0 || src_stride < 0 ||
        (row_bytes > 0 && src_stride < (int64_t)row_bytes) ||
        fi_rows_overflow(src_rows, src_stride, row_bytes) || fi_mul_size(n, row_bytes, &out_bytes))
        return FI_EINVAL;
    /* src_rows >= 0 was checked: one unsigned compare refuses negatives as well.  The
     * vector check (one-hot's) took 0.16-0.18 us for 1024 indices, the scalar loop
     * 0.51-0.53 us, of a 2-thread 512 KiB gather's 7-9 us. */
    int64_t bad = fi_first_out_of_range_i64(indices, 0, n, (uint64_t)src_rows);
    if (bad >= 0) {
        if (bad_index) *bad_index = bad;
        return FI_ERANGE;
    }
    if (n == 0 || row_bytes == 0) return FI_OK;
    gather_job j = {src, src_stride, row_bytes, indices, out, fi_gather_inline_rows(row_bytes)};
    if (out_bytes <= GATHER_SERIAL_BYTES)
        gather_range(&j, 0, n);
    else if (out_bytes <= GATHER_AWAKE_BYTES)
        fi_parallel_for_awake(n, rows_per_chunk(row_bytes), gather_range, &j);
    else
        fi_parallel_for(n, rows_per_chunk(row_bytes), gather_range, &j);
    return FI_OK;
}

typedef struct collate_job {
    const void *const *srcs;
    size_t item_bytes;
    unsigned char *out;
} collate_job;

static void collate_range(void *ctx, int64_t begin, int64_t end)
{
    const collate_job *j = ctx;
    for (int64_t k = begin; k < end; k++)
        memcpy(j->out + (size_t)k * j->item_bytes, j->srcs[k], j->item_bytes);
}

int fi_collate(const void *const *srcs, int64_t n, size_t item_bytes, void *out)
{
    size_t out_bytes;
    if (n < 0 || fi_mul_size(n, item_bytes, &out_bytes)) return FI_EINVAL;
    if (n == 0 || item_bytes == 0) return FI_OK;
    for (int64_t k = 0; k < n; k++)
        if (!srcs[k]) return FI_EINVAL;
    collate_job j = {srcs, item_bytes, out};
    fi_parallel_for(n, rows_per_chunk(item_bytes), collate_range, &j);
    return FI_OK;
}

/* Windows of consecutive rows of one block (fi_gather_windows). */
typedef struct windows_job {
    const unsigned char *src;
    int64_t features, window;
    size_t es;
    const int64_t *starts;
    int layout;
    unsigned char *out;
} windows_job;

/* Features per tile of the transpose: a tile's output (64 x T elements) stays in L1
 * while the T source rows are read forward, so reads are sequential and the strided
 * stores hit cache.  A per-feature column copy (fi_pad_sequences' NFT path) re-reads
 * T rows for every feature and measured 3x slower on [8, 31357, 6] float32 batches. */
#define FI_WINDOW_TILE 64

#define FI_WIN_CASE(T_, ES)                                                          \
    case ES: {                                                                       \
        const T_ *s = (const T_ *)(const void *)src;                                 \
        T_ *d = (T_ *)(void *)dst;                                                   \
        for (int64_t f0 = 0; f0 < F; f0 += FI_WINDOW_TILE) {                         \
            const int64_t f1 = f0 + FI_WINDOW_TILE < F ? f0 + FI_WINDOW_TILE : F;    \
            for (int64_t t = 0; t < T; t++) {                                        \
                const T_ *row = s + t * F;                                           \
                for (int64_t f = f0; f < f1; f++) d[f * T + t] = row[f];             \
            }                                                                        \
        }                                                                            \
        return;                                                                      \
    }

/* One window [T, F] (rows of F elements) to [F, T]; elements copied as bits. */
static void transpose_window(const unsigned char *src, unsigned char *dst, int64_t T,
                             int64_t F, size_t es)
{
    switch (es) {
    FI_WIN_CASE(uint8_t, 1)
    FI_WIN_CASE(uint16_t, 2)
    FI_WIN_CASE(uint32_t, 4)
    FI_WIN_CASE(uint64_t, 8)
    default:
        for (int64_t f = 0; f < F; f++)
            for (int64_t t = 0; t < T; t++)
                memcpy(dst + (size_t)(f * T + t) * es, src + (size_t)(t * F + f) * es, es);
    }
}
#undef FI_WIN_CASE

static void windows_range(void *ctx, int64_t begin, int64_t end)
{
    const windows_job *j = ctx;
    const size_t wbytes = (size_t)(j->window * j->features) * j->es;
    for (int64_t k = begin; k < end; k++) {
        const unsigned char *s = j->src + (size_t)(j->starts[k] * j->features) * j->es;
        unsigned char *d = j->out + (size_t)k * wbytes;
        if (j->layout == FI_LAYOUT_NTF)
            memcpy(d, s, wbytes);
        else
            transpose_window(s, d, j->window, j->features, j->es);
    }
}

int fi_gather_windows(const void *src, int64_t src_rows, int64_t features, size_t elem_size,
                      const int64_t *starts, int64_t n, int64_t window, int layout,
                      void *out, int64_t *bad_index)
{
    size_t row_bytes, window_bytes, out_bytes, src_bytes;
    if (n < 0 || src_rows < 0 || features < 0 || window < 1 ||
        (layout != FI_LAYOUT_NTF && layout != FI_LAYOUT_NFT) ||
        fi_mul_size(features, elem_size, &row_bytes) ||
        fi_mul_size(window, row_bytes, &window_bytes) ||
        fi_mul_size(n, window_bytes, &out_bytes) ||
        fi_mul_size(src_rows, row_bytes, &src_bytes))
        return FI_EINVAL;
    for (int64_t k = 0; k < n; k++) {
        if (starts[k] < 0 || starts[k] > src_rows - window) {
            if (bad_index) *bad_index = k;
            return FI_ERANGE;
        }
    }
    if (n == 0 || features == 0 || elem_size == 0) return FI_OK;
    windows_job j = {src, features, window, elem_size, starts, layout, out};
    fi_parallel_for(n, rows_per_chunk(window_bytes), windows_range, &j);
    return FI_OK;
}
