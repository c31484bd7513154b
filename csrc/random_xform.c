/*
 * Philox words -> output elements (see random_xform.h and fastiter/random.h).
 *
 * Only +, -, *, / and sqrt appear on floats, each rounded exactly by IEEE-754, and the
 * build disables FMA contraction, so these loops give the same bits whether the
 * compiler vectorises them or not.  log, sin and cos are our own polynomials for the
 * same reason: libm differs between machines.
 */
#include "random_xform.h"

#include "fastiter.h"
#include "cpu.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define FI_XF_AVX2 1
#endif

/* The SIMD level the generator and the transforms share (fi_random_set_simd_level):
 * -1 decides from the CPU; 0 scalar; 1 AVX2; 2 AVX-512.  It lives in the lower of the two
 * files (philox.c calls the transforms, never the reverse) so that they don't call each
 * other. */
static atomic_int simd_override = -1;

int fi_random_simd_level(void)
{
    int o = atomic_load_explicit(&simd_override, memory_order_relaxed);
#ifdef FI_XF_AVX2
    int have = fi_cpu_simd_level();
    return o >= 0 && o < have ? o : have;
#else
    (void)o;
    return 0;
#endif
}

int fi_random_set_simd_level(int level)
{
    if (level < -1 || level > 2) return FI_EINVAL;
    atomic_store_explicit(&simd_override, level, memory_order_relaxed);
    return FI_OK;
}

#define LN2_F 0.693147180559945309f
#define LN2_D 0.693147180559945309
#define HALF_PI_D 1.57079632679489662
#define QUARTER_PI_D 0.785398163397448310

int fi_xf_words_per_element(int kind, int dtype)
{
    return (kind == FI_XF_UNIFORM || kind == FI_XF_NORMAL) && dtype == FI_FLOAT64 ? 2 : 1;
}

int fi_xf_int_range_fits(int dtype, int64_t low, uint64_t range)
{
    int64_t lo, hi;
    switch (dtype) {
    case FI_INT8: lo = INT8_MIN; hi = INT8_MAX; break;
    case FI_INT16: lo = INT16_MIN; hi = INT16_MAX; break;
    case FI_INT32: lo = INT32_MIN; hi = INT32_MAX; break;
    case FI_INT64: case FI_UINT64: lo = dtype == FI_INT64 ? INT64_MIN : 0; hi = INT64_MAX; break;
    case FI_UINT8: lo = 0; hi = UINT8_MAX; break;
    case FI_UINT16: lo = 0; hi = UINT16_MAX; break;
    case FI_UINT32: lo = 0; hi = UINT32_MAX; break;
    default: return 0;
    }
    if (range < 1 || low < lo || low > hi) return 0;
    return (uint64_t)(hi - low) >= range - 1;
}

/* -2 ln(k * 2^-bits) for k in [1, 2^bits], float32: ln k by exponent split and the
 * atanh series on a mantissa folded into [sqrt(1/2), sqrt(2)). */
static inline float neg2_log_f(uint32_t k, int bits)
{
    float x = (float)(int32_t)k;
    uint32_t b;
    memcpy(&b, &x, 4);
    uint32_t mb = (b & 0x7FFFFFu) | 0x3F800000u;
    /* Fold m > sqrt(2) (bits 0x3FB504F3) to m / 2 by decrementing its exponent: bit
     * arithmetic rather than a branch, so the loop vectorises. */
    uint32_t big = (uint32_t)0 - (uint32_t)(mb > 0x3FB504F3u);
    mb -= big & 0x00800000u;
    int32_t e = (int32_t)(b >> 23) - 127 + (int32_t)(big & 1u);
    float m;
    memcpy(&m, &mb, 4);
    float s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
    float lnm = 2.0f * s * (1.0f + s2 * (1.0f / 3 + s2 * (1.0f / 5 + s2 * (1.0f / 7 + s2 * (1.0f / 9)))));
    /* >= 0: e == bits only when m <= 1, and lnm < ln 2 otherwise */
    return 2.0f * ((float)(bits - e) * LN2_F - lnm);
}

static inline double neg2_log_d(uint64_t k, int bits)
{
    double x = (double)k;
    uint64_t b;
    memcpy(&b, &x, 8);
    int64_t e = (int64_t)(b >> 52) - 1023;
    uint64_t mb = (b & 0xFFFFFFFFFFFFFull) | 0x3FF0000000000000ull;
    double m;
    memcpy(&m, &mb, 8);
    int big = m > 1.4142135623730951;
    m = big ? m * 0.5 : m;
    e += big;
    double s = (m - 1.0) / (m + 1.0), s2 = s * s, poly = 1.0 / 23;
    for (int d = 21; d >= 1; d -= 2) poly = 1.0 / d + s2 * poly;
    double r2 = 2.0 * ((double)(bits - e) * LN2_D - 2.0 * s * poly);
    return r2 > 0.0 ? r2 : 0.0;
}

