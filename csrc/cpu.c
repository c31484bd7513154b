/*
 * The one place that decides which SIMD paths the CPU and the environment allow.
 *
 * FASTITER_DISABLE_SIMD forces the portable scalar loops, the ones an aarch64 build runs,
 * so that they are tested on x86-64 machines too (tests/test_simd_disabled.py).
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* sysconf's cache-size names */
#endif
#define _POSIX_C_SOURCE 200809L
#include "cpu.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* The largest data or unified cache that sysfs lists for CPU 0.  glibc's
 * sysconf(_SC_LEVEL3_CACHE_SIZE) reads cpuid, and under KVM on this machine it reports
 * the host's whole socket (384 MiB) where sysfs and lscpu give the 32 MiB the guest
 * shares; so sysfs first, sysconf only where sysfs is missing. */
static size_t sysfs_llc(void)
{
    size_t best = 0;
    for (int i = 0; i < 16; i++) {
        char path[96], type[32] = {0};
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", i);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        int ok = fscanf(f, "%31s", type) == 1;
        fclose(f);
        if (!ok || strcmp(type, "Instruction") == 0) continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        f = fopen(path, "r");
        if (!f) continue;
        unsigned long long v = 0;
        char unit = 0;
        int got = fscanf(f, "%llu%c", &v, &unit);
        fclose(f);
        if (got < 1) continue;
        if (got == 2 && (unit == 'K' || unit == 'k')) v <<= 10;
        else if (got == 2 && (unit == 'M' || unit == 'm')) v <<= 20;
        if (v > best) best = (size_t)v;
    }
    return best;
}

static atomic_size_t cached_llc = (size_t)-1;
static atomic_size_t cached_threshold = (size_t)-1;

size_t fi_cpu_llc_bytes(void)
{
    size_t v = atomic_load_explicit(&cached_llc, memory_order_relaxed);
    if (v == (size_t)-1) {
        v = sysfs_llc();
#if defined(_SC_LEVEL3_CACHE_SIZE)
        if (v == 0) {
            long s = sysconf(_SC_LEVEL3_CACHE_SIZE);
            if (s <= 0) s = sysconf(_SC_LEVEL2_CACHE_SIZE);
            if (s > 0) v = (size_t)s;
        }
#endif
        atomic_store_explicit(&cached_llc, v, memory_order_relaxed);
    }
    return v;
}

/* FASTITER_STREAM_THRESHOLD with fastiter/_env.py's grammar for integers: ASCII digits
 * between optional blanks, at most 9 of them (0..999999999).
 * Returns 1 with *out set, 0 when unset or blank, -1 when malformed. */
static int env_bytes(const char *name, size_t *out)
{
    const char *raw = getenv(name), *p = raw;
    unsigned long long v = 0;
    int digits = 0;
    if (raw == NULL) return 0;
    while (isspace((unsigned char)*p)) p++;
    if (*p == '\0') return 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++)
        if (digits < 9) v = v * 10 + (unsigned long long)(*p - '0');
    while (isspace((unsigned char)*p)) p++;
    if (*p != '\0' || digits == 0 || digits > 9) {
        fprintf(stderr, "fastiter: %s='%s' is not a byte count (an integer in "
                        "[0, 999999999]); using the default\n", name, raw);
        return -1;
    }
    *out = (size_t)v;
    return 1;
}

size_t fi_cpu_stream_threshold(void)
{
    size_t v = atomic_load_explicit(&cached_threshold, memory_order_relaxed);
    if (v == (size_t)-1) {
        if (env_bytes("FASTITER_STREAM_THRESHOLD", &v) != 1) v = fi_cpu_llc_bytes() / 4 * 3;
        atomic_store_explicit(&cached_threshold, v, memory_order_relaxed);
    }
    return v;
}

void fi_cpu_set_stream_threshold(size_t bytes)
{
    if (bytes == (size_t)-1) bytes--; /* (size_t)-1 marks "not read yet" */
    atomic_store_explicit(&cached_threshold, bytes, memory_order_relaxed);
}
