/*
 * Philox4x32-10 and the random kernels built on it (see fastiter/random.h).
 *
 * Work is cut into tiles of TILE words aligned to 4-word blocks in the *absolute*
 * word index, so any split of [first, first + n) regenerates exactly the same blocks;
 * a tile that straddles the requested range is generated whole and the needed part
 * copied out.  The bits therefore depend only on (seed, stream, element index).
 *
 * The SIMD path (AVX2, chosen at run time) computes the same 32x32->64 products and
 * transposes its 8 blocks back to the canonical order before storing, so it is
 * bit-identical to the scalar path.  Transforms use only +, -, *, / and sqrt, which
 * IEEE-754 rounds exactly, so vectorised and scalar transforms agree too.
 */
#include "fastiter.h"
#include "checked.h"
#include "random_xform.h"

#include <string.h>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define FI_HAVE_AVX2_PATH 1
#include <immintrin.h>
#endif

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u
#define TILE 1024 /* words per tile; a multiple of 32 (8 blocks of 4) */
_Static_assert(TILE % 32 == 0, "a tile is whole 8-block SIMD groups");

void fi_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int r = 0; r < 10; r++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0, p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)p1;
        c3 = (uint32_t)p0;
        c0 = n0;
        c2 = n2;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

/* Blocks [blk, blk + nblocks) of (seed, stream) into w (4 words each). */
static void blocks_scalar(uint64_t seed, uint64_t stream, uint64_t blk, int64_t nblocks,
                          uint32_t *w)
{
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    for (int64_t b = 0; b < nblocks; b++) {
        uint64_t c = blk + (uint64_t)b;
        const uint32_t ctr[4] = {(uint32_t)c, (uint32_t)(c >> 32), (uint32_t)stream,
                                 (uint32_t)(stream >> 32)};
        fi_philox4x32_10(ctr, key, w + 4 * b);
    }
}

#ifdef FI_HAVE_AVX2_PATH
/* (hi, lo) of the 32x32 products of every 32-bit lane of a with m. */
__attribute__((target("avx2"))) static inline void mulhilo8(__m256i a, __m256i m,
                                                             __m256i *hi, __m256i *lo)
{
    __m256i even = _mm256_mul_epu32(a, m);                        /* lanes 0,2,4,6 */
    __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);  /* lanes 1,3,5,7 */
    *lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
    *hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

__attribute__((target("avx2"))) static void blocks_avx2(uint64_t seed, uint64_t stream,
                                                        uint64_t blk, int64_t nblocks,
                                                        uint32_t *w)
{
    const __m256i m0 = _mm256_set1_epi32((int)PHILOX_M0), m1 = _mm256_set1_epi32((int)PHILOX_M1);
    const __m256i w0 = _mm256_set1_epi32((int)PHILOX_W0), w1 = _mm256_set1_epi32((int)PHILOX_W1);
    const __m256i s0 = _mm256_set1_epi32((int)(uint32_t)stream);
    const __m256i s1 = _mm256_set1_epi32((int)(uint32_t)(stream >> 32));
    int64_t b = 0;
    for (; b + 8 <= nblocks; b += 8) {
        uint32_t lo[8], hi[8];
        for (int l = 0; l < 8; l++) {
            uint64_t c = blk + (uint64_t)(b + l);
            lo[l] = (uint32_t)c;
            hi[l] = (uint32_t)(c >> 32);
        }
        __m256i c0 = _mm256_loadu_si256((const __m256i *)(const void *)lo);
        __m256i c1 = _mm256_loadu_si256((const __m256i *)(const void *)hi);
        __m256i c2 = s0, c3 = s1;
        __m256i k0 = _mm256_set1_epi32((int)(uint32_t)seed);
        __m256i k1 = _mm256_set1_epi32((int)(uint32_t)(seed >> 32));
        for (int r = 0; r < 10; r++) {
            __m256i hi0, lo0, hi1, lo1;
            mulhilo8(c0, m0, &hi0, &lo0);
            mulhilo8(c2, m1, &hi1, &lo1);
            c0 = _mm256_xor_si256(_mm256_xor_si256(hi1, c1), k0);
            c1 = lo1;
            c2 = _mm256_xor_si256(_mm256_xor_si256(hi0, c3), k1);
            c3 = lo0;
            k0 = _mm256_add_epi32(k0, w0);
            k1 = _mm256_add_epi32(k1, w1);
        }
        /* Transpose 4 words x 8 blocks into block-major order. */
        __m256i t0 = _mm256_unpacklo_epi32(c0, c1), t1 = _mm256_unpackhi_epi32(c0, c1);
        __m256i t2 = _mm256_unpacklo_epi32(c2, c3), t3 = _mm256_unpackhi_epi32(c2, c3);
        __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
        __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
        __m256i *dst = (__m256i *)(void *)(w + 4 * b);
        _mm256_storeu_si256(dst + 0, _mm256_permute2x128_si256(u0, u1, 0x20));
        _mm256_storeu_si256(dst + 1, _mm256_permute2x128_si256(u2, u3, 0x20));
        _mm256_storeu_si256(dst + 2, _mm256_permute2x128_si256(u0, u1, 0x31));
        _mm256_storeu_si256(dst + 3, _mm256_permute2x128_si256(u2, u3, 0x31));
    }
    if (b < nblocks) blocks_scalar(seed, stream, blk + (uint64_t)b, nblocks - b, w + 4 * b);
}
#endif

