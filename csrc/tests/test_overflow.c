/* C tests: every size product and offset the C core forms from its arguments is checked,
 * and a shape whose bytes cannot exist gives FI_EINVAL instead of a wrapped size (which
 * reads or writes the wrong place).  No test here allocates more than a few bytes: the
 * calls must be refused before anything is touched.  Built plain and under ASan+UBSan
 * (signed overflow is undefined behaviour, so UBSan also catches a wrapped product). */
#include <fastiter.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", \
    __FILE__, __LINE__, #cond); failures++; } } while (0)

#define P(k) ((int64_t)1 << (k))

static void test_one_hot(void)
{
    const int64_t labels[4] = {0, 1, 0, 1};
    float out[8] = {0};
    int64_t bad = -1;
    /* outer * inner = 2^62 * 4 wraps to 0: this returned FI_OK having done nothing */
    CHECK(fi_one_hot(labels, FI_INT64, P(62), 4, 2, out, FI_FLOAT32, &bad) == FI_EINVAL);
    CHECK(fi_one_hot_zeroed(labels, FI_INT64, P(62), 4, 2, out, FI_FLOAT32, &bad) ==
          FI_EINVAL);
    /* outer * num_classes * inner overflows int64 while outer * inner does not */
    CHECK(fi_one_hot(labels, FI_INT64, P(32), 1, P(32), out, FI_FLOAT32, &bad) == FI_EINVAL);
    /* the element count fits int64 but the bytes (x 8) do not fit an object */
    CHECK(fi_one_hot(labels, FI_INT64, P(30), 1, P(30), out, FI_FLOAT64, &bad) == FI_EINVAL);
    CHECK(fi_one_hot_i64_f64(labels, P(30), 1, P(30), (double *)(void *)out, &bad) ==
          FI_EINVAL);
    CHECK(bad == -1);
    /* a real call still works */
    CHECK(fi_one_hot(labels, FI_INT64, 2, 2, 2, out, FI_FLOAT32, &bad) == FI_OK);
    CHECK(out[0] == 1 && out[1] == 0 && out[2] == 0 && out[3] == 1);
}

static void test_gather(void)
{
    double src[8] = {0, 1, 2, 3, 4, 5, 6, 7}, out[2] = {-1, -1};
    int64_t idx[1] = {4}, bad = -1;
    /* row 4 of a 2^62-byte stride is at 2^64 = 0 mod 2^64: this copied row 0 */
    CHECK(fi_gather(src, 5, P(62), 8, idx, 1, out, &bad) == FI_EINVAL);
    CHECK(out[0] == -1);
    /* (rows - 1) * stride fits, adding the row does not */
    CHECK(fi_gather(src, 2, INT64_MAX - 4, 8, idx, 1, out, &bad) == FI_EINVAL);
    /* n * row_bytes beyond any object */
    CHECK(fi_gather(src, 8, P(61), P(61), idx, 8, out, &bad) == FI_EINVAL);
    CHECK(fi_gather(src, 1, 8, 8, idx, P(61), out, &bad) == FI_EINVAL);
    CHECK(fi_gather(src, 8, -8, 8, idx, 1, out, &bad) == FI_EINVAL);
    const void *srcs[1] = {src};
    CHECK(fi_collate(srcs, P(61), 8, out) == FI_EINVAL);
    CHECK(fi_collate(srcs, 2, SIZE_MAX / 2 + 1, out) == FI_EINVAL);
    CHECK(bad == -1);
    idx[0] = 3;
    CHECK(fi_gather(src, 8, 8, 8, idx, 1, out, &bad) == FI_OK && out[0] == 3);
}

static void test_gather_scaled(void)
{
    uint8_t src[8] = {0, 10, 20, 30, 40, 50, 60, 70};
    float out[2] = {-1, -1};
    uint8_t lab[8] = {0};
    uint8_t lab_out[8];
    int64_t idx[1] = {4}, bad = -1;
    CHECK(fi_gather_scaled_u8(src, 5, P(62), 1, idx, 1, 1.0, FI_NO_THRESHOLD, out,
                              FI_FLOAT32, &bad) == FI_EINVAL);
    CHECK(out[0] == -1);
    /* n * row_len * 8 output bytes overflow */
    CHECK(fi_gather_scaled_u8(src, 8, P(60), P(60), idx, 16, 1.0, FI_NO_THRESHOLD, out,
                              FI_FLOAT64, &bad) == FI_EINVAL);
    CHECK(fi_gather_scaled_labeled_u8(src, 8, 1, 1, idx, 1, 1.0, FI_NO_THRESHOLD, out,
                                      FI_FLOAT32, lab, (size_t)P(62), lab_out, &bad) ==
          FI_EINVAL);
    CHECK(bad == -1);
    CHECK(fi_gather_scaled_u8(src, 8, 1, 1, idx, 1, 1.0, FI_NO_THRESHOLD, out, FI_FLOAT32,
                              &bad) == FI_OK && out[0] == 40.0f);
}