/* (cos, sin) of q * pi/2 + x for |x| <= pi/4, q in 0..3: Taylor polynomials on x, then
 * the quarter-turn rotation by swapping and negating. */
static inline void cos_sin_f(uint32_t q, float x, float *c, float *s)
{
    float x2 = x * x;
    float sx = x * (1.0f + x2 * (-1.0f / 6 + x2 * (1.0f / 120 + x2 * (-1.0f / 5040 + x2 * (1.0f / 362880)))));
    float cx = 1.0f + x2 * (-0.5f + x2 * (1.0f / 24 + x2 * (-1.0f / 720 + x2 * (1.0f / 40320 + x2 * (-1.0f / 3628800)))));
    uint32_t sb, cb, swap = (uint32_t)0 - (q & 1u);
    memcpy(&sb, &sx, 4);
    memcpy(&cb, &cx, 4);
    uint32_t rc = ((cb & ~swap) | (sb & swap)) ^ (((q + 1u) & 2u) << 30);
    uint32_t rs = ((sb & ~swap) | (cb & swap)) ^ ((q & 2u) << 30);
    memcpy(c, &rc, 4);
    memcpy(s, &rs, 4);
}

static const double SIN_C[9] = {1.0, -1.0 / 6, 1.0 / 120, -1.0 / 5040, 1.0 / 362880,
                                 -1.0 / 39916800, 1.0 / 6227020800.0, -1.0 / 1307674368000.0,
                                 1.0 / 355687428096000.0};
static const double COS_C[9] = {1.0, -1.0 / 2, 1.0 / 24, -1.0 / 720, 1.0 / 40320,
                                 -1.0 / 3628800, 1.0 / 479001600.0, -1.0 / 87178291200.0,
                                 1.0 / 20922789888000.0};

static inline void cos_sin_d(uint32_t q, double x, double *c, double *s)
{
    double x2 = x * x, sp = SIN_C[8], cp = COS_C[8];
    for (int k = 7; k >= 0; k--) {
        sp = SIN_C[k] + x2 * sp;
        cp = COS_C[k] + x2 * cp;
    }
    double sx = x * sp, cx = cp;
    int swap = (int)(q & 1u);
    double cc = swap ? sx : cx, ss = swap ? cx : sx;
    *c = ((q + 1u) & 2u) ? -cc : cc;
    *s = (q & 2u) ? -ss : ss;
}

/* Box-Muller on contiguous arrays of radius words and angle words: kept free of
 * strided access and branches so that the compiler vectorises it (one copy per
 * instruction set, see NORMAL_PAIRS below). */
static inline __attribute__((always_inline)) void
box_muller_f32(const uint32_t *wr, const uint32_t *wa, int64_t np, float *zc, float *zs)
{
    for (int64_t m = 0; m < np; m++) {
        float r = sqrtf(neg2_log_f((wr[m] >> 8) + 1u, 24));
        float x = ((float)(int32_t)((wa[m] >> 7) & 0x7FFFFFu) + 0.5f) *
                      (float)(HALF_PI_D / 8388608.0) - (float)QUARTER_PI_D;
        float c, s;
        cos_sin_f(wa[m] >> 30, x, &c, &s);
        zc[m] = r * c;
        zs[m] = r * s;
    }
}

static void box_muller_f32_base(const uint32_t *wr, const uint32_t *wa, int64_t np,
                                float *zc, float *zs)
{
    box_muller_f32(wr, wa, np, zc, zs);
}

#ifdef FI_XF_AVX2
__attribute__((target("avx2"))) static void
box_muller_f32_avx2(const uint32_t *wr, const uint32_t *wa, int64_t np, float *zc, float *zs)
{
    box_muller_f32(wr, wa, np, zc, zs);
}
#endif

#define BM_BATCH 256

static void normal_f32(const uint32_t *w, int64_t ne, float *out)
{
    uint32_t wr[BM_BATCH], wa[BM_BATCH];
    float zc[BM_BATCH], zs[BM_BATCH];
    for (int64_t m0 = 0; m0 < ne / 2; m0 += BM_BATCH) {
        int64_t np = ne / 2 - m0 < BM_BATCH ? ne / 2 - m0 : BM_BATCH;
        for (int64_t m = 0; m < np; m++) {
            wr[m] = w[2 * (m0 + m)];
            wa[m] = w[2 * (m0 + m) + 1];
        }
#ifdef FI_XF_AVX2
        if (fi_random_simd_level() >= 1) box_muller_f32_avx2(wr, wa, np, zc, zs);
        else
#endif
            box_muller_f32_base(wr, wa, np, zc, zs);
        for (int64_t m = 0; m < np; m++) {
            out[2 * (m0 + m)] = zc[m];
            out[2 * (m0 + m) + 1] = zs[m];
        }
    }
}