#ifdef FI_HAVE_AVX2_PATH
/* The AVX2 kernel at twice the width: 16 blocks per iteration.  The 4 x 16 transpose
 * interleaves words within 128-bit lanes, then permutes whole lanes. */
__attribute__((target("avx512f"))) static void blocks_avx512(uint64_t seed, uint64_t stream,
                                                             uint64_t blk, int64_t nblocks,
                                                             uint32_t *w)
{
    const __m512i m0 = _mm512_set1_epi32((int)PHILOX_M0), m1 = _mm512_set1_epi32((int)PHILOX_M1);
    const __m512i w0 = _mm512_set1_epi32((int)PHILOX_W0), w1 = _mm512_set1_epi32((int)PHILOX_W1);
    const __m512i s0 = _mm512_set1_epi32((int)(uint32_t)stream);
    const __m512i s1 = _mm512_set1_epi32((int)(uint32_t)(stream >> 32));
    int64_t b = 0;
    for (; b + 16 <= nblocks; b += 16) {
        uint32_t lo[16], hi[16];
        for (int l = 0; l < 16; l++) {
            uint64_t c = blk + (uint64_t)(b + l);
            lo[l] = (uint32_t)c;
            hi[l] = (uint32_t)(c >> 32);
        }
        __m512i c0 = _mm512_loadu_si512(lo), c1 = _mm512_loadu_si512(hi), c2 = s0, c3 = s1;
        __m512i k0 = _mm512_set1_epi32((int)(uint32_t)seed);
        __m512i k1 = _mm512_set1_epi32((int)(uint32_t)(seed >> 32));
        for (int r = 0; r < 10; r++) {
            __m512i e0 = _mm512_mul_epu32(c0, m0);
            __m512i o0 = _mm512_mul_epu32(_mm512_srli_epi64(c0, 32), m0);
            __m512i e1 = _mm512_mul_epu32(c2, m1);
            __m512i o1 = _mm512_mul_epu32(_mm512_srli_epi64(c2, 32), m1);
            __m512i lo0 = _mm512_mask_blend_epi32(0xAAAA, e0, _mm512_slli_epi64(o0, 32));
            __m512i hi0 = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(e0, 32), o0);
            __m512i lo1 = _mm512_mask_blend_epi32(0xAAAA, e1, _mm512_slli_epi64(o1, 32));
            __m512i hi1 = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(e1, 32), o1);
            c0 = _mm512_xor_si512(_mm512_xor_si512(hi1, c1), k0);
            c1 = lo1;
            c2 = _mm512_xor_si512(_mm512_xor_si512(hi0, c3), k1);
            c3 = lo0;
            k0 = _mm512_add_epi32(k0, w0);
            k1 = _mm512_add_epi32(k1, w1);
        }
        __m512i t0 = _mm512_unpacklo_epi32(c0, c1), t1 = _mm512_unpackhi_epi32(c0, c1);
        __m512i t2 = _mm512_unpacklo_epi32(c2, c3), t3 = _mm512_unpackhi_epi32(c2, c3);
        /* u_k holds block 4L + k in 128-bit lane L */
        __m512i u0 = _mm512_unpacklo_epi64(t0, t2), u1 = _mm512_unpackhi_epi64(t0, t2);
        __m512i u2 = _mm512_unpacklo_epi64(t1, t3), u3 = _mm512_unpackhi_epi64(t1, t3);
        __m512i x0 = _mm512_shuffle_i32x4(u0, u1, 0x44), x1 = _mm512_shuffle_i32x4(u2, u3, 0x44);
        __m512i x2 = _mm512_shuffle_i32x4(u0, u1, 0xEE), x3 = _mm512_shuffle_i32x4(u2, u3, 0xEE);
        uint32_t *dst = w + 4 * b;
        _mm512_storeu_si512(dst, _mm512_shuffle_i32x4(x0, x1, 0x88));
        _mm512_storeu_si512(dst + 16, _mm512_shuffle_i32x4(x0, x1, 0xDD));
        _mm512_storeu_si512(dst + 32, _mm512_shuffle_i32x4(x2, x3, 0x88));
        _mm512_storeu_si512(dst + 48, _mm512_shuffle_i32x4(x2, x3, 0xDD));
    }
    if (b < nblocks) blocks_avx2(seed, stream, blk + (uint64_t)b, nblocks - b, w + 4 * b);
}
#endif

