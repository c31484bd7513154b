/*
 * Which SIMD path the run-time dispatch may take (internal to csrc/).
 */
#ifndef FASTITER_CPU_H
#define FASTITER_CPU_H

/* 2 = AVX-512 (with AVX2), 1 = AVX2, 0 = scalar only: what the CPU offers, capped at 0
 * when the environment variable FASTITER_DISABLE_SIMD is true (1/true/yes/on, the
 * grammar of fastiter/_env.py; another value warns on stderr and counts as off).
 * Read once per process; every SIMD dispatch in csrc/ asks this function. */
int fi_cpu_simd_level(void);

#include <stddef.h>

/* The largest output (in bytes) a kernel writes with ordinary (temporal) stores, so
 * that it is still cached for its consumer; a larger output is written with streaming
 * (non-temporal) stores, which bypass the cache it would only flush.  Default: 3/4 of the last-level cache (Linux sysfs,
 * else sysconf), or 0 (always stream) when the size is unknown.  The environment
 * variable FASTITER_STREAM_THRESHOLD (bytes, an integer >= 0; 0 streams everything)
 * overrides it; another value warns on stderr and is ignored.  Read once per
 * process.  The bytes written never depend on it. */
size_t fi_cpu_stream_threshold(void);

/* Tests only: replace the threshold for the rest of the process (the environment and
 * cache size are then no longer consulted).  Not for a loop body in flight. */
void fi_cpu_set_stream_threshold(size_t bytes);

/* The last-level cache in bytes as this process sees it (0 when unknown). */
size_t fi_cpu_llc_bytes(void);

#endif
