/* C tests of the kernels, through the public header only.  Exit non-zero on failure. */
#include <fastiter.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", \
    __FILE__, __LINE__, #cond); failures++; } } while (0)

static void test_one_hot_basic(void)
{
    const int64_t labels[4] = {0, 2, 1, 2};
    float out[12];
    int64_t bad = -7;
    CHECK(fi_one_hot_i64_f32(labels, 4, 1, 3, out, &bad) == FI_OK);
    for (int i = 0; i < 4; i++)
        for (int c = 0; c < 3; c++)
            CHECK(out[i * 3 + c] == (c == labels[i] ? 1.0f : 0.0f));
    CHECK(bad == -7);
}

static void test_one_hot_time_series(void)
{
    /* labels [N=2, T=3] -> out [2, C=2, 3] */
    const uint8_t labels[6] = {0, 1, 1, 1, 0, 0};
    double out[12];
    CHECK(fi_one_hot(labels, FI_UINT8, 2, 3, 2, out, FI_FLOAT64, NULL) == FI_OK);
    for (int n = 0; n < 2; n++)
        for (int c = 0; c < 2; c++)
            for (int t = 0; t < 3; t++)
                CHECK(out[(n * 2 + c) * 3 + t] == (labels[n * 3 + t] == c ? 1.0 : 0.0));
}

static void test_one_hot_bad_label_leaves_output(void)
{
    const int16_t labels[3] = {1, -1, 5};
    uint16_t out[6];
    memset(out, 0xAB, sizeof out);
    int64_t bad = -1;
    CHECK(fi_one_hot(labels, FI_INT16, 3, 1, 2, out, FI_FLOAT16, &bad) == FI_ERANGE);
    CHECK(bad == 1);
    for (int i = 0; i < 6; i++) CHECK(out[i] == 0xABAB);
    CHECK(fi_one_hot(labels, FI_FLOAT32, 3, 1, 2, out, FI_FLOAT16, &bad) == FI_EINVAL);
    CHECK(fi_one_hot_i16_f16(labels, 3, 1, 0, out, &bad) == FI_EINVAL);
}

static void test_one_hot_zeroed_and_large(void)
{
    /* large enough for the pool: 50000 labels, C = 7, both entry points agree */
    enum { NL = 50000, NC = 7 };
    int32_t *labels = malloc(sizeof(int32_t) * NL);
    float *a = malloc(sizeof(float) * NL * NC), *b = calloc(NL * NC, sizeof(float));
    for (int i = 0; i < NL; i++) labels[i] = (int32_t)((i * 2654435761u) % NC);
    memset(a, 0xFF, sizeof(float) * NL * NC);
    CHECK(fi_one_hot(labels, FI_INT32, NL, 1, NC, a, FI_FLOAT32, NULL) == FI_OK);
    CHECK(fi_one_hot_zeroed(labels, FI_INT32, NL, 1, NC, b, FI_FLOAT32, NULL) == FI_OK);
    CHECK(memcmp(a, b, sizeof(float) * NL * NC) == 0);
    for (int i = 0; i < NL; i += 997) CHECK(a[i * NC + labels[i]] == 1.0f);
    labels[40000] = NC;
    labels[45000] = -1;
    int64_t bad = -1;
    CHECK(fi_one_hot(labels, FI_INT32, NL, 1, NC, a, FI_FLOAT32, &bad) == FI_ERANGE);
    CHECK(bad == 40000); /* the first bad label, whichever thread saw it */
    free(labels);
    free(a);
    free(b);
}

/* int64 labels go through the SIMD range check (blocks of 16 or 32 labels, then a
 * scalar tail); a bad label at every position of the blocks and the tail, with every
 * kind of bad value, must be the one reported, and the output must stay untouched. */
