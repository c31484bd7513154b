/*
 * Sequence padding with masks (see fi_pad_sequences in fastiter/kernels.h).
 *
 * Traffic is the floor: each input byte is read once and each output byte written
 * once.  An example's block of up to PAD_STAGE_BYTES is built in an L1 buffer and
 * streamed out (no read for ownership); inside that buffer a zero pad is written over
 * the whole block first and the data over it.  The [N, F, T] layout transposes each
 * example (pad_transpose.h, SIMD tiles).  Element sizes 1, 2, 4 and 8 get typed loops;
 * others go byte-wise.
 *
 * Measured on this machine's Zen 5 (10k sequences of 1-200 steps, F = 8, f32, [N, F, T]
 * with a f32 mask, 72 MB out; C microbench, one thread, best of 15, loaded): 4.4-4.6 ms
 * with a scalar strided loop per feature, 2.2-2.6 ms with the AVX2 tiles, about the
 * time to copy the data and fill the pads and the mask once (fastiter bench's ceiling).
 */
#include "fastiter.h"
#include "checked.h"
#include "pad_transpose.h"
#include "stream_store.h"

#include <string.h>

typedef struct pad_job {
    const void *const *seqs;
    const int64_t *src_begin, *count, *start;
    int64_t features, steps;
    size_t es, mes;
    int layout, pad_is_zero;
    const unsigned char *pad;
    unsigned char *out, *mask;
    const unsigned char *mask_one;
} pad_job;

/* Fill n elements of size es at dst with the pattern val. */
static void fill_pattern(unsigned char *dst, int64_t n, size_t es, const unsigned char *val,
                         int is_zero)
{
    if (n <= 0) return;
    if (is_zero) {
        memset(dst, 0, (size_t)n * es);
        return;
    }
    switch (es) {
#define FI_FILL_CASE(T, SZ)                                         \
    case SZ: {                                                      \
        T v;                                                        \
        memcpy(&v, val, SZ);                                        \
        T *d = (T *)(void *)dst;                                    \
        for (int64_t k = 0; k < n; k++) d[k] = v;                   \
        return;                                                     \
    }
    FI_FILL_CASE(uint8_t, 1)
    FI_FILL_CASE(uint16_t, 2)
    FI_FILL_CASE(uint32_t, 4)
    FI_FILL_CASE(uint64_t, 8)
#undef FI_FILL_CASE
    default:
        for (int64_t k = 0; k < n; k++) memcpy(dst + (size_t)k * es, val, es);
    }
}

/* An example's output up to this size is built in an L1 buffer and streamed out. */
#define PAD_STAGE_BYTES 16384
_Static_assert(PAD_STAGE_BYTES % 64 == 0, "the staging buffer is whole cache lines");

static void pad_one(const pad_job *j, int64_t i)
{
    const int64_t F = j->features, T = j->steps, st = j->start[i], c = j->count[i];
    const size_t es = j->es, block = (size_t)(T * F) * es;
    _Alignas(64) unsigned char buf[PAD_STAGE_BYTES];
    unsigned char *dst = j->out + (size_t)(i * T * F) * es;
    const int staged = block <= PAD_STAGE_BYTES;
    unsigned char *o = staged ? buf : dst;
    const int has = c > 0 && F > 0; /* seqs[i] may be NULL otherwise */
    const unsigned char *src = has ? (const unsigned char *)j->seqs[i] +
                                         (size_t)(j->src_begin[i] * F) * es
                                   : NULL;
    if (j->layout == FI_LAYOUT_NTF) {
        fill_pattern(o, st * F, es, j->pad, j->pad_is_zero);
        if (has) memcpy(o + (size_t)(st * F) * es, src, (size_t)(c * F) * es);
        fill_pattern(o + (size_t)((st + c) * F) * es, (T - st - c) * F, es, j->pad,
                     j->pad_is_zero);
    } else if (F == 1) {
        fill_pattern(o, st, es, j->pad, j->pad_is_zero);
        if (has) memcpy(o + (size_t)st * es, src, (size_t)c * es);
        fill_pattern(o + (size_t)(st + c) * es, T - st - c, es, j->pad, j->pad_is_zero);
    } else {
        if (staged && j->pad_is_zero) {
            /* one pass of vector stores over the L1 buffer, the data then written over
             * it: cheaper than 2F short fills around it */
            store_zero(o, block);
        } else {
            for (int64_t f = 0; f < F; f++) {
                unsigned char *row = o + (size_t)(f * T) * es;
                fill_pattern(row, st, es, j->pad, j->pad_is_zero);
                fill_pattern(row + (size_t)(st + c) * es, T - st - c, es, j->pad,
                             j->pad_is_zero);
            }
        }
        if (has) pad_transpose(o + (size_t)st * es, T, src, c, F, es);
    }
    if (staged) stream_copy(dst, buf, block);
}

