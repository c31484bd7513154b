/*
 * Fused gather + uint8 -> float conversion (fastiter/convert.h).
 *
 * The row loops are written so that gcc -O3 vectorises them (widen bytes to int32,
 * convert, multiply or compare-and-select).  On x86-64 the same loops are also
 * compiled for AVX2 and picked at run time, so one build serves every machine; both
 * paths do one IEEE multiply per element (-ffp-contract=off), so their bits agree.
 */
#include "fastiter.h"
#include "checked.h"

#include <stdbool.h>
#include <string.h>

typedef struct convert_job {
    const uint8_t *src;
    int64_t stride;
    int64_t row_len;
    const int64_t *indices; /* NULL: identity */
    float scale_f;
    double scale_d;
    int threshold;
    bool f64;
    void *out;
} convert_job;

/* Random rows of a large source miss the caches.  The conversion loop consumes a row
 * slowly enough that the hardware prefetcher never gets ahead of it, so every line of
 * the row a few rows ahead is requested explicitly (up to FI_CONVERT_PREFETCH_BYTES;
 * beyond that the hardware streamer follows): measured 3x faster on a shuffled MNIST
 * epoch than prefetching only each row's first line. */
#define FI_CONVERT_PREFETCH_AHEAD 4
#define FI_CONVERT_PREFETCH_BYTES 1024

static inline void prefetch_row(const uint8_t *row, int64_t len)
{
#if defined(__GNUC__)
    const int64_t n = len < FI_CONVERT_PREFETCH_BYTES ? len : FI_CONVERT_PREFETCH_BYTES;
    for (int64_t off = 0; off < n; off += 64) __builtin_prefetch(row + off, 0, 0);
#else
    (void)row;
    (void)len;
#endif
}

#define FI_ROW_LOOPS(SUFFIX, ATTR)                                                       \
    ATTR static void row_f32_##SUFFIX(const uint8_t *restrict s, float *restrict d,      \
                                      int64_t len, float scale)                          \
    {                                                                                    \
        int64_t j = scale_head_##SUFFIX(s, d, len, scale);                               \
        for (; j < len; j++) d[j] = (float)s[j] * scale;                                 \
    }                                                                                    \
    ATTR static void row_f64_##SUFFIX(const uint8_t *restrict s, double *restrict d,     \
                                      int64_t len, double scale)                         \
    {                                                                                    \
        for (int64_t j = 0; j < len; j++) d[j] = (double)s[j] * scale;                   \
    }                                                                                    \
    ATTR static void thr_f32_##SUFFIX(const uint8_t *restrict s, float *restrict d,      \
                                      int64_t len, uint8_t t, float one)                 \
    {                                                                                    \
        int64_t j = thr_head_##SUFFIX(s, d, len, t, one);                                \
        for (; j < len; j++) d[j] = s[j] > t ? one : 0.0f;                               \
    }                                                                                    \
    ATTR static void thr_f64_##SUFFIX(const uint8_t *restrict s, double *restrict d,     \
                                      int64_t len, uint8_t t, double one)                \
    {                                                                                    \
        for (int64_t j = 0; j < len; j++) d[j] = s[j] > t ? one : 0.0;                   \
    }                                                                                    \
    ATTR static void range_##SUFFIX(void *ctx, int64_t begin, int64_t end)               \
    {                                                                                    \
        const convert_job *jb = ctx;                                                     \
        const int64_t len = jb->row_len;                                                 \
        const uint8_t t = (uint8_t)(jb->threshold < 0 ? 0 : jb->threshold);              \
        for (int64_t k = begin; k < end; k++) {                                          \
            const int64_t r = jb->indices ? jb->indices[k] : k;                          \
            if (jb->indices && k + FI_CONVERT_PREFETCH_AHEAD < end)                      \
                prefetch_row(jb->src + jb->indices[k + FI_CONVERT_PREFETCH_AHEAD] *      \
                             jb->stride, len);                                           \
            const uint8_t *s = jb->src + r * jb->stride;                                 \
            if (jb->f64) {                                                               \
                double *d = (double *)jb->out + k * len;                                 \
                if (jb->threshold < 0) row_f64_##SUFFIX(s, d, len, jb->scale_d);         \
                else thr_f64_##SUFFIX(s, d, len, t, jb->scale_d);                        \
            } else {                                                                     \
                float *d = (float *)jb->out + k * len;                                   \
                if (jb->threshold < 0) row_f32_##SUFFIX(s, d, len, jb->scale_f);         \
                else thr_f32_##SUFFIX(s, d, len, t, jb->scale_f);                        \
            }                                                                            \
        }                                                                                \
    }

/* The float32 loops may start with a hand-written SIMD head (returning how many
 * elements it did); the plain loop finishes the row. */
static inline int64_t scale_head_generic(const uint8_t *s, float *d, int64_t len, float c)
{
    (void)s, (void)d, (void)len, (void)c;
    return 0;
}
static inline int64_t thr_head_generic(const uint8_t *s, float *d, int64_t len, uint8_t t,
                                       float one)
{
    (void)s, (void)d, (void)len, (void)t, (void)one;
    return 0;
}

FI_ROW_LOOPS(generic, )

#if defined(__GNUC__) && !defined(__clang__) && (defined(__x86_64__) || defined(__i386__))
#define FI_CONVERT_AVX2
#include <immintrin.h>