static void test_one_hot_i64_bad_label_at_every_position(void)
{
    enum { NL = 101, NC = 5 };
    static const int64_t bad_values[] = {-1, INT64_MIN, NC, NC + 1, INT64_MAX};
    int64_t labels[NL];
    float out[NL * NC];
    for (int pos = 0; pos < NL; pos++)
        for (size_t v = 0; v < sizeof bad_values / sizeof bad_values[0]; v++) {
            int64_t bad = -7;
            for (int i = 0; i < NL; i++) labels[i] = i % NC;
            labels[pos] = bad_values[v];
            if (pos + 40 < NL) labels[pos + 40] = -1; /* a later bad label is not named */
            for (int i = 0; i < NL * NC; i++) out[i] = -2.0f;
            CHECK(fi_one_hot_i64_f32(labels, NL, 1, NC, out, &bad) == FI_ERANGE);
            CHECK(bad == pos);
            for (int i = 0; i < NL * NC; i++) CHECK(out[i] == -2.0f);
        }
    {   /* past the serial threshold the check runs on the pool, chunk by chunk */
        enum { BIG = 3000000 };
        int64_t *big = malloc(sizeof(int64_t) * BIG);
        uint8_t *o8 = malloc((size_t)BIG * 4);
        int64_t bad = -7;
        CHECK(big != NULL && o8 != NULL);
        for (int i = 0; i < BIG; i++) big[i] = i % 4;
        big[2500003] = 4;
        big[2900000] = -1;
        memset(o8, 0x5A, (size_t)BIG * 4);
        CHECK(fi_one_hot(big, FI_INT64, BIG, 1, 4, o8, FI_UINT8, &bad) == FI_ERANGE);
        CHECK(bad == 2500003);
        for (size_t i = 0; i < (size_t)BIG * 4; i += 4093) CHECK(o8[i] == 0x5A);
        free(big);
        free(o8);
    }
    for (int i = 0; i < NL; i++) labels[i] = NC - 1 - i % NC; /* the top class is valid */
    CHECK(fi_one_hot_i64_f32(labels, NL, 1, NC, out, NULL) == FI_OK);
    for (int i = 0; i < NL; i++)
        for (int c = 0; c < NC; c++)
            CHECK(out[i * NC + c] == (c == labels[i] ? 1.0f : 0.0f));
}

static void test_one_hot_empty(void)
{
    CHECK(fi_one_hot(NULL, FI_INT32, 0, 1, 4, NULL, FI_FLOAT32, NULL) == FI_OK);
    CHECK(fi_dtype_size(FI_FLOAT16) == 2 && fi_dtype_size(FI_NDTYPES) == 0);
    CHECK(strcmp(fi_status_str(FI_ERANGE), "value out of range") == 0);
}


/* Two sequences of F=2 float rows: lengths 3 and 1, T=4, one aligned end, NFT and NTF. */
static void test_pad_layouts_and_mask(void)
{
    const float a[6] = {1, 2, 3, 4, 5, 6}, b[2] = {7, 8};
    const void *seqs[2] = {a, b};
    const int64_t src_begin[2] = {0, 0}, count[2] = {3, 1}, start[2] = {0, 3};
    const float pad = -1.0f, one = 1.0f;
    float ntf[16], nft[16], mask[8];
    int64_t bad = -1;
    CHECK(fi_pad_sequences(seqs, src_begin, count, start, 2, 2, 4, sizeof(float),
                           FI_LAYOUT_NTF, &pad, ntf, mask, sizeof(float), &one, &bad) == FI_OK);
    const float want_ntf[16] = {1, 2, 3, 4, 5, 6, -1, -1, -1, -1, -1, -1, -1, -1, 7, 8};
    const float want_mask[8] = {1, 1, 1, 0, 0, 0, 0, 1};
    for (int k = 0; k < 16; k++) CHECK(ntf[k] == want_ntf[k]);
    for (int k = 0; k < 8; k++) CHECK(mask[k] == want_mask[k]);
    CHECK(fi_pad_sequences(seqs, src_begin, count, start, 2, 2, 4, sizeof(float),
                           FI_LAYOUT_NFT, &pad, nft, NULL, 0, NULL, &bad) == FI_OK);
    for (int i = 0; i < 2; i++)
        for (int f = 0; f < 2; f++)
            for (int t = 0; t < 4; t++)
                CHECK(nft[(i * 2 + f) * 4 + t] == ntf[(i * 4 + t) * 2 + f]);
    CHECK(bad == -1);
}

