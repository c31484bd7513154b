/*
 * Internal to the C core: the transpose at the heart of padding into [N, F, T]
 * (csrc/pad.c).  One example's c steps of F features, stored [c, F], become F rows of
 * c steps, row f starting `stride` elements after row f - 1:
 *
 *     dst[f * stride + t] = src[t * F + f]      for f < F, t < c
 *
 * The scalar loop reads one element per feature per step with a stride of F; perf put
 * 53% of the pad benchmark (10k sequences, F = 8, f32) in it.  The SIMD paths move
 * square tiles instead: 8 steps x 8 features of 4-byte elements, 4 x 4 of 8-byte
 * ones, 8 x 8 of 2- and 1-byte ones: load the tile's step rows, transpose it in registers and
 * store its feature rows.  Tiles that would run past F or c are moved back so that
 * they end at the edge (their overlap is written twice with the same bytes); when F
 * or c is smaller than a tile, 4- and 8-byte elements use masked loads for the
 * missing features, and the rest falls back to the scalar loop.  Every path writes
 * exactly the bytes the scalar one writes (tests: csrc/tests/test_pad_transpose.c).
 *
 * The element bytes are only moved (shuffles, loads, stores), never computed on, so
 * NaN payloads and signalling NaNs pass unchanged through the float shuffles.
 */
#ifndef FASTITER_PAD_TRANSPOSE_H_
#define FASTITER_PAD_TRANSPOSE_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cpu.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define FI_PAD_TRANSPOSE_SIMD 1
#endif

/* The scalar loop: features [f0, f1), steps [t0, t1). */
static inline void pad_transpose_part(unsigned char *dst, int64_t stride,
                                      const unsigned char *src, int64_t F, size_t es,
                                      int64_t f0, int64_t f1, int64_t t0, int64_t t1)
{
    switch (es) {
#define FI_TR_CASE(T, SZ)                                                     \
    case SZ: {                                                                \
        T *d = (T *)(void *)dst;                                              \
        const T *s = (const T *)(const void *)src;                            \
        for (int64_t f = f0; f < f1; f++)                                     \
            for (int64_t t = t0; t < t1; t++) d[f * stride + t] = s[t * F + f]; \
        return;                                                               \
    }
    FI_TR_CASE(uint8_t, 1)
    FI_TR_CASE(uint16_t, 2)
    FI_TR_CASE(uint32_t, 4)
    FI_TR_CASE(uint64_t, 8)
#undef FI_TR_CASE
    default:
        for (int64_t f = f0; f < f1; f++)
            for (int64_t t = t0; t < t1; t++)
                memcpy(dst + (size_t)(f * stride + t) * es, src + (size_t)(t * F + f) * es,
                       es);
    }
}

static inline void pad_transpose_scalar(unsigned char *dst, int64_t stride,
                                        const unsigned char *src, int64_t c, int64_t F,
                                        size_t es)
{
    pad_transpose_part(dst, stride, src, F, es, 0, F, 0, c);
}

#if defined(FI_PAD_TRANSPOSE_SIMD)
/* 8 x 8 tile of 4-byte elements: rows t0..t0+7 of src, features f0..f0+nf-1 (nf <= 8;
 * below 8 through a masked load, which touches no byte past the row's nf elements). */
__attribute__((target("avx2"))) static inline void
tile8x8_32(float *d, int64_t stride, const float *s, int64_t F, int64_t nf, __m256i m)
{
    __m256 r[8];
    if (nf == 8)
        for (int k = 0; k < 8; k++) r[k] = _mm256_loadu_ps(s + k * F);
    else
        for (int k = 0; k < 8; k++) r[k] = _mm256_maskload_ps(s + k * F, m);
    __m256 a0 = _mm256_unpacklo_ps(r[0], r[1]), a1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 a2 = _mm256_unpacklo_ps(r[2], r[3]), a3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 a4 = _mm256_unpacklo_ps(r[4], r[5]), a5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 a6 = _mm256_unpacklo_ps(r[6], r[7]), a7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 b0 = _mm256_shuffle_ps(a0, a2, 0x44), b1 = _mm256_shuffle_ps(a0, a2, 0xEE);
    __m256 b2 = _mm256_shuffle_ps(a1, a3, 0x44), b3 = _mm256_shuffle_ps(a1, a3, 0xEE);
    __m256 b4 = _mm256_shuffle_ps(a4, a6, 0x44), b5 = _mm256_shuffle_ps(a4, a6, 0xEE);
    __m256 b6 = _mm256_shuffle_ps(a5, a7, 0x44), b7 = _mm256_shuffle_ps(a5, a7, 0xEE);
    __m256 o[8] = {
        _mm256_permute2f128_ps(b0, b4, 0x20), _mm256_permute2f128_ps(b1, b5, 0x20),
        _mm256_permute2f128_ps(b2, b6, 0x20), _mm256_permute2f128_ps(b3, b7, 0x20),
        _mm256_permute2f128_ps(b0, b4, 0x31), _mm256_permute2f128_ps(b1, b5, 0x31),
        _mm256_permute2f128_ps(b2, b6, 0x31), _mm256_permute2f128_ps(b3, b7, 0x31),
    };
    for (int k = 0; k < nf; k++) _mm256_storeu_ps(d + k * stride, o[k]);
}

