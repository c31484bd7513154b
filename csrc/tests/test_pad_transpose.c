/* C tests of padding's transpose (csrc/pad_transpose.h, internal) and of
 * fi_pad_sequences around it.
 *
 * Every path the CPU offers (scalar, AVX2, and the dispatched one) writes exactly the
 * bytes of a plain byte loop written here: every feature count 1..17, element sizes
 * 1, 2, 3, 4, 8 and 16, step counts around the tile sizes (odd ones included), rows
 * placed at the start and at the end of longer rows (align_start and align_end), with
 * guard bytes around the output that must stay untouched.  The source of each call
 * ends where an unreadable page starts, so that a read past it (masked loads
 * included, which ASan does not see) crashes the test. */
#define _DEFAULT_SOURCE /* mmap's MAP_ANONYMOUS */
#include "pad_transpose.h"
#include "cpu.h"
#include <fastiter.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int failures = 0;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", \
    __FILE__, __LINE__, #cond); failures++; } } while (0)

typedef void (*transpose_fn)(unsigned char *, int64_t, const unsigned char *, int64_t,
                             int64_t, size_t);

enum { GUARD = 64, MAXF = 17, MAXC = 41, EXTRA = 5, MAXES = 16 };

/* dst[f * stride + t] = src[t * F + f], byte by byte */
static void reference(unsigned char *dst, int64_t stride, const unsigned char *src,
                      int64_t c, int64_t F, size_t es)
{
    for (int64_t f = 0; f < F; f++)
        for (int64_t t = 0; t < c; t++)
            for (size_t b = 0; b < es; b++)
                dst[(size_t)(f * stride + t) * es + b] = src[(size_t)(t * F + f) * es + b];
}

static void check_transpose(transpose_fn fn, const char *name)
{
    static const size_t sizes[] = {1, 2, 3, 4, 8, 16};
    static const int64_t steps[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 11, 15, 16, 17, 23, 31, 33, MAXC};
    enum { CAP = (MAXF * (MAXC + EXTRA)) * MAXES + 2 * GUARD };
    static unsigned char got[CAP], want[CAP];
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    const size_t room = (MAXF * MAXC * MAXES + page - 1) / page * page;
    unsigned char *map = mmap(NULL, room + page, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED || mprotect(map + room, page, PROT_NONE) != 0) abort();
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        const size_t es = sizes[si];
        for (int64_t F = 1; F <= MAXF; F++) {
            for (size_t ci = 0; ci < sizeof steps / sizeof *steps; ci++) {
                const int64_t c = steps[ci];
                unsigned char *src = map + room - (size_t)(c * F) * es;
                for (size_t k = 0; k < (size_t)(c * F) * es; k++)
                    src[k] = (unsigned char)(k * 131 + es * 7 + (size_t)F + 1);
                /* rows exactly c long, and rows EXTRA longer holding the block at their
                 * start (align_start) or at their end (align_end) */
                for (int place = 0; place < 3; place++) {
                    const int64_t stride = place == 0 ? c : c + EXTRA;
                    const int64_t st = place == 2 ? EXTRA : 0;
                    memset(got, 0xC5, sizeof got);
                    memset(want, 0xC5, sizeof want);
                    reference(want + GUARD + (size_t)st * es, stride, src, c, F, es);
                    fn(got + GUARD + (size_t)st * es, stride, src, c, F, es);
                    if (memcmp(got, want, sizeof got) != 0) {
                        fprintf(stderr,
                                "%s: es %zu F %lld c %lld stride %lld start %lld differs\n",
                                name, es, (long long)F, (long long)c, (long long)stride,
                                (long long)st);
                        failures++;
                        munmap(map, room + page);
                        return;
                    }
                }
            }
        }
    }
    munmap(map, room + page);
}

/* fi_pad_sequences, [N, F, T] with a mask, against a plain loop: both alignments, zero
 * and non-zero pads, f32 and f64, blocks that fit the staging buffer and blocks that
 * do not, output at an odd element offset, guard elements around out and mask. */
