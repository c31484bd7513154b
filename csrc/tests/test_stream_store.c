/* C tests of the streaming copies (csrc/stream_store.h, internal): every store width
 * the CPU offers writes exactly the bytes memcpy writes, at every destination
 * alignment and length around the vector widths, and nothing outside them. */
#include "stream_store.h"
#include "cpu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", \
    __FILE__, __LINE__, #cond); failures++; } } while (0)

typedef void (*copy_fn)(unsigned char *, const unsigned char *, size_t);

static void check_copy(copy_fn fn, const char *name)
{
    enum { PAD = 128, MAXN = 400 };
    static unsigned char src[MAXN + PAD], got[MAXN + 2 * PAD], want[MAXN + 2 * PAD];
    for (size_t k = 0; k < sizeof src; k++) src[k] = (unsigned char)(k * 37 + 11);
    for (size_t off = 0; off < 64; off++) {
        for (size_t n = 0; n <= MAXN; n += (n < 140 ? 1 : 13)) {
            memset(got, 0xC5, sizeof got);
            memset(want, 0xC5, sizeof want);
            fn(got + PAD + off, src + (off & 7), n);
            stream_fence();
            memcpy(want + PAD + off, src + (off & 7), n);
            if (memcmp(got, want, sizeof got) != 0) {
                fprintf(stderr, "%s: offset %zu length %zu differs from memcpy\n", name, off, n);
                failures++;
                return;
            }
        }
    }
}

int main(void)
{
    check_copy(stream_copy, "stream_copy (dispatched)");
#if defined(FI_STREAM_WIDE)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) check_copy(stream_copy_avx2, "avx2");
    if (__builtin_cpu_supports("avx512f")) check_copy(stream_copy_avx512, "avx512");
    CHECK(fi_cpu_simd_level() >= 0 && fi_cpu_simd_level() <= 2);
#endif
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("test_stream_store: all passed\n");
    return 0;
}
