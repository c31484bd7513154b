/*
 * Range checks of int64 index arrays, shared by the kernels that read rows or classes
 * by index (internal to csrc/; kernels.c).
 */
#ifndef FASTITER_INDEX_CHECK_H
#define FASTITER_INDEX_CHECK_H

#include <stdint.h>

/* The first k in [begin, end) whose v[k] lies outside [0, bound), or -1.  On x86-64
 * the bulk is compared 16 or 32 at a time with AVX2 / AVX-512 (fi_cpu_simd_level);
 * the position is then named by the scalar loop, so every path reports the same k. */
int64_t fi_first_out_of_range_i64(const int64_t *v, int64_t begin, int64_t end,
                                  uint64_t bound);

#endif
