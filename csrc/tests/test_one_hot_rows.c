/* C tests of one-hot rows built in vector registers (csrc/kernels.c, oh_rows4: four-byte
 * outputs, at most 16 classes, int64 or int32 labels).  Every class count 1..17 (17 is
 * past the path), both label and output types, every output start inside a 64-byte
 * line (including starts from which no row can reach a line boundary), row counts
 * around the group sizes, streamed and written in place, on 1 and 2 threads: the bytes
 * equal a scalar reference, nothing outside the output is written, and a bad label on
 * either side of an aligned-row boundary or in a head/tail row raises FI_ERANGE with
 * its position and leaves the output untouched. */
#include "cpu.h"
#include <fastiter.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", \
    __FILE__, __LINE__, #cond); failures++; } } while (0)

enum { MAXC = 17, MAXN = 70, PAD = 64, BIGN = 70000 };

static void reference(const int64_t *lab, int64_t n, int64_t c, uint32_t one, uint32_t *o)
{
    for (int64_t i = 0; i < n; i++)
        for (int64_t t = 0; t < c; t++) o[i * c + t] = t == lab[i] ? one : 0;
}

/* Runs one-hot of lab[0..n) into dst with the given label and output types. */
static int run(const int64_t *lab, int label_dtype, int64_t n, int64_t c, void *dst,
               int out_dtype, int64_t *bad)
{
    static int32_t l32[BIGN];
    if (label_dtype == FI_INT32) {
        for (int64_t i = 0; i < n; i++) l32[i] = (int32_t)lab[i];
        return fi_one_hot(l32, FI_INT32, n, 1, c, dst, out_dtype, bad);
    }
    return fi_one_hot(lab, FI_INT64, n, 1, c, dst, out_dtype, bad);
}

static void check_small(void)
{
    static int64_t lab[MAXN];
    static uint32_t got[MAXN * MAXC + 2 * PAD + 16] __attribute__((aligned(64)));
    static uint32_t want[MAXN * MAXC + 2 * PAD + 16] __attribute__((aligned(64)));
    const int ltypes[2] = {FI_INT64, FI_INT32}, otypes[2] = {FI_FLOAT32, FI_INT32};
    const uint32_t ones[2] = {0x3F800000u, 1u};
    for (int64_t c = 1; c <= MAXC; c++)
        for (int64_t n = 0; n <= MAXN; n += n < 40 ? 1 : 15)
            for (int lt = 0; lt < 2; lt++)
                for (int ot = 0; ot < 2; ot++)
                    for (int off = 0; off < 16; off++) {
                        for (int64_t i = 0; i < n; i++) lab[i] = (i * 7 + c + off) % c;
                        memset(got, 0xC5, sizeof got);
                        memset(want, 0xC5, sizeof want);
                        reference(lab, n, c, ones[ot], want + PAD + off);
                        int64_t bad = -1;
                        CHECK(run(lab, ltypes[lt], n, c, got + PAD + off, otypes[ot], &bad) ==
                              FI_OK);
                        if (memcmp(got, want, sizeof got) != 0) {
                            fprintf(stderr, "c=%ld n=%ld lt=%d ot=%d off=%d\n", (long)c,
                                    (long)n, lt, ot, off);
                            CHECK(!"output differs from the reference");
                        }
                    }
}

/* Large enough for many pool items, through both store paths (threshold 0: streamed;
 * the largest: in place), 1 and 2 threads; bad labels near the 8-row groups' edges and
 * in the unaligned head and tail rows. */
static void check_large(void)
{
    static int64_t lab[BIGN];
    static uint32_t got[BIGN * 10 + 2 * PAD] __attribute__((aligned(64)));
    static uint32_t want[BIGN * 10 + 2 * PAD] __attribute__((aligned(64)));
    static const size_t thresholds[2] = {0, (size_t)-2};
    const int64_t c = 10;
    for (int64_t i = 0; i < BIGN; i++) lab[i] = (i * 2654435761u >> 7) % c;
    for (int p = 0; p < 2; p++)
        for (int th = 1; th <= 2; th++)
            for (int off = 0; off < 16; off += 3) {
                fi_cpu_set_stream_threshold(thresholds[p]);
                fi_set_num_threads(th);
                uint32_t *o = got + PAD + off;
                memset(want, 0, sizeof want);
                reference(lab, BIGN, c, 0x3F800000u, want + PAD + off);
                memset(got, 0xC5, sizeof got);
                CHECK(run(lab, FI_INT64, BIGN, c, o, FI_FLOAT32, NULL) == FI_OK);
                for (size_t k = 0; k < PAD + (size_t)off; k++) CHECK(got[k] == 0xC5C5C5C5u);
                CHECK(memcmp(o, want + PAD + off, sizeof(uint32_t) * BIGN * c) == 0);
                for (size_t k = PAD + off + BIGN * c; k < sizeof got / 4; k++)
                    CHECK(got[k] == 0xC5C5C5C5u);
                const int64_t at[] = {0, 1, 7, 8, 9, 15, 16, BIGN / 2 - 1, BIGN / 2,
                                      BIGN - 9, BIGN - 8, BIGN - 1};
                for (size_t a = 0; a < sizeof at / sizeof at[0]; a++)
                    for (int lt = 0; lt < 2; lt++) {
                        int64_t keep = lab[at[a]], bad = -1;
                        lab[at[a]] = a % 2 ? c : -1;
                        memset(got, 0xC5, sizeof got);
                        CHECK(run(lab, lt ? FI_INT32 : FI_INT64, BIGN, c, o, FI_FLOAT32,
                                  &bad) == FI_ERANGE);
                        CHECK(bad == at[a]);
                        for (size_t k = 0; k < sizeof got / 4; k++)
                            if (got[k] != 0xC5C5C5C5u) {
                                CHECK(!"a bad label left the output written");
                                break;
                            }
                        lab[at[a]] = keep;
                    }
            }
    fi_cpu_set_stream_threshold((size_t)-2);
}

int main(void)
{
    check_small();
    check_large();
    fi_pool_shutdown();
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("test_one_hot_rows: passed\n");
    return 0;
}