static void test_pad(void)
{
    float seq[4] = {1, 2, 3, 4}, out[8], pad = 0, one = 1;
    float mask[2];
    const void *seqs[1] = {seq};
    int64_t begin[1] = {0}, count[1] = {1}, start[1] = {0}, bad = -1;
    /* n * steps * features overflows */
    CHECK(fi_pad_sequences(seqs, begin, count, start, 1, P(32), P(32), 4, FI_LAYOUT_NTF,
                           &pad, out, NULL, 0, NULL, &bad) == FI_EINVAL);
    /* elements fit int64, bytes do not */
    CHECK(fi_pad_sequences(seqs, begin, count, start, 1, P(31), P(31), 4, FI_LAYOUT_NTF,
                           &pad, out, NULL, 0, NULL, &bad) == FI_EINVAL);
    /* the mask alone overflows */
    CHECK(fi_pad_sequences(seqs, begin, count, start, P(40), P(23), 0, 4, FI_LAYOUT_NTF,
                           &pad, out, mask, 8, &one, &bad) == FI_EINVAL);
    /* a source offset (src_begin + count) * features * elem_size beyond any object */
    begin[0] = P(62);
    CHECK(fi_pad_sequences(seqs, begin, count, start, 1, 2, 2, 4, FI_LAYOUT_NTF, &pad, out,
                           NULL, 0, NULL, &bad) == FI_EINVAL);
    CHECK(bad == 0);
    begin[0] = 0;
    CHECK(fi_pad_sequences(seqs, begin, count, start, 1, 2, 2, 4, FI_LAYOUT_NTF, &pad, out,
                           NULL, 0, NULL, &bad) == FI_OK);
    CHECK(out[0] == 1 && out[1] == 2 && out[2] == 0 && out[3] == 0);
}

static void test_random(void)
{
    float out[4];
    /* n * 8 bytes beyond an object (n itself is below the counter limit) */
    CHECK(fi_random_uniform(1, 0, 0, P(60), out, FI_FLOAT64) == FI_EINVAL);
    /* n * num_classes * elem overflows */
    CHECK(fi_random_one_hot(1, 0, 0, P(40), P(32), out, FI_FLOAT64) == FI_EINVAL);
    CHECK(fi_random_one_hot(1, 0, 0, 1, 4, out, FI_FLOAT32) == FI_OK);
    CHECK(out[0] + out[1] + out[2] + out[3] == 1.0f);
}

static void test_csv(void)
{
    double out[2];
    int64_t nrows, nlines;
    size_t consumed;
    fi_csv_error err;
    CHECK(fi_csv_parse_f64("1,2\n", 4, ',', P(32), 1, out, NULL, P(32), &nrows, &consumed,
                           &nlines, &err) == FI_EINVAL);
}

/* fi_parallel_for over the whole int64 range: chunk ends and the chunk count must not
 * overflow (n + chunk - 1 did). */
static _Atomic int64_t covered;
static void count_range(void *ctx, int64_t begin, int64_t end)
{
    (void)ctx;
    if (begin < 0 || end < begin)
        failures++;
    covered += end - begin;
}

static void test_parallel_for_extremes(void)
{
    int64_t chunks[] = {P(62), INT64_MAX / 2 + 1, INT64_MAX - 1};
    fi_set_num_threads(2);
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        covered = 0;
        fi_parallel_for(INT64_MAX, chunks[i], count_range, NULL);
        CHECK(covered == INT64_MAX);
    }
}

int main(void)
{
    test_one_hot();
    test_gather();
    test_gather_scaled();
    test_pad();
    test_random();
    test_csv();
    test_parallel_for_extremes();
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("test_overflow: all passed\n");
    return 0;
}
