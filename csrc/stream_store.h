/*
 * Internal to the C core: non-temporal (streaming) copies for write-only outputs far
 * larger than the caches.  Ordinary stores first read every line for ownership,
 * doubling the memory traffic; streaming stores skip that read.  A kernel that
 * streams calls stream_fence() before its results are consumed.
 */
#ifndef FASTITER_STREAM_STORE_H_
#define FASTITER_STREAM_STORE_H_

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static inline void stream_copy(unsigned char *dst, const unsigned char *src, size_t n)
{
#if defined(__SSE2__)
    size_t head = (16 - ((uintptr_t)dst & 15)) & 15;
    if (head > n) head = n;
    memcpy(dst, src, head);
    size_t k = head;
    for (; k + 16 <= n; k += 16)
        _mm_stream_si128((__m128i *)(void *)(dst + k),
                         _mm_loadu_si128((const __m128i *)(const void *)(src + k)));
    memcpy(dst + k, src + k, n - k);
#else
    memcpy(dst, src, n);
#endif
}

static inline void stream_fence(void)
{
#if defined(__SSE2__)
    _mm_sfence();
#endif
}

#endif /* FASTITER_STREAM_STORE_H_ */