static void check_pad_nft(size_t es, int64_t F, int64_t T, int zero_pad)
{
    enum { N = 37, G = 16 };
    int64_t count[N], start[N], begin[N];
    const void *seqs[N];
    unsigned char *data[N];
    unsigned char pad[8], one[4];
    const float onef = 1.0f;
    memcpy(one, &onef, 4);
    for (size_t b = 0; b < es; b++) pad[b] = zero_pad ? 0 : (unsigned char)(0x40 + b);
    const size_t out_bytes = (size_t)(N * F * T) * es, mask_bytes = (size_t)(N * T) * 4;
    unsigned char *got = malloc(out_bytes + 2 * G * es), *want = malloc(out_bytes + 2 * G * es);
    unsigned char *gm = malloc(mask_bytes + 2 * G * 4), *wm = malloc(mask_bytes + 2 * G * 4);
    if (!got || !want || !gm || !wm) abort();
    for (int align_end = 0; align_end < 2; align_end++) {
        for (int64_t i = 0; i < N; i++) {
            count[i] = i == 3 ? 0 : (i * 13 + 5) % (T + 1);
            begin[i] = i % 3;
            start[i] = align_end ? T - count[i] : 0;
            data[i] = malloc((size_t)((begin[i] + count[i]) * F) * es + 1);
            if (!data[i]) abort();
            for (size_t k = 0; k < (size_t)((begin[i] + count[i]) * F) * es; k++)
                data[i][k] = (unsigned char)(k * 29 + (size_t)i * 3 + 1);
            seqs[i] = data[i];
        }
        memset(want, 0xC5, out_bytes + 2 * G * es);
        memset(wm, 0xC5, mask_bytes + 2 * G * 4);
        for (int64_t i = 0; i < N; i++)
            for (int64_t f = 0; f < F; f++)
                for (int64_t t = 0; t < T; t++) {
                    unsigned char *d = want + (size_t)(G + (i * F + f) * T + t) * es;
                    const int64_t k = t - start[i];
                    if (k >= 0 && k < count[i])
                        memcpy(d, data[i] + (size_t)((begin[i] + k) * F + f) * es, es);
                    else
                        memcpy(d, pad, es);
                    float m = k >= 0 && k < count[i] ? 1.0f : 0.0f;
                    memcpy(wm + (size_t)(G + i * T + t) * 4, &m, 4);
                }
        memset(got, 0xC5, out_bytes + 2 * G * es);
        memset(gm, 0xC5, mask_bytes + 2 * G * 4);
        int64_t bad = -1;
        CHECK(fi_pad_sequences(seqs, begin, count, start, N, F, T, es, FI_LAYOUT_NFT, pad,
                               got + G * es, gm + G * 4, 4, one, &bad) == FI_OK);
        if (memcmp(got, want, out_bytes + 2 * G * es) != 0 ||
            memcmp(gm, wm, mask_bytes + 2 * G * 4) != 0) {
            fprintf(stderr, "pad NFT es %zu F %lld T %lld zero %d end %d differs\n", es,
                    (long long)F, (long long)T, zero_pad, align_end);
            failures++;
        }
        for (int64_t i = 0; i < N; i++) free(data[i]);
    }
    free(got);
    free(want);
    free(gm);
    free(wm);
}

int main(void)
{
    check_transpose(pad_transpose_scalar, "scalar");
    check_transpose(pad_transpose, "dispatched");
#if defined(FI_PAD_TRANSPOSE_SIMD)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) check_transpose(pad_transpose_avx2, "avx2");
#endif
    static const int64_t feats[] = {1, 3, 8, 9};
    for (size_t fi = 0; fi < sizeof feats / sizeof *feats; fi++)
        for (int zero = 0; zero < 2; zero++) {
            check_pad_nft(4, feats[fi], 200, zero); /* staged: 200 * F * 4 <= 16 KiB */
            check_pad_nft(8, feats[fi], 23, zero);
            check_pad_nft(4, feats[fi], 700, zero); /* past the staging buffer for F >= 8 */
            check_pad_nft(2, feats[fi], 19, zero);
        }
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("test_pad_transpose: all passed\n");
    return 0;
}