static void test_pad_truncation_and_bad_start(void)
{
    const uint8_t a[5] = {1, 2, 3, 4, 5};
    const void *seqs[2] = {a, NULL}; /* a length-0 sequence may have no data */
    const int64_t src_begin[2] = {2, 0}, count[2] = {3, 0}, start[2] = {0, 0};
    const uint8_t pad = 9, one = 1;
    uint8_t out[6], mask[6];
    int64_t bad = -1;
    CHECK(fi_pad_sequences(seqs, src_begin, count, start, 2, 1, 3, 1, FI_LAYOUT_NFT, &pad,
                           out, mask, 1, &one, &bad) == FI_OK);
    const uint8_t want[6] = {3, 4, 5, 9, 9, 9}, wmask[6] = {1, 1, 1, 0, 0, 0};
    CHECK(memcmp(out, want, 6) == 0 && memcmp(mask, wmask, 6) == 0);
    const int64_t late[2] = {0, 4};
    memset(out, 0xEE, sizeof out);
    CHECK(fi_pad_sequences(seqs, src_begin, count, late, 2, 1, 3, 1, FI_LAYOUT_NFT, &pad,
                           out, NULL, 0, NULL, &bad) == FI_EINVAL);
    CHECK(bad == 1 && out[0] == 0xEE);
    CHECK(fi_pad_sequences(seqs, src_begin, count, start, 2, 1, 3, 1, 7, &pad, out, NULL, 0,
                           NULL, &bad) == FI_EINVAL);
}

static void test_gather_and_collate(void)
{
    int16_t src[5][3];
    for (int r = 0; r < 5; r++)
        for (int c = 0; c < 3; c++) src[r][c] = (int16_t)(r * 10 + c);
    const int64_t idx[4] = {4, 0, 4, 2};
    int16_t out[4][3];
    int64_t bad = -1;
    CHECK(fi_gather(src, 5, sizeof src[0], sizeof src[0], idx, 4, out, &bad) == FI_OK);
    for (int k = 0; k < 4; k++) CHECK(memcmp(out[k], src[idx[k]], sizeof src[0]) == 0);
    /* every other row: a row stride of two rows */
    CHECK(fi_gather(src, 3, 2 * sizeof src[0], sizeof src[0], idx + 1, 1, out, &bad) == FI_OK);
    CHECK(out[0][0] == 0);
    const int64_t badidx[3] = {1, 5, -1};
    memset(out, 0x5A, sizeof out);
    CHECK(fi_gather(src, 5, sizeof src[0], sizeof src[0], badidx, 3, out, &bad) == FI_ERANGE);
    CHECK(bad == 1 && out[0][0] == 0x5A5A);
    /* negative indices, the most negative included, are refused by the same compare */
    const int64_t negidx[3] = {0, INT64_MIN, -1};
    CHECK(fi_gather(src, 5, sizeof src[0], sizeof src[0], negidx, 3, out, &bad) == FI_ERANGE);
    CHECK(bad == 1 && out[0][0] == 0x5A5A);
    CHECK(fi_gather(src, 5, sizeof src[0], sizeof src[0], negidx + 2, 1, out, &bad) == FI_ERANGE);
    CHECK(bad == 0);
    const void *items[3] = {src[3], src[1], src[3]};
    CHECK(fi_collate(items, 3, sizeof src[0], out) == FI_OK);
    CHECK(out[0][2] == 32 && out[1][0] == 10 && out[2][1] == 31);
    const void *none[1] = {NULL};
    CHECK(fi_collate(none, 1, 4, out) == FI_EINVAL);
}

/* Gathers on either side of the calling-thread limit (256 KiB of output): 511, 512 and
 * 513 rows of 512 bytes, and 2000 rows (the pool's path), row by row as memcpy would. */
static void test_gather_both_sides_of_serial_limit(void)
{
    enum { ROWS = 3000, RB = 512, MAXN = 2000 };
    static unsigned char src[ROWS][RB], out[MAXN + 1][RB];
    static int64_t idx[MAXN];
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < RB; c++) src[r][c] = (unsigned char)(r * 31 + c);
    for (int k = 0; k < MAXN; k++) idx[k] = (k * 1237 + 11) % ROWS;
    const int64_t ns[] = {511, 512, 513, MAXN};
    for (size_t t = 0; t < sizeof ns / sizeof *ns; t++) {
        memset(out, 0xEE, sizeof out);
        CHECK(fi_gather(src, ROWS, RB, RB, idx, ns[t], out, NULL) == FI_OK);
        for (int64_t k = 0; k < ns[t]; k++) CHECK(memcmp(out[k], src[idx[k]], RB) == 0);
        CHECK(out[ns[t]][0] == 0xEE && out[ns[t]][RB - 1] == 0xEE);
    }
}