static void gen_blocks(uint64_t seed, uint64_t stream, uint64_t blk, int64_t nblocks,
                       uint32_t *w)
{
#ifdef FI_HAVE_AVX2_PATH
    int level = fi_random_simd_level();
    if (level == 2) {
        blocks_avx512(seed, stream, blk, nblocks, w);
        return;
    }
    if (level == 1) {
        blocks_avx2(seed, stream, blk, nblocks, w);
        return;
    }
#endif
    blocks_scalar(seed, stream, blk, nblocks, w);
}


typedef struct rng_job {
    uint64_t seed, stream;
    int64_t first;
    int kind, dtype, wpe; /* wpe: words per element */
    size_t esz;           /* output bytes per element (a whole row for one-hot) */
    fi_xform_params prm;
    unsigned char *out;
} rng_job;

/* Absolute elements [a, b) of the job, tile by tile. */
static void rng_range(void *ctx, int64_t begin, int64_t end)
{
    const rng_job *j = ctx;
    uint32_t words[TILE];
    _Alignas(32) unsigned char buf[TILE * 8];
    const int64_t a = j->first + begin, b = j->first + end;
    int64_t w = (a * j->wpe) & ~(int64_t)3;
    const int64_t wend = b * j->wpe;
    while (w < wend) {
        int64_t nw = ((wend - w + 3) & ~(int64_t)3);
        if (nw > TILE) nw = TILE;
        gen_blocks(j->seed, j->stream, (uint64_t)(w / 4), nw / 4, words);
        const int64_t e0 = w / j->wpe, ne = nw / j->wpe;
        const int64_t lo = e0 > a ? e0 : a, hi = e0 + ne < b ? e0 + ne : b;
        unsigned char *dst = j->out + (size_t)(lo - j->first) * j->esz;
        if (j->kind == FI_XF_ONE_HOT) {
            int64_t *cls = (int64_t *)(void *)buf;
            fi_xf_classes(words + (lo - e0), hi - lo, j->prm.range, cls);
            fi_one_hot(cls, FI_INT64, hi - lo, 1, j->prm.num_classes, dst, j->dtype, NULL);
        } else if (lo == e0 && hi == e0 + ne) {
            fi_xf_apply(j->kind, j->dtype, &j->prm, words, ne, dst);
        } else {
            fi_xf_apply(j->kind, j->dtype, &j->prm, words, ne, buf);
            memcpy(dst, buf + (size_t)(lo - e0) * j->esz, (size_t)(hi - lo) * j->esz);
        }
        w += nw;
    }
}

