/* C tests of the kernels, through the public header only.  Exit non-zero on failure. */
#include <fastiter.h>

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

static void test_one_hot_empty(void)
{
    CHECK(fi_one_hot(NULL, FI_INT32, 0, 1, 4, NULL, FI_FLOAT32, NULL) == FI_OK);
    CHECK(fi_dtype_size(FI_FLOAT16) == 2 && fi_dtype_size(FI_NDTYPES) == 0);
    CHECK(strcmp(fi_status_str(FI_ERANGE), "value out of range") == 0);
}

int main(void)
{
    test_one_hot_basic();
    test_one_hot_time_series();
    test_one_hot_bad_label_leaves_output();
    test_one_hot_empty();
    if (failures) {
        fprintf(stderr, "test_kernels: %d check(s) failed\n", failures);
        return 1;
    }
    printf("test_kernels: all checks passed\n");
    return 0;
}