/* gcc widens the bytes through 16-bit lanes (ten shuffles per 32 pixels); vpmovzxbd
 * straight from memory takes one per 8 pixels, which the float32 paths are bound by. */
__attribute__((target("avx2"))) static inline __m256i load8_u32(const uint8_t *p)
{
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)p));
}

__attribute__((target("avx2"))) static inline int64_t
scale_head_avx2(const uint8_t *s, float *d, int64_t len, float c)
{
    const __m256 vc = _mm256_set1_ps(c);
    int64_t j = 0;
    for (; j + 32 <= len; j += 32)
        for (int q = 0; q < 32; q += 8)
            _mm256_storeu_ps(d + j + q,
                             _mm256_mul_ps(_mm256_cvtepi32_ps(load8_u32(s + j + q)), vc));
    return j;
}

__attribute__((target("avx2"))) static inline int64_t
thr_head_avx2(const uint8_t *s, float *d, int64_t len, uint8_t t, float one)
{
    const __m256 vone = _mm256_set1_ps(one);
    const __m256i vt = _mm256_set1_epi32(t);
    int64_t j = 0;
    for (; j + 32 <= len; j += 32)
        for (int q = 0; q < 32; q += 8) {
            __m256i gt = _mm256_cmpgt_epi32(load8_u32(s + j + q), vt);
            _mm256_storeu_ps(d + j + q, _mm256_and_ps(_mm256_castsi256_ps(gt), vone));
        }
    return j;
}

FI_ROW_LOOPS(avx2, __attribute__((target("avx2"))))
#endif

static fi_range_fn pick_range(void)
{
#ifdef FI_CONVERT_AVX2
    if (__builtin_cpu_supports("avx2")) return range_avx2;
#endif
    return range_generic;
}

/* About 64 KiB of output per chunk (at least one row), as the gather kernel. */
static int64_t convert_rows_per_chunk(int64_t out_row_bytes)
{
    int64_t c = out_row_bytes > 0 ? 65536 / out_row_bytes : 1;
    return c > 0 ? c : 1;
}

int fi_gather_scaled_u8(const uint8_t *src, int64_t src_rows, int64_t src_stride,
                        int64_t row_len, const int64_t *indices, int64_t n, double scale,
                        int threshold, void *out, int out_dtype, int64_t *bad_index)
{
    int64_t cells;
    size_t out_bytes;
    if (n < 0 || src_rows < 0 || row_len < 0 || (row_len > 0 && src_stride < row_len) ||
        fi_rows_overflow(src_rows, src_stride, (size_t)row_len) ||
        fi_mul_i64(n, row_len, &cells) ||
        fi_mul_size(cells, out_dtype == FI_FLOAT64 ? 8 : 4, &out_bytes))
        return FI_EINVAL;
    if (out_dtype != FI_FLOAT32 && out_dtype != FI_FLOAT64) return FI_EINVAL;
    if (threshold != FI_NO_THRESHOLD && (threshold < 0 || threshold > 255)) return FI_EINVAL;
    if (indices) {
        for (int64_t k = 0; k < n; k++) {
            if (indices[k] < 0 || indices[k] >= src_rows) {
                if (bad_index) *bad_index = k;
                return FI_ERANGE;
            }
        }
    } else if (n > src_rows) {
        if (bad_index) *bad_index = src_rows;
        return FI_ERANGE;
    }
    if (n == 0 || row_len == 0) return FI_OK;
    if (!src || !out) return FI_EINVAL;
    const bool f64 = out_dtype == FI_FLOAT64;
    convert_job jb = {src, src_stride, row_len, indices, (float)scale, scale, threshold,
                      f64, out};
    const int64_t out_row_bytes = row_len * (f64 ? 8 : 4);
    fi_parallel_for(n, convert_rows_per_chunk(out_row_bytes), pick_range(), &jb);
    return FI_OK;
}

int fi_gather_scaled_labeled_u8(const uint8_t *src, int64_t src_rows, int64_t src_stride,
                                int64_t row_len, const int64_t *indices, int64_t n,
                                double scale, int threshold, void *out, int out_dtype,
                                const void *label_rows, size_t label_row_bytes,
                                void *labels_out, int64_t *bad_index)
{
    size_t label_bytes;
    if (label_row_bytes > 0 && n > 0 && (!label_rows || !labels_out)) return FI_EINVAL;
    if (n >= 0 && (fi_mul_size(n, label_row_bytes, &label_bytes) ||
                   fi_rows_overflow(src_rows, (int64_t)label_row_bytes, label_row_bytes)))
        return FI_EINVAL;
    /* validates everything (indices included) before writing anything */
    const int status = fi_gather_scaled_u8(src, src_rows, src_stride, row_len, indices, n,
                                           scale, threshold, out, out_dtype, bad_index);
    if (status != FI_OK || n == 0 || label_row_bytes == 0) return status;
    if (!indices) { /* the identity: the first n label rows, already checked n <= rows */
        memcpy(labels_out, label_rows, (size_t)n * label_row_bytes);
        return FI_OK;
    }
    return fi_gather(label_rows, src_rows, (int64_t)label_row_bytes, label_row_bytes,
                     indices, n, labels_out, bad_index);
}
