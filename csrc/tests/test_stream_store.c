/* C tests of the streaming copies (csrc/stream_store.h, internal): every store width
 * the CPU offers writes exactly the bytes memcpy writes, at every destination
 * alignment and length around the vector widths, and nothing outside them.  The same
 * for the temporal zeroing against memset, and one-hot written in place (under the
 * stream threshold) against one-hot streamed (above it). */
#include "stream_store.h"
#include "cpu.h"
#include <fastiter.h>

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

typedef void (*zero_fn)(unsigned char *, size_t);

static void check_zero(zero_fn fn, const char *name)
{
    enum { PAD = 128, MAXN = 400 };
    static unsigned char got[MAXN + 2 * PAD], want[MAXN + 2 * PAD];
    for (size_t off = 0; off < 64; off++) {
        for (size_t n = 0; n <= MAXN; n += (n < 140 ? 1 : 13)) {
            memset(got, 0xC5, sizeof got);
            memset(want, 0xC5, sizeof want);
            fn(got + PAD + off, n);
            memset(want + PAD + off, 0, n);
            if (memcmp(got, want, sizeof got) != 0) {
                fprintf(stderr, "%s: offset %zu length %zu differs from memset\n", name, off, n);
                failures++;
                return;
            }
        }
    }
}

/* One-hot through both store paths (threshold 0: streamed; the largest: in place),
 * into outputs starting at every byte offset of a cache line, for row counts around
 * the staging block and the parallel chunk: the same bytes as a plain loop, and
 * nothing written outside the output. */
static void check_one_hot_paths(void)
{
    enum { PAD = 64, MAXROWS = 7000, MAXC = 12 };
    static const int64_t rows[] = {0, 1, 2, 63, 64, 65, 819, 820, 821, 1639, 4097, MAXROWS};
    static const int64_t classes[] = {1, 3, 10, MAXC};
    static int64_t labels[MAXROWS];
    static unsigned char got[2][MAXROWS * MAXC + 2 * PAD], want[MAXROWS * MAXC + 2 * PAD];
    static const size_t thresholds[2] = {0, (size_t)-2};
    for (size_t ci = 0; ci < sizeof classes / sizeof *classes; ci++) {
        const int64_t c = classes[ci];
        for (size_t ri = 0; ri < sizeof rows / sizeof *rows; ri++) {
            const int64_t n = rows[ri];
            for (int64_t i = 0; i < n; i++) labels[i] = (i * 7 + i / 3) % c;
            for (size_t off = 0; off < 64; off += (n > 100 ? 7 : 1)) {
                memset(want, 0xC5, sizeof want);
                memset(want + PAD + off, 0, (size_t)(n * c));
                for (int64_t i = 0; i < n; i++) want[PAD + off + (size_t)(i * c + labels[i])] = 1;
                for (int p = 0; p < 2; p++) {
                    fi_cpu_set_stream_threshold(thresholds[p]);
                    memset(got[p], 0xC5, sizeof got[p]);
                    CHECK(fi_one_hot(labels, FI_INT64, n, 1, c, got[p] + PAD + off, FI_UINT8,
                                     NULL) == FI_OK);
                    if (memcmp(got[p], want, sizeof want) != 0) {
                        fprintf(stderr, "one-hot (%s) %lld x %lld at offset %zu differs\n",
                                p ? "in place" : "streamed", (long long)n, (long long)c, off);
                        failures++;
                        return;
                    }
                }
            }
        }
    }
    /* f32 rows (4-byte aligned offsets), on the pool's threads */
    static float fgot[2][MAXROWS * MAXC + 32];
    for (int64_t i = 0; i < MAXROWS; i++) labels[i] = (i * 7 + i / 3) % 10;
    for (int p = 0; p < 2; p++) {
        fi_cpu_set_stream_threshold(thresholds[p]);
        for (size_t k = 0; k < sizeof fgot[p] / sizeof(float); k++) fgot[p][k] = -1.0f;
        CHECK(fi_one_hot(labels, FI_INT64, MAXROWS, 1, 10, fgot[p] + 3, FI_FLOAT32, NULL) ==
              FI_OK);
    }
    CHECK(memcmp(fgot[0], fgot[1], sizeof fgot[0]) == 0);
    CHECK(fgot[0][2] == -1.0f && fgot[0][3 + MAXROWS * 10] == -1.0f);
    for (int64_t i = 0; i < MAXROWS; i++) CHECK(fgot[1][3 + i * 10 + labels[i]] == 1.0f);
}

int main(void)
{
    check_zero(store_zero, "store_zero (dispatched)");
    check_one_hot_paths();
    check_copy(stream_copy, "stream_copy (dispatched)");
#if defined(FI_STREAM_WIDE)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) check_copy(stream_copy_avx2, "avx2");
    if (__builtin_cpu_supports("avx512f")) check_copy(stream_copy_avx512, "avx512");
    if (__builtin_cpu_supports("avx2")) check_zero(store_zero_avx2, "zero avx2");
    if (__builtin_cpu_supports("avx512f")) check_zero(store_zero_avx512, "zero avx512");
    CHECK(fi_cpu_simd_level() >= 0 && fi_cpu_simd_level() <= 2);
#endif
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("test_stream_store: all passed\n");
    return 0;
}