/* 4 x 4 tile of 8-byte elements, as above (nf <= 4). */
__attribute__((target("avx2"))) static inline void
tile4x4_64(double *d, int64_t stride, const double *s, int64_t F, int64_t nf, __m256i m)
{
    __m256d r[4];
    if (nf == 4)
        for (int k = 0; k < 4; k++) r[k] = _mm256_loadu_pd(s + k * F);
    else
        for (int k = 0; k < 4; k++) r[k] = _mm256_maskload_pd(s + k * F, m);
    __m256d a0 = _mm256_unpacklo_pd(r[0], r[1]), a1 = _mm256_unpackhi_pd(r[0], r[1]);
    __m256d a2 = _mm256_unpacklo_pd(r[2], r[3]), a3 = _mm256_unpackhi_pd(r[2], r[3]);
    __m256d o[4] = {
        _mm256_permute2f128_pd(a0, a2, 0x20), _mm256_permute2f128_pd(a1, a3, 0x20),
        _mm256_permute2f128_pd(a0, a2, 0x31), _mm256_permute2f128_pd(a1, a3, 0x31),
    };
    for (int k = 0; k < nf; k++) _mm256_storeu_pd(d + k * stride, o[k]);
}

/* 8 x 8 tile of 2-byte elements (SSE2 registers; F >= 8 only). */
__attribute__((target("avx2"))) static inline void
tile8x8_16(uint16_t *d, int64_t stride, const uint16_t *s, int64_t F)
{
    __m128i r[8];
    for (int k = 0; k < 8; k++) r[k] = _mm_loadu_si128((const __m128i *)(const void *)(s + k * F));
    __m128i a0 = _mm_unpacklo_epi16(r[0], r[1]), a1 = _mm_unpackhi_epi16(r[0], r[1]);
    __m128i a2 = _mm_unpacklo_epi16(r[2], r[3]), a3 = _mm_unpackhi_epi16(r[2], r[3]);
    __m128i a4 = _mm_unpacklo_epi16(r[4], r[5]), a5 = _mm_unpackhi_epi16(r[4], r[5]);
    __m128i a6 = _mm_unpacklo_epi16(r[6], r[7]), a7 = _mm_unpackhi_epi16(r[6], r[7]);
    __m128i b0 = _mm_unpacklo_epi32(a0, a2), b1 = _mm_unpackhi_epi32(a0, a2);
    __m128i b2 = _mm_unpacklo_epi32(a1, a3), b3 = _mm_unpackhi_epi32(a1, a3);
    __m128i b4 = _mm_unpacklo_epi32(a4, a6), b5 = _mm_unpackhi_epi32(a4, a6);
    __m128i b6 = _mm_unpacklo_epi32(a5, a7), b7 = _mm_unpackhi_epi32(a5, a7);
    __m128i o[8] = {
        _mm_unpacklo_epi64(b0, b4), _mm_unpackhi_epi64(b0, b4),
        _mm_unpacklo_epi64(b1, b5), _mm_unpackhi_epi64(b1, b5),
        _mm_unpacklo_epi64(b2, b6), _mm_unpackhi_epi64(b2, b6),
        _mm_unpacklo_epi64(b3, b7), _mm_unpackhi_epi64(b3, b7),
    };
    for (int k = 0; k < 8; k++) _mm_storeu_si128((__m128i *)(void *)(d + k * stride), o[k]);
}

