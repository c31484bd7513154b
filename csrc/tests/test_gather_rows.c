/* C tests of fi_gather's row copy (csrc/gather.c): which rows take the inline vector
 * loop, and that every row size around its limits (1..1100 bytes), every output and
 * source start inside a 32-byte vector, and source strides past the row give the bytes
 * of a memcpy reference, with nothing written outside the output; on 1 and 2 threads.
 * A bad index at any position of the vector range check (inside or at the edge of a
 * 16- or 32-index block, or in the scalar tail) is reported at that position, and
 * nothing is written. */
#include "cpu.h"
#include "gather_rows.h"
#include <fastiter.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond) do { if (!(cond)) { if (failures++ < 20) fprintf(stderr, \
    "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); } } while (0)

enum { MAXRB = 1100, NROWS = 13, NIDX = 9, PAD = 64, GUARD = 0xA5 };

static void test_which_rows_are_inline(void)
{
    const int vec = fi_cpu_simd_level() >= 1;
#if defined(__x86_64__) && defined(__GNUC__)
    CHECK(fi_gather_inline_rows(32) == vec);
    CHECK(fi_gather_inline_rows(512) == vec); /* a 128-float32 row */
    CHECK(fi_gather_inline_rows(1024) == vec);
#else
    CHECK(fi_gather_inline_rows(512) == 0);
#endif
    CHECK(fi_gather_inline_rows(0) == 0);
    CHECK(fi_gather_inline_rows(31) == 0);
    CHECK(fi_gather_inline_rows(1025) == 0);
    CHECK(fi_gather_inline_rows((size_t)1 << 20) == 0);
}

static void test_rows_equal_memcpy(void)
{
    static const size_t dst_offs[] = {0, 1, 15, 16, 31, 32};
    static const size_t src_offs[] = {0, 7, 16};
    const int64_t idx[NIDX] = {12, 0, 5, 5, 11, 1, 7, 3, 12};
    unsigned char *src = malloc((size_t)NROWS * (MAXRB + 5) + PAD);
    unsigned char *out = malloc((size_t)NIDX * MAXRB + 3 * PAD);
    unsigned char *want = malloc((size_t)NIDX * MAXRB);
    for (size_t i = 0; i < (size_t)NROWS * (MAXRB + 5) + PAD; i++)
        src[i] = (unsigned char)(i * 131 + i / 251 + 1);
    for (int threads = 1; threads <= 2; threads++) {
        CHECK(fi_set_num_threads(threads) == FI_OK);
        for (size_t rb = 1; rb <= MAXRB; rb++) {
            for (size_t so = 0; so < sizeof src_offs / sizeof *src_offs; so++) {
                for (int extra = 0; extra <= 5; extra += 5) {
                    const int64_t stride = (int64_t)rb + extra;
                    const unsigned char *s = src + src_offs[so];
                    for (int64_t k = 0; k < NIDX; k++)
                        memcpy(want + (size_t)k * rb, s + (size_t)(idx[k] * stride), rb);
                    for (size_t d = 0; d < sizeof dst_offs / sizeof *dst_offs; d++) {
                        unsigned char *o = out + PAD + dst_offs[d];
                        memset(out, GUARD, (size_t)NIDX * MAXRB + 3 * PAD);
                        CHECK(fi_gather(s, NROWS, stride, rb, idx, NIDX, o, NULL) == FI_OK);
                        if (memcmp(o, want, (size_t)NIDX * rb) != 0) {
                            fprintf(stderr, "row bytes %zu, src +%zu, stride %lld, out +%zu\n",
                                    rb, src_offs[so], (long long)stride, dst_offs[d]);
                            CHECK(0);
                        }
                        for (unsigned char *g = out; g < o; g++) CHECK(*g == GUARD);
                        for (size_t g = 0; g < PAD; g++)
                            if (o[(size_t)NIDX * rb + g] != GUARD) {
                                if (failures < 20)
                                    fprintf(stderr, "row bytes %zu, out +%zu: byte %zu past\n",
                                            rb, dst_offs[d], g);
                                CHECK(0);
                            }
                    }
                }
            }
        }
    }
    free(src), free(out), free(want);
}

/* A 512 KiB gather (1024 rows of 512 B: the pool's regime when a worker polls) equals
 * the reference whichever thread copied which rows. */
static void test_pool_sized_gather(void)
{
    enum { ROWS = 3000, RB = 512, N = 1024 };
    unsigned char *src = malloc((size_t)ROWS * RB), *out = malloc((size_t)N * RB + 16);
    int64_t *idx = malloc(sizeof(int64_t) * N);
    for (size_t i = 0; i < (size_t)ROWS * RB; i++) src[i] = (unsigned char)(i * 7 + i / RB);
    for (int k = 0; k < N; k++) idx[k] = (k * 2741 + 5) % ROWS;
    CHECK(fi_set_num_threads(2) == FI_OK);
    for (int rep = 0; rep < 50; rep++) { /* back to back: the worker polls after the first */
        memset(out, GUARD, (size_t)N * RB + 16);
        CHECK(fi_gather(src, ROWS, RB, RB, idx, N, out + 16, NULL) == FI_OK);
        for (int k = 0; k < N; k++)
            CHECK(memcmp(out + 16 + (size_t)k * RB, src + (size_t)idx[k] * RB, RB) == 0);
        for (int g = 0; g < 16; g++) CHECK(out[g] == GUARD);
    }
    free(src), free(out), free(idx);
}

static void test_bad_index_at_every_position(void)
{
    enum { N = 70, ROWS = 40, RB = 64 };
    static const int64_t bads[] = {-1, ROWS, INT64_MIN, INT64_MAX, ROWS + 1000};
    unsigned char src[ROWS * RB], out[N * RB];
    int64_t idx[N];
    for (int i = 0; i < ROWS * RB; i++) src[i] = (unsigned char)i;
    for (int pos = 0; pos < N; pos++) {
        for (size_t b = 0; b < sizeof bads / sizeof *bads; b++) {
            for (int k = 0; k < N; k++) idx[k] = (k * 7) % ROWS;
            idx[pos] = bads[b];
            if (pos + 3 < N) idx[pos + 3] = -5; /* a later bad index is not the one named */
            int64_t bad = -1;
            memset(out, GUARD, sizeof out);
            CHECK(fi_gather(src, ROWS, RB, RB, idx, N, out, &bad) == FI_ERANGE);
            CHECK(bad == pos);
            for (size_t i = 0; i < sizeof out; i++) CHECK(out[i] == GUARD);
        }
    }
    for (int k = 0; k < N; k++) idx[k] = ROWS - 1 - k % ROWS; /* the largest valid index */
    CHECK(fi_gather(src, ROWS, RB, RB, idx, N, out, NULL) == FI_OK);
}

int main(void)
{
    test_which_rows_are_inline();
    test_rows_equal_memcpy();
    test_pool_sized_gather();
    test_bad_index_at_every_position();
    fi_pool_shutdown();
    if (failures) {
        fprintf(stderr, "test_gather_rows: %d failures\n", failures);
        return 1;
    }
    printf("test_gather_rows: all checks passed (SIMD level %d)\n", fi_cpu_simd_level());
    return 0;
}
