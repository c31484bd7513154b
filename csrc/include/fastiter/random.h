/*
 * Counter-based random generation: Philox4x32-10 (Salmon et al., SC'11), keyed by
 * (seed, stream).
 *
 * Canonical layout: 32-bit word i of the (seed, stream) sequence is word i % 4 of the
 * Philox block whose 128-bit counter is (i / 4, stream) (low word first) under the key
 * seed (low word first).  Every output element is a pure function of its index, so the
 * bits never depend on the thread count, the chunking, the SIMD path, or whether an
 * array is filled whole or in parts: filling [0, n) equals filling [0, k) then [k, n)
 * with first = k.
 *
 * Element -> word mapping (documented because callers may rely on it):
 * - 32-bit kinds (uniform float32, integers, binary, one-hot rows): element i uses
 *   word i.  Normal float32: elements 2m and 2m+1 are one Box-Muller pair made from
 *   words 2m (radius) and 2m+1 (angle).
 * - 64-bit kinds (uniform float64): element i uses words 2i (low) and 2i+1 (high).
 *   Normal float64: elements 2m and 2m+1 are a pair made from words 4m..4m+3.
 *
 * All functions are reentrant; large fills run on the thread pool.  Floating-point
 * results are identical on every IEEE-754 machine (no libm calls, no FMA contraction).
 */
#ifndef FASTITER_RANDOM_H_
#define FASTITER_RANDOM_H_

#include "fastiter/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One Philox4x32-10 block: out = philox(ctr, key).  out may alias ctr. */
void fi_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* Raw words [first, first + n) of the (seed, stream) sequence.  Requires first >= 0. */
int fi_random_bits(uint64_t seed, uint64_t stream, int64_t first, int64_t n, uint32_t *out);

/* Uniform on [0, 1): float32 = (w >> 8) * 2^-24; float64 = (64-bit word >> 11) * 2^-53.
 * dtype is FI_FLOAT32 or FI_FLOAT64; elements [first, first + n) go to out[0..n). */
int fi_random_uniform(uint64_t seed, uint64_t stream, int64_t first, int64_t n, void *out,
                      int dtype);

/* Standard normal by Box-Muller (radius from (0, 1], angle in quarter turns, own
 * polynomial log/sin/cos).  float32 tails reach about 5.8 sigma, float64 about 8.6. */
int fi_random_normal(uint64_t seed, uint64_t stream, int64_t first, int64_t n, void *out,
                     int dtype);

/* Integers low + floor(w * range / 2^32) in [low, low + range): one word per element
 * and no rejection, so the bias is at most range / 2^32 per value.  Requires
 * 1 <= range <= 2^32 and the whole range representable in dtype (any FI_INT* or
 * FI_UINT* code); FI_EINVAL otherwise. */
int fi_random_integers(uint64_t seed, uint64_t stream, int64_t first, int64_t n,
                       int64_t low, uint64_t range, void *out, int dtype);

/* Bernoulli(p): 1 where w < round(p * 2^32), else 0; p in [0, 1].  dtype: FI_BOOL,
 * any integer code, FI_FLOAT16, FI_FLOAT32 or FI_FLOAT64. */
int fi_random_binary(uint64_t seed, uint64_t stream, int64_t first, int64_t n, double p,
                     void *out, int dtype);

/* Rows [first, first + n) of random one-hot vectors: row r's class is
 * floor(w_r * num_classes / 2^32); out is [n, num_classes] in a one-hot output dtype
 * (see fi_one_hot).  Requires 1 <= num_classes <= 2^32. */
int fi_random_one_hot(uint64_t seed, uint64_t stream, int64_t first, int64_t n,
                      int64_t num_classes, void *out, int dtype);

/* 1 if the AVX2 Philox path is in use on this machine, else 0 (scalar). */
int fi_random_simd_level(void);

/* Force the scalar path (0), the AVX2 path where the CPU has it (1), or let the CPU
 * decide (-1, the default).  For tests that prove the paths agree.  FI_EINVAL else. */
int fi_random_set_simd_level(int level);

#ifdef __cplusplus
}
#endif
#endif /* FASTITER_RANDOM_H_ */
