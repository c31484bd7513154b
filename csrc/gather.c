/*
 * Batch assembly: gather rows by index, collate per-example arrays (fastiter/kernels.h).
 * Both are pure copies; the pool splits large batches by rows.
 */
#include "fastiter.h"
#include "checked.h"
#include "pool.h"

#include <string.h>

typedef struct gather_job {
    const unsigned char *src;
    int64_t stride;
    size_t row_bytes;
    const int64_t *indices;
    unsigned char *out;
} gather_job;

/* One libc memcpy per row: it picks the widest vector moves this CPU has at run time.
 * Measured here and rejected: software prefetch of rows ahead (prefetchnta made cached
 * rows miss; prefetcht0 was no faster) and an inline 32-byte copy loop (baseline
 * SSE2 moves, slower than libc's AVX copy). */
static void gather_range(void *ctx, int64_t begin, int64_t end)
{
    const gather_job *j = ctx;
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
    /* src_rows >= 0 was checked: one unsigned compare refuses negatives as well */
    for (int64_t k = 0; k < n; k++) {
        if ((uint64_t)indices[k] >= (uint64_t)src_rows) {
            if (bad_index) *bad_index = k;
            return FI_ERANGE;
        }
    }
    if (n == 0 || row_bytes == 0) return FI_OK;
    gather_job j = {src, src_stride, row_bytes, indices, out};
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
