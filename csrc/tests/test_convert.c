/* C tests of the fused gather + uint8 -> float kernel (fastiter/convert.h).
 * Exit non-zero on failure. */
#include <fastiter.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", \
    __FILE__, __LINE__, #cond); failures++; } } while (0)

static void test_scale_f32_f64(void)
{
    const uint8_t src[3][4] = {{0, 1, 2, 3}, {10, 20, 30, 40}, {255, 254, 128, 31}};
    const int64_t idx[4] = {2, 0, 2, 1};
    float f[16];
    double d[16];
    int64_t bad = -7;
    CHECK(fi_gather_scaled_u8(&src[0][0], 3, 4, 4, idx, 4, 0.5, FI_NO_THRESHOLD, f,
                              FI_FLOAT32, &bad) == FI_OK);
    CHECK(fi_gather_scaled_u8(&src[0][0], 3, 4, 4, idx, 4, 1.0 / 255, FI_NO_THRESHOLD, d,
                              FI_FLOAT64, &bad) == FI_OK);
    for (int k = 0; k < 4; k++)
        for (int j = 0; j < 4; j++) {
            CHECK(f[k * 4 + j] == (float)src[idx[k]][j] * 0.5f);
            CHECK(d[k * 4 + j] == (double)src[idx[k]][j] * (1.0 / 255));
        }
    CHECK(bad == -7);
}

static void test_threshold_and_identity(void)
{
    const uint8_t src[2][3] = {{29, 30, 31}, {0, 200, 255}};
    float f[6];
    CHECK(fi_gather_scaled_u8(&src[0][0], 2, 3, 3, NULL, 2, 1.0, 30, f, FI_FLOAT32, NULL)
          == FI_OK);
    const float want[6] = {0, 0, 1, 0, 1, 1};
    for (int i = 0; i < 6; i++) CHECK(f[i] == want[i]);
    int64_t bad = -1;
    CHECK(fi_gather_scaled_u8(&src[0][0], 2, 3, 3, NULL, 3, 1.0, -1, f, FI_FLOAT32, &bad)
          == FI_ERANGE);
    CHECK(bad == 2);
}

static void test_strided_rows(void)
{
    /* rows of 3 bytes, 5 bytes apart */
    const uint8_t src[15] = {1, 2, 3, 99, 99, 4, 5, 6, 99, 99, 7, 8, 9, 99, 99};
    const int64_t idx[2] = {2, 1};
    double d[6];
    CHECK(fi_gather_scaled_u8(src, 3, 5, 3, idx, 2, 2.0, FI_NO_THRESHOLD, d, FI_FLOAT64,
                              NULL) == FI_OK);
    const double want[6] = {14, 16, 18, 8, 10, 12};
    for (int i = 0; i < 6; i++) CHECK(d[i] == want[i]);
}

static void test_bad_input_writes_nothing(void)
{
    const uint8_t src[4] = {1, 2, 3, 4};
    const int64_t idx[3] = {0, 1, -1}, big[2] = {1, 2};
    float f[4];
    memset(f, 0xAB, sizeof f);
    int64_t bad = -1;
    CHECK(fi_gather_scaled_u8(src, 2, 2, 2, idx, 3, 1.0, -1, f, FI_FLOAT32, &bad) == FI_ERANGE);
    CHECK(bad == 2);
    CHECK(fi_gather_scaled_u8(src, 2, 2, 2, big, 2, 1.0, -1, f, FI_FLOAT32, &bad) == FI_ERANGE);
    CHECK(bad == 1);
    CHECK(fi_gather_scaled_u8(src, 2, 2, 2, idx, 2, 1.0, 256, f, FI_FLOAT32, NULL) == FI_EINVAL);
    CHECK(fi_gather_scaled_u8(src, 2, 2, 2, idx, 2, 1.0, -2, f, FI_FLOAT32, NULL) == FI_EINVAL);
    CHECK(fi_gather_scaled_u8(src, 2, 2, 2, idx, 2, 1.0, -1, f, FI_INT32, NULL) == FI_EINVAL);
    CHECK(fi_gather_scaled_u8(src, 2, 1, 2, idx, 2, 1.0, -1, f, FI_FLOAT32, NULL) == FI_EINVAL);
    CHECK(fi_gather_scaled_u8(src, 2, 2, 2, idx, -1, 1.0, -1, f, FI_FLOAT32, NULL) == FI_EINVAL);
    unsigned char pattern[sizeof f];
    memset(pattern, 0xAB, sizeof pattern);
    CHECK(memcmp(f, pattern, sizeof f) == 0);
    CHECK(fi_gather_scaled_u8(src, 2, 2, 2, idx, 0, 1.0, -1, f, FI_FLOAT32, NULL) == FI_OK);
}

