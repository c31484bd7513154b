/*
 * The one place that decides which SIMD paths the CPU and the environment allow.
 *
 * FASTITER_DISABLE_SIMD forces the portable scalar loops, the ones an aarch64 build runs,
 * so that they are tested on x86-64 machines too (tests/test_simd_disabled.py).
 */
#include "cpu.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_int cached_level = -1;

static int detect(void)
{
    const char *off = getenv("FASTITER_DISABLE_SIMD");
    if (off != NULL && off[0] != '\0' && strcmp(off, "0") != 0)
        return 0;
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2"))
        return 2;
    if (__builtin_cpu_supports("avx2"))
        return 1;
#endif
    return 0;
}

int fi_cpu_simd_level(void)
{
    int level = atomic_load_explicit(&cached_level, memory_order_relaxed);
    if (level < 0) {
        level = detect(); /* idempotent: a race only computes the same value twice */
        atomic_store_explicit(&cached_level, level, memory_order_relaxed);
    }
    return level;
}