static void test_random(void)
{
    /* Random123 known answer: counter 0, key 0 */
    uint32_t w[8];
    CHECK(fi_random_bits(0, 0, 0, 8, w) == FI_OK);
    CHECK(w[0] == 0x6627e8d5u && w[3] == 0x9b00dbd8u);
    uint32_t part[3];
    CHECK(fi_random_bits(0, 0, 5, 3, part) == FI_OK);
    CHECK(memcmp(part, w + 5, sizeof part) == 0);
    static float u[5000], u2[5000], z[5000];
    CHECK(fi_random_uniform(42, 1, 0, 5000, u, FI_FLOAT32) == FI_OK);
    CHECK(fi_random_uniform(42, 1, 0, 1237, u2, FI_FLOAT32) == FI_OK);
    CHECK(fi_random_uniform(42, 1, 1237, 5000 - 1237, u2 + 1237, FI_FLOAT32) == FI_OK);
    CHECK(memcmp(u, u2, sizeof u) == 0);
    double mean = 0;
    for (int k = 0; k < 5000; k++) {
        CHECK(u[k] >= 0.0f && u[k] < 1.0f);
        mean += u[k] / 5000.0;
    }
    CHECK(mean > 0.47 && mean < 0.53);
    CHECK(fi_random_normal(42, 1, 3, 5000, z, FI_FLOAT32) == FI_OK);
    double m2 = 0;
    for (int k = 0; k < 5000; k++) m2 += (double)z[k] * z[k] / 5000.0;
    CHECK(m2 > 0.9 && m2 < 1.1);
    int8_t ints[1000];
    CHECK(fi_random_integers(7, 0, 0, 1000, -3, 5, ints, FI_INT8) == FI_OK);
    for (int k = 0; k < 1000; k++) CHECK(ints[k] >= -3 && ints[k] <= 1);
    CHECK(fi_random_integers(7, 0, 0, 10, 120, 10, ints, FI_INT8) == FI_EINVAL);
    double bin[100];
    CHECK(fi_random_binary(7, 0, 0, 100, 1.0, bin, FI_FLOAT64) == FI_OK);
    for (int k = 0; k < 100; k++) CHECK(bin[k] == 1.0);
    CHECK(fi_random_binary(7, 0, 0, 100, 1.5, bin, FI_FLOAT64) == FI_EINVAL);
    uint8_t oh[20 * 6];
    CHECK(fi_random_one_hot(7, 0, 0, 20, 6, oh, FI_BOOL) == FI_OK);
    for (int r = 0; r < 20; r++) {
        int s = 0;
        for (int c = 0; c < 6; c++) s += oh[r * 6 + c];
        CHECK(s == 1);
    }
    /* the scalar and SIMD paths agree bit for bit */
    static float simd[3001], scalar[3001];
    CHECK(fi_random_set_simd_level(0) == FI_OK && fi_random_simd_level() == 0);
    CHECK(fi_random_normal(3, 9, 1, 3001, scalar, FI_FLOAT32) == FI_OK);
    for (int level = 1; level <= 2; level++) {
        CHECK(fi_random_set_simd_level(level) == FI_OK && fi_random_simd_level() <= level);
        CHECK(fi_random_normal(3, 9, 1, 3001, simd, FI_FLOAT32) == FI_OK);
        CHECK(memcmp(simd, scalar, sizeof simd) == 0);
    }
    CHECK(fi_random_set_simd_level(-1) == FI_OK && fi_random_set_simd_level(3) == FI_EINVAL);
}

int main(void)
{
    test_one_hot_basic();
    test_one_hot_time_series();
    test_one_hot_bad_label_leaves_output();
    test_one_hot_empty();
    test_one_hot_i64_bad_label_at_every_position();
    test_one_hot_zeroed_and_large();
    test_pad_layouts_and_mask();
    test_pad_truncation_and_bad_start();
    test_gather_and_collate();
    test_gather_both_sides_of_serial_limit();
    test_random();
    if (failures) {
        fprintf(stderr, "test_kernels: %d check(s) failed\n", failures);
        return 1;
    }
    printf("test_kernels: all checks passed\n");
    return 0;
}