/* Example i's mask row (steps elements of mes bytes) at m. */
static void mask_one(const pad_job *j, int64_t i, unsigned char *m)
{
    const int64_t T = j->steps, st = j->start[i], c = j->count[i];
    store_zero(m, (size_t)st * j->mes);
    fill_pattern(m + (size_t)st * j->mes, c, j->mes, j->mask_one, 0);
    store_zero(m + (size_t)(st + c) * j->mes, (size_t)(T - st - c) * j->mes);
}

/* The mask is written in place with ordinary stores.  Staging it in L1 and streaming it
 * like the blocks was slower here (10k sequences of 1-200 steps, F = 8, one thread, C
 * microbench best of 25, six rounds, caches hot or evicted between calls): 2.1-3.1 ms
 * in place, 2.6-3.7 ms streamed 4 KiB at a time, 2.7-3.9 ms streamed in whole cache
 * lines only (the bytes of a line left over waiting for the next rows). */
static void pad_range(void *ctx, int64_t begin, int64_t end)
{
    const pad_job *j = (const pad_job *)ctx;
    for (int64_t i = begin; i < end; i++) {
        pad_one(j, i);
        if (j->mask) mask_one(j, i, j->mask + (size_t)(i * j->steps) * j->mes);
    }
    stream_fence();
}

static int all_zero(const unsigned char *p, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (p[k]) return 0;
    return 1;
}

int fi_pad_sequences(const void *const *seqs, const int64_t *src_begin,
                     const int64_t *count, const int64_t *start, int64_t n,
                     int64_t features, int64_t steps, size_t elem_size, int layout,
                     const void *pad_value, void *out, void *mask, size_t mask_elem_size,
                     const void *mask_one, int64_t *bad_index)
{
    if (n < 0 || features < 0 || steps < 0 || elem_size == 0 || !pad_value ||
        (layout != FI_LAYOUT_NTF && layout != FI_LAYOUT_NFT) ||
        (mask && (mask_elem_size == 0 || !mask_one)))
        return FI_EINVAL;
    /* out holds n * steps * features elements and mask n * steps: every offset the
     * kernel forms is below these, so checking them once covers the loops. */
    int64_t cells, mask_cells, src_end;
    size_t bytes;
    if (fi_mul3_i64(n, steps, features, &cells) || fi_mul_size(cells, elem_size, &bytes) ||
        fi_mul_i64(n, steps, &mask_cells) ||
        (mask && fi_mul_size(mask_cells, mask_elem_size, &bytes)))
        return FI_EINVAL;
    for (int64_t i = 0; i < n; i++) {
        if (src_begin[i] < 0 || count[i] < 0 || start[i] < 0 || start[i] > steps ||
            count[i] > steps - start[i] || (count[i] > 0 && features > 0 && !seqs[i]) ||
            fi_add_i64(src_begin[i], count[i], &src_end) ||
            fi_mul_i64(src_end, features, &src_end) ||
            fi_mul_size(src_end, elem_size, &bytes)) {
            if (bad_index) *bad_index = i;
            return FI_EINVAL;
        }
    }
    if (n == 0 || (features == 0 && !mask)) return FI_OK;
    pad_job j = {seqs, src_begin, count, start, features, steps, elem_size,
                 mask_elem_size, layout, all_zero(pad_value, elem_size), pad_value, out,
                 mask, mask_one};
    /* About 64 KiB of output per chunk: large enough to amortise the cursor, small
     * enough that a descheduled thread holds back little. */
    /* per-example bytes fit: out and mask sizes were checked above */
    int64_t per_example;
    if (fi_add_i64(steps * features * (int64_t)elem_size,
                   mask ? steps * (int64_t)mask_elem_size : 0, &per_example))
        per_example = INT64_MAX;
    int64_t chunk = per_example > 0 ? 65536 / per_example : n;
    fi_parallel_for(n, chunk > 0 ? chunk : 1, pad_range, &j);
    return FI_OK;
}
