/*
 * How fi_gather copies a row (internal to csrc/; gather.c).
 */
#ifndef FASTITER_GATHER_ROWS_H
#define FASTITER_GATHER_ROWS_H

#include <stddef.h>

/* 1 when fi_gather copies rows of `row_bytes` with its inline vector loop on this CPU
 * (AVX2, and SIMD not disabled: fi_cpu_simd_level), 0 when with libc's memcpy.  The
 * bytes written never depend on it. */
int fi_gather_inline_rows(size_t row_bytes);

#endif
