/* C tests of fi_gather_windows, through the public header only.  Exit non-zero on failure. */
#include <fastiter.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", \
    __FILE__, __LINE__, #cond); failures++; } } while (0)

/* Both layouts against the obvious loops, for every element size and a feature count
 * that is not a multiple of the transpose tile. */
static void test_layouts(size_t es)
{
    enum { S = 9, F = 70, T = 4, N = 3 };
    unsigned char *src = malloc(S * F * es), *out = malloc(N * T * F * es);
    const int64_t starts[N] = {5, 0, 2};
    for (size_t i = 0; i < S * F * es; i++) src[i] = (unsigned char)(i * 7 + 3);
    CHECK(fi_gather_windows(src, S, F, es, starts, N, T, FI_LAYOUT_NTF, out, NULL) == FI_OK);
    for (int k = 0; k < N; k++)
        CHECK(memcmp(out + (size_t)k * T * F * es, src + (size_t)starts[k] * F * es,
                     (size_t)T * F * es) == 0);
    CHECK(fi_gather_windows(src, S, F, es, starts, N, T, FI_LAYOUT_NFT, out, NULL) == FI_OK);
    for (int k = 0; k < N; k++)
        for (int f = 0; f < F; f++)
            for (int t = 0; t < T; t++)
                CHECK(memcmp(out + (((size_t)k * F + f) * T + t) * es,
                             src + ((size_t)(starts[k] + t) * F + f) * es, es) == 0);
    free(src);
    free(out);
}

static void test_bad_start_leaves_output(void)
{
    float src[12] = {0}, out[8];
    const int64_t starts[2] = {0, 3};  /* 3 + 2 > 4 rows */
    int64_t bad = -1;
    memset(out, 0xAB, sizeof out);
    CHECK(fi_gather_windows(src, 4, 3, 4, starts, 2, 2, FI_LAYOUT_NFT, out, &bad) == FI_ERANGE);
    CHECK(bad == 1);
    for (size_t i = 0; i < sizeof out; i++) CHECK(((unsigned char *)out)[i] == 0xAB);
    CHECK(fi_gather_windows(src, 4, 3, 4, starts, 1, 0, FI_LAYOUT_NFT, out, &bad) == FI_EINVAL);
    CHECK(fi_gather_windows(src, 4, 3, 4, starts, 1, 2, 7, out, &bad) == FI_EINVAL);
    CHECK(fi_gather_windows(src, 4, 3, 4, starts, 0, 2, FI_LAYOUT_NTF, out, &bad) == FI_OK);
    /* sizes whose byte products overflow are refused before anything is touched */
    CHECK(fi_gather_windows(src, 4, INT64_MAX / 2, 8, starts, 1, 2, FI_LAYOUT_NFT, out,
                            &bad) == FI_EINVAL);
    CHECK(fi_gather_windows(src, 4, 3, 4, starts, INT64_MAX / 8, 2, FI_LAYOUT_NTF, out,
                            &bad) == FI_EINVAL);
}

int main(void)
{
    test_layouts(1);
    test_layouts(2);
    test_layouts(4);
    test_layouts(8);
    test_layouts(3);
    test_bad_start_leaves_output();
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("passed\n");
    return 0;
}
