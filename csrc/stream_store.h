/*
 * Internal to the C core: non-temporal (streaming) copies for write-only outputs far
 * larger than the caches.  Ordinary stores first read every line for ownership,
 * doubling the memory traffic; streaming stores skip that read.  A kernel that
 * streams calls stream_fence() before its results are consumed.
 *
 * The store width follows the CPU (fi_cpu_simd_level, so FASTITER_DISABLE_SIMD turns
 * it down to SSE2): on this machine's Zen 5, one-hot 1M x 10 f32 written through an
 * L1 staging block took 1.7-2.0 ms with 16-byte streaming stores, 1.2-1.5 ms with
 * 32-byte and 1.08-1.10 ms with 64-byte ones, the same as a plain fill of the output
 * (1.0-1.1 ms), in a C microbench (best of 15, two runs).  The bytes written are the
 * same on every path, so the output does not depend on the path.
 */
#ifndef FASTITER_STREAM_STORE_H_
#define FASTITER_STREAM_STORE_H_

#include <stdint.h>
#include <string.h>

#include "cpu.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define FI_STREAM_WIDE 1
#endif

/* Copies the bytes up to the first address aligned to `align` with memcpy and returns
 * how many that was (at most n). */
static inline size_t stream_head(unsigned char *dst, const unsigned char *src, size_t n,
                                 size_t align)
{
    size_t head = (align - ((uintptr_t)dst & (align - 1))) & (align - 1);
    if (head > n) head = n;
    memcpy(dst, src, head);
    return head;
}

#if defined(FI_STREAM_WIDE)
__attribute__((target("avx512f"))) static inline void
stream_copy_avx512(unsigned char *dst, const unsigned char *src, size_t n)
{
    size_t k = stream_head(dst, src, n, 64);
    for (; k + 64 <= n; k += 64)
        _mm512_stream_si512((void *)(dst + k), _mm512_loadu_si512((const void *)(src + k)));
    memcpy(dst + k, src + k, n - k);
}

__attribute__((target("avx2"))) static inline void
stream_copy_avx2(unsigned char *dst, const unsigned char *src, size_t n)
{
    size_t k = stream_head(dst, src, n, 32);
    for (; k + 32 <= n; k += 32)
        _mm256_stream_si256((__m256i *)(void *)(dst + k),
                            _mm256_loadu_si256((const __m256i *)(const void *)(src + k)));
    memcpy(dst + k, src + k, n - k);
}
#endif

static inline void stream_copy(unsigned char *dst, const unsigned char *src, size_t n)
{
#if defined(FI_STREAM_WIDE)
    switch (fi_cpu_simd_level()) {
    case 2: stream_copy_avx512(dst, src, n); return;
    case 1: stream_copy_avx2(dst, src, n); return;
    default: break;
    }
#endif
#if defined(__SSE2__)
    size_t k = stream_head(dst, src, n, 16);
    for (; k + 16 <= n; k += 16)
        _mm_stream_si128((__m128i *)(void *)(dst + k),
                         _mm_loadu_si128((const __m128i *)(const void *)(src + k)));
    memcpy(dst + k, src + k, n - k);
#else
    memcpy(dst, src, n);
#endif
}

/* Zeroes n bytes with ordinary (temporal) vector stores, the lines staying cached.
 * glibc's memset takes `rep stosb` above 2 KiB, which on this machine's Zen 5 is slow
 * at the unaligned starts one-hot rows have: one-hot 1M x 10 f32 zeroed block by block
 * with memset took 1.9-2.3 ms on one thread, against 1.2 ms with 64-byte stores (C
 * microbench, best of 30, three runs, shared machine). */
#if defined(FI_STREAM_WIDE)
__attribute__((target("avx512f"))) static inline void store_zero_avx512(unsigned char *dst,
                                                                         size_t n)
{
    size_t k = (64 - ((uintptr_t)dst & 63)) & 63;
    if (k > n) k = n;
    memset(dst, 0, k);
    const __m512i z = _mm512_setzero_si512();
    for (; k + 64 <= n; k += 64) _mm512_store_si512((void *)(dst + k), z);
    memset(dst + k, 0, n - k);
}

__attribute__((target("avx2"))) static inline void store_zero_avx2(unsigned char *dst, size_t n)
{
    size_t k = (32 - ((uintptr_t)dst & 31)) & 31;
    if (k > n) k = n;
    memset(dst, 0, k);
    const __m256i z = _mm256_setzero_si256();
    for (; k + 32 <= n; k += 32) _mm256_store_si256((__m256i *)(void *)(dst + k), z);
    memset(dst + k, 0, n - k);
}
#endif

static inline void store_zero(unsigned char *dst, size_t n)
{
#if defined(FI_STREAM_WIDE)
    switch (fi_cpu_simd_level()) {
    case 2: store_zero_avx512(dst, n); return;
    case 1: store_zero_avx2(dst, n); return;
    default: break;
    }
#endif
    memset(dst, 0, n);
}

static inline void stream_fence(void)
{
#if defined(__SSE2__)
    _mm_sfence();
#endif
}

#endif /* FASTITER_STREAM_STORE_H_ */