static int run(uint64_t seed, uint64_t stream, int64_t first, int64_t n, void *out,
               int kind, int dtype, const fi_xform_params *prm)
{
    if (first < 0 || n < 0 || (n > 0 && !out) || first > INT64_MAX / 4 - n) return FI_EINVAL;
    size_t es = fi_dtype_size(dtype), row, bytes;
    if (es == 0) return FI_EINVAL;
    row = es; /* bytes per element: a whole one-hot row for FI_XF_ONE_HOT */
    if (kind == FI_XF_ONE_HOT && fi_mul_size(prm->num_classes, es, &row)) return FI_EINVAL;
    if (fi_mul_size(n, row, &bytes)) return FI_EINVAL;
    rng_job j = {seed, stream, first, kind, dtype, fi_xf_words_per_element(kind, dtype),
                 row, *prm, out};
    if (n == 0) return FI_OK;
    fi_parallel_for(n, 65536, rng_range, &j);
    return FI_OK;
}

int fi_random_bits(uint64_t seed, uint64_t stream, int64_t first, int64_t n, uint32_t *out)
{
    fi_xform_params prm = {0};
    return run(seed, stream, first, n, out, FI_XF_BITS, FI_UINT32, &prm);
}

int fi_random_uniform(uint64_t seed, uint64_t stream, int64_t first, int64_t n, void *out,
                      int dtype)
{
    fi_xform_params prm = {0};
    if (dtype != FI_FLOAT32 && dtype != FI_FLOAT64) return FI_EINVAL;
    return run(seed, stream, first, n, out, FI_XF_UNIFORM, dtype, &prm);
}

int fi_random_normal(uint64_t seed, uint64_t stream, int64_t first, int64_t n, void *out,
                     int dtype)
{
    fi_xform_params prm = {0};
    if (dtype != FI_FLOAT32 && dtype != FI_FLOAT64) return FI_EINVAL;
    return run(seed, stream, first, n, out, FI_XF_NORMAL, dtype, &prm);
}

int fi_random_integers(uint64_t seed, uint64_t stream, int64_t first, int64_t n,
                       int64_t low, uint64_t range, void *out, int dtype)
{
    fi_xform_params prm = {0};
    if (range < 1 || range > ((uint64_t)1 << 32) || !fi_xf_int_range_fits(dtype, low, range))
        return FI_EINVAL;
    prm.low = low;
    prm.range = range;
    return run(seed, stream, first, n, out, FI_XF_INTEGERS, dtype, &prm);
}

int fi_random_binary(uint64_t seed, uint64_t stream, int64_t first, int64_t n, double p,
                     void *out, int dtype)
{
    fi_xform_params prm = {0};
    if (!(p >= 0.0 && p <= 1.0)) return FI_EINVAL;
    prm.threshold = (uint64_t)(p * 4294967296.0 + 0.5);
    return run(seed, stream, first, n, out, FI_XF_BINARY, dtype, &prm);
}

int fi_random_one_hot(uint64_t seed, uint64_t stream, int64_t first, int64_t n,
                      int64_t num_classes, void *out, int dtype)
{
    fi_xform_params prm = {0};
    if (num_classes < 1 || num_classes > ((int64_t)1 << 32)) return FI_EINVAL;
    if (dtype != FI_BOOL && dtype != FI_UINT8 && dtype != FI_INT32 && dtype != FI_FLOAT16 &&
        dtype != FI_FLOAT32 && dtype != FI_FLOAT64)
        return FI_EINVAL;
    prm.num_classes = num_classes;
    prm.range = (uint64_t)num_classes;
    return run(seed, stream, first, n, out, FI_XF_ONE_HOT, dtype, &prm);
}
