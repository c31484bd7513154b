/*
 * The one place that decides which SIMD paths the CPU and the environment allow.
 *
 * FASTITER_DISABLE_SIMD forces the portable scalar loops, the ones an aarch64 build runs,
 * so that they are tested on x86-64 machines too (tests/test_simd_disabled.py).
 */
#include "cpu.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_int cached_level = -1;

/* The boolean grammar of fastiter/_env.py, so C and Python agree on every value:
 * 1/true/yes/on and 0/false/no/off in any case, blanks around ignored; unset or blank
 * means the default (0); anything else warns once and means the default. */
static int env_flag(const char *name)
{
    static const char *const on[] = {"1", "true", "yes", "on"};
    static const char *const off[] = {"0", "false", "no", "off"};
    const char *raw = getenv(name);
    char word[8];
    size_t n = 0;
    if (raw == NULL)
        return 0;
    while (isspace((unsigned char)*raw))
        raw++;
    while (raw[n] != '\0' && !isspace((unsigned char)raw[n]) && n < sizeof word - 1) {
        word[n] = (char)tolower((unsigned char)raw[n]);
        n++;
    }
    word[n] = '\0';
    for (const char *rest = raw + n; *rest != '\0'; rest++)
        if (!isspace((unsigned char)*rest))
            goto bad;
    if (n == 0)
        return 0;
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(word, on[i]) == 0)
            return 1;
        if (strcmp(word, off[i]) == 0)
            return 0;
    }
bad:
    fprintf(stderr, "fastiter: %s='%s' is not a boolean (1/true/yes/on or 0/false/no/off); "
                    "using the default (off)\n", name, getenv(name));
    return 0;
}

static int detect(void)
{
    if (env_flag("FASTITER_DISABLE_SIMD"))
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