static void test_labeled_batch(void)
{
    const uint8_t src[3][2] = {{0, 255}, {51, 102}, {30, 31}};
    const float table[3][3] = {{1, 0, 0}, {0, 0, 1}, {0, 1, 0}};
    const int64_t idx[4] = {1, 2, 0, 1};
    float f[8], lab[4][3];
    CHECK(fi_gather_scaled_labeled_u8(&src[0][0], 3, 2, 2, idx, 4, 1.0 / 255,
                                      FI_NO_THRESHOLD, f, FI_FLOAT32, table, sizeof table[0],
                                      lab, NULL) == FI_OK);
    for (int k = 0; k < 4; k++) {
        for (int j = 0; j < 2; j++)
            CHECK(f[k * 2 + j] == (float)src[idx[k]][j] * (float)(1.0 / 255));
        CHECK(memcmp(lab[k], table[idx[k]], sizeof lab[k]) == 0);
    }
    /* binarized, identity order */
    CHECK(fi_gather_scaled_labeled_u8(&src[0][0], 3, 2, 2, NULL, 3, 1.0, 30, f, FI_FLOAT32,
                                      table, sizeof table[0], lab, NULL) == FI_OK);
    const float want[6] = {0, 1, 1, 1, 0, 1};
    for (int i = 0; i < 6; i++) CHECK(f[i] == want[i]);
    CHECK(memcmp(lab, table, sizeof table) == 0);
    /* a bad index or a missing label buffer writes neither output */
    const int64_t badidx[2] = {0, 3};
    int64_t bad = -1;
    memset(f, 0xAB, sizeof f);
    memset(lab, 0xAB, sizeof lab);
    CHECK(fi_gather_scaled_labeled_u8(&src[0][0], 3, 2, 2, badidx, 2, 1.0, -1, f, FI_FLOAT32,
                                      table, sizeof table[0], lab, &bad) == FI_ERANGE);
    CHECK(bad == 1);
    CHECK(fi_gather_scaled_labeled_u8(&src[0][0], 3, 2, 2, idx, 2, 1.0, -1, f, FI_FLOAT32,
                                      NULL, sizeof table[0], lab, NULL) == FI_EINVAL);
    CHECK(fi_gather_scaled_labeled_u8(&src[0][0], 3, 2, 2, idx, 2, 1.0, -1, f, FI_FLOAT32,
                                      table, sizeof table[0], NULL, NULL) == FI_EINVAL);
    unsigned char pf[sizeof f], pl[sizeof lab];
    memset(pf, 0xAB, sizeof pf);
    memset(pl, 0xAB, sizeof pl);
    CHECK(memcmp(f, pf, sizeof f) == 0 && memcmp(lab, pl, sizeof lab) == 0);
    /* no labels asked for: the features alone */
    CHECK(fi_gather_scaled_labeled_u8(&src[0][0], 3, 2, 2, idx, 2, 1.0, -1, f, FI_FLOAT32,
                                      NULL, 0, NULL, NULL) == FI_OK);
    CHECK(f[0] == 51.0f && f[3] == 31.0f);
}

/* Large enough for the pool to split it; odd row length to exercise the loop tails. */
static void test_large_batch_on_pool(void)
{
    const int64_t rows = 3000, len = 787, n = 2500;
    uint8_t *src = malloc((size_t)(rows * len));
    int64_t *idx = malloc((size_t)n * sizeof *idx);
    float *f = malloc((size_t)(n * len) * sizeof *f);
    double *d = malloc((size_t)(n * len) * sizeof *d);
    CHECK(src && idx && f && d);
    if (!(src && idx && f && d)) goto done;
    for (int64_t i = 0; i < rows * len; i++) src[i] = (uint8_t)(i * 7 + i / 13);
    for (int64_t k = 0; k < n; k++) idx[k] = (k * 1237) % rows;
    CHECK(fi_gather_scaled_u8(src, rows, len, len, idx, n, 1.0 / 255, -1, f, FI_FLOAT32, NULL)
          == FI_OK);
    CHECK(fi_gather_scaled_u8(src, rows, len, len, idx, n, 3.0, 30, d, FI_FLOAT64, NULL)
          == FI_OK);
    int wrong = 0;
    for (int64_t k = 0; k < n; k++)
        for (int64_t j = 0; j < len; j++) {
            uint8_t p = src[idx[k] * len + j];
            wrong += f[k * len + j] != (float)p * (float)(1.0 / 255);
            wrong += d[k * len + j] != (p > 30 ? 3.0 : 0.0);
        }
    CHECK(wrong == 0);
done:
    free(src); free(idx); free(f); free(d);
}

int main(void)
{
    test_scale_f32_f64();
    test_threshold_and_identity();
    test_strided_rows();
    test_bad_input_writes_nothing();
    test_labeled_batch();
    test_large_batch_on_pool();
    fi_pool_shutdown();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("test_convert: all passed\n");
    return 0;
}