/* 8 x 8 tile of 1-byte elements (8-byte loads and stores; F >= 8 only). */
__attribute__((target("avx2"))) static inline void
tile8x8_8(uint8_t *d, int64_t stride, const uint8_t *s, int64_t F)
{
    __m128i r[8];
    for (int k = 0; k < 8; k++) r[k] = _mm_loadl_epi64((const __m128i *)(const void *)(s + k * F));
    __m128i a0 = _mm_unpacklo_epi8(r[0], r[1]), a1 = _mm_unpacklo_epi8(r[2], r[3]);
    __m128i a2 = _mm_unpacklo_epi8(r[4], r[5]), a3 = _mm_unpacklo_epi8(r[6], r[7]);
    __m128i b0 = _mm_unpacklo_epi16(a0, a1), b1 = _mm_unpackhi_epi16(a0, a1);
    __m128i b2 = _mm_unpacklo_epi16(a2, a3), b3 = _mm_unpackhi_epi16(a2, a3);
    __m128i o[4] = {_mm_unpacklo_epi32(b0, b2), _mm_unpackhi_epi32(b0, b2),
                    _mm_unpacklo_epi32(b1, b3), _mm_unpackhi_epi32(b1, b3)};
    for (int k = 0; k < 4; k++) {
        _mm_storel_epi64((__m128i *)(void *)(d + 2 * k * stride), o[k]);
        _mm_storel_epi64((__m128i *)(void *)(d + (2 * k + 1) * stride), _mm_srli_si128(o[k], 8));
    }
}

/* Tiles of tf features x tt steps over the whole [c, F] block: the last tile in each
 * direction is moved back to end at the edge; a block narrower than a tile is masked
 * (nf < tf, 4- and 8-byte elements) or left to the scalar loop. */
__attribute__((target("avx2"))) static inline void
pad_transpose_avx2(unsigned char *dst, int64_t stride, const unsigned char *src, int64_t c,
                   int64_t F, size_t es)
{
    const int64_t tf = es == 8 ? 4 : 8, tt = tf;
    if ((es != 1 && es != 2 && es != 4 && es != 8) || c < tt || (es <= 2 && F < tf)) {
        pad_transpose_scalar(dst, stride, src, c, F, es);
        return;
    }
    const int64_t nf = F < tf ? F : tf;
    __m256i m = _mm256_setzero_si256();
    if (nf < tf) {
        int32_t lanes[8];
        for (int k = 0; k < 8; k++)
            lanes[k] = (es == 4 ? k < nf : k / 2 < nf) ? -1 : 0;
        m = _mm256_loadu_si256((const __m256i *)(const void *)lanes);
    }
    for (int64_t f = 0; f < F; f += tf) {
        const int64_t f0 = f + tf <= F || F < tf ? f : F - tf;
        for (int64_t t = 0; t < c; t += tt) {
            const int64_t t0 = t + tt <= c ? t : c - tt;
            const size_t at = (size_t)(f0 * stride + t0) * es, from = (size_t)(t0 * F + f0) * es;
            if (es == 4)
                tile8x8_32((float *)(void *)(dst + at), stride,
                           (const float *)(const void *)(src + from), F, nf, m);
            else if (es == 8)
                tile4x4_64((double *)(void *)(dst + at), stride,
                           (const double *)(const void *)(src + from), F, nf, m);
            else if (es == 2)
                tile8x8_16((uint16_t *)(void *)(dst + at), stride,
                           (const uint16_t *)(const void *)(src + from), F);
            else
                tile8x8_8(dst + at, stride, src + from, F);
        }
    }
}
#endif

/* The transpose through the widest path the CPU and FASTITER_DISABLE_SIMD allow. */
static inline void pad_transpose(unsigned char *dst, int64_t stride, const unsigned char *src,
                                 int64_t c, int64_t F, size_t es)
{
#if defined(FI_PAD_TRANSPOSE_SIMD)
    if (fi_cpu_simd_level() >= 1) {
        pad_transpose_avx2(dst, stride, src, c, F, es);
        return;
    }
#endif
    pad_transpose_scalar(dst, stride, src, c, F, es);
}

#endif /* FASTITER_PAD_TRANSPOSE_H_ */