static void normal_f64(const uint32_t *w, int64_t ne, double *out)
{
    for (int64_t m = 0; m < ne / 2; m++) {
        const uint32_t *p = w + 4 * m;
        uint64_t ur = ((uint64_t)p[1] << 32 | p[0]) >> 11, ua = (uint64_t)p[3] << 32 | p[2];
        double r = sqrt(neg2_log_d(ur + 1u, 53));
        double x = ((double)((ua >> 12) & 0x3FFFFFFFFFFFFull) + 0.5) * (HALF_PI_D / 1125899906842624.0) -
                   QUARTER_PI_D;
        double c, s;
        cos_sin_d((uint32_t)(ua >> 62), x, &c, &s);
        out[2 * m] = r * c;
        out[2 * m + 1] = r * s;
    }
}

static void uniform(int dtype, const uint32_t *w, int64_t ne, void *out)
{
    if (dtype == FI_FLOAT32) {
        float *o = out;
        for (int64_t k = 0; k < ne; k++) o[k] = (float)(w[k] >> 8) * 0x1p-24f;
    } else {
        double *o = out;
        for (int64_t k = 0; k < ne; k++)
            o[k] = (double)(((uint64_t)w[2 * k + 1] << 32 | w[2 * k]) >> 11) * 0x1p-53;
    }
}

#define FI_INT_CASE(CODE, T)                                                             \
    case CODE: {                                                                         \
        T *o = out;                                                                      \
        for (int64_t k = 0; k < ne; k++)                                                 \
            o[k] = (T)(prm->low + (int64_t)(((uint64_t)w[k] * prm->range) >> 32));      \
        return;                                                                          \
    }

static void integers(int dtype, const fi_xform_params *prm, const uint32_t *w, int64_t ne,
                     void *out)
{
    switch (dtype) {
    FI_INT_CASE(FI_INT8, int8_t)
    FI_INT_CASE(FI_INT16, int16_t)
    FI_INT_CASE(FI_INT32, int32_t)
    FI_INT_CASE(FI_INT64, int64_t)
    FI_INT_CASE(FI_UINT8, uint8_t)
    FI_INT_CASE(FI_UINT16, uint16_t)
    FI_INT_CASE(FI_UINT32, uint32_t)
    FI_INT_CASE(FI_UINT64, uint64_t)
    default: return;
    }
}

#define FI_BIN_CASE(CODE, T, ONE)                                                        \
    case CODE: {                                                                         \
        T *o = out;                                                                      \
        for (int64_t k = 0; k < ne; k++) o[k] = (uint64_t)w[k] < thr ? (T)(ONE) : (T)0; \
        return;                                                                          \
    }

static void binary(int dtype, uint64_t thr, const uint32_t *w, int64_t ne, void *out)
{
    switch (dtype) {
    FI_BIN_CASE(FI_BOOL, uint8_t, 1)
    FI_BIN_CASE(FI_INT8, int8_t, 1)
    FI_BIN_CASE(FI_UINT8, uint8_t, 1)
    FI_BIN_CASE(FI_INT16, int16_t, 1)
    FI_BIN_CASE(FI_UINT16, uint16_t, 1)
    FI_BIN_CASE(FI_FLOAT16, uint16_t, 0x3C00)
    FI_BIN_CASE(FI_INT32, int32_t, 1)
    FI_BIN_CASE(FI_UINT32, uint32_t, 1)
    FI_BIN_CASE(FI_INT64, int64_t, 1)
    FI_BIN_CASE(FI_UINT64, uint64_t, 1)
    FI_BIN_CASE(FI_FLOAT32, float, 1.0f)
    FI_BIN_CASE(FI_FLOAT64, double, 1.0)
    default: return;
    }
}

void fi_xf_classes(const uint32_t *w, int64_t n, uint64_t range, int64_t *cls)
{
    for (int64_t k = 0; k < n; k++) cls[k] = (int64_t)(((uint64_t)w[k] * range) >> 32);
}

void fi_xf_apply(int kind, int dtype, const fi_xform_params *prm, const uint32_t *w,
                 int64_t ne, void *out)
{
    switch (kind) {
    case FI_XF_BITS: memcpy(out, w, (size_t)ne * 4); return;
    case FI_XF_UNIFORM: uniform(dtype, w, ne, out); return;
    case FI_XF_NORMAL:
        if (dtype == FI_FLOAT32) normal_f32(w, ne, out);
        else normal_f64(w, ne, out);
        return;
    case FI_XF_INTEGERS: integers(dtype, prm, w, ne, out); return;
    case FI_XF_BINARY: binary(dtype, prm->threshold, w, ne, out); return;
    default: return;
    }
}
