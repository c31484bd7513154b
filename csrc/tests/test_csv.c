/* C tests of the numeric CSV parser, through the public header only. */
#include <fastiter.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", \
    __FILE__, __LINE__, #cond); failures++; } } while (0)

static void test_rows_blank_lines_and_tail(void)
{
    const char *text = "1,2.5\r\n\n -3 , 4e2\n0.1,7";
    double out[6];
    int64_t lines[3], nrows = -1, nlines = -1;
    size_t consumed = 0;
    fi_csv_error err;
    CHECK(fi_csv_parse_f64(text, strlen(text), ',', 2, 0, out, lines, 3, &nrows, &consumed,
                           &nlines, &err) == FI_OK);
    CHECK(nrows == 2 && nlines == 3 && consumed == strlen(text) - 5);
    CHECK(out[0] == 1.0 && out[1] == 2.5 && out[2] == -3.0 && out[3] == 400.0);
    CHECK(lines[0] == 0 && lines[1] == 2);
    CHECK(fi_csv_parse_f64(text, strlen(text), ',', 2, 1, out, lines, 3, &nrows, &consumed,
                           &nlines, &err) == FI_OK);
    CHECK(nrows == 3 && out[4] == 0.1 && out[5] == 7.0 && consumed == strlen(text));
}

static void test_correct_rounding_fallback(void)
{
    const char *text = "0.1234567890123456789012,1e-310,9007199254740993\n";
    double out[3];
    int64_t nrows, nlines;
    size_t consumed;
    CHECK(fi_csv_parse_f64(text, strlen(text), ',', 3, 1, out, NULL, 1, &nrows, &consumed,
                           &nlines, NULL) == FI_OK);
    CHECK(out[0] == strtod("0.1234567890123456789012", NULL));
    CHECK(out[1] == strtod("1e-310", NULL));
    CHECK(out[2] == strtod("9007199254740993", NULL));
}

static void test_errors_locate_the_field(void)
{
    const char *bad = "1,2\n3,x4\n";
    const char *short_line = "1,2\n3\n";
    double out[4];
    int64_t nrows, nlines;
    size_t consumed;
    fi_csv_error err;
    CHECK(fi_csv_parse_f64(bad, strlen(bad), ',', 2, 1, out, NULL, 2, &nrows, &consumed,
                           &nlines, &err) == FI_EINVAL);
    CHECK(nrows == 1 && err.kind == FI_CSV_ENUMBER && err.line == 1 && err.column == 1);
    CHECK(err.offset == 6 && err.length == 2);
    CHECK(fi_csv_parse_f64(short_line, strlen(short_line), ',', 2, 1, out, NULL, 2, &nrows,
                           &consumed, &nlines, &err) == FI_EINVAL);
    CHECK(err.kind == FI_CSV_EFIELDS && err.line == 1 && err.column == 1);
    CHECK(fi_csv_parse_f64(bad, 3, ',', 0, 1, out, NULL, 2, &nrows, &consumed,
                           &nlines, &err) == FI_EINVAL);
}


static int parse1(const char *text, const fi_csv_dialect *d, int64_t ncols, int is_last,
                  double *out, int64_t max_rows, int64_t *nrows, size_t *consumed,
                  int64_t *nlines, fi_csv_error *err)
{
    return fi_csv_parse(text, strlen(text), d, ncols, is_last, out, NULL, max_rows, nrows,
                        consumed, nlines, err);
}

static void test_strict_grammar(void)
{
    static const char *const bad[] = {"0x10", "1_000", "1d", "0x1p3", "nan(1)", "e5", ".",
                                      "1e", "--1", "infin", "1 2", ""};
    fi_csv_dialect d = {',', '"', -1, NULL, NULL, 0};
    double out[2];
    int64_t nrows, nlines;
    size_t consumed;
    fi_csv_error err;
    char line[64];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(line, sizeof line, "%s,1\n", bad[i]);
        CHECK(parse1(line, &d, 2, 1, out, 1, &nrows, &consumed, &nlines, &err) == FI_EINVAL);
        CHECK(err.kind == FI_CSV_ENUMBER && err.column == 0 && nrows == 0);
        snprintf(line, sizeof line, "\"%s\",1\n", bad[i]);   /* quoted: the same refusal */
        CHECK(parse1(line, &d, 2, 1, out, 1, &nrows, &consumed, &nlines, &err) == FI_EINVAL);
        CHECK(err.kind == FI_CSV_ENUMBER && err.column == 0);
    }
    CHECK(parse1(" -Infinity ,\" NaN \"\n", &d, 2, 1, out, 1, &nrows, &consumed, &nlines,
                 &err) == FI_OK);
    CHECK(out[0] == -HUGE_VAL && out[1] != out[1]);
}

static void test_quotes_line_ends_and_labels(void)
{
    static const char *const names[] = {"cat", "d\"og"};
    static const size_t lens[] = {3, 4};
    fi_csv_dialect d = {',', '"', 2, names, lens, 2};
    const char *text = "1,\"2\",cat\r\"3,\n\",4,\"d\"\"og\"\r\n5,6,cat\r";
    double out[9];
    int64_t rows[3], nrows, nlines;
    size_t consumed;
    fi_csv_error err;
    /* "3,\n" quoted is not a number: the error names line 1 (where the field starts) */
    CHECK(fi_csv_parse(text, strlen(text), &d, 3, 1, out, rows, 3, &nrows, &consumed,
                       &nlines, &err) == FI_EINVAL);
    CHECK(nrows == 1 && err.kind == FI_CSV_ENUMBER && err.line == 1 && err.column == 0);
    text = "1,\"2\",cat\r\" 3 \",4,\"d\"\"og\"\r\n5,\"6\n\",cat\r";
    d.label_column = 1;
    CHECK(fi_csv_parse(text, strlen(text), &d, 3, 1, out, rows, 3, &nrows, &consumed,
                       &nlines, &err) == FI_EINVAL && err.kind == FI_CSV_ELABEL);
    d.label_column = 2;
    text = "1,\"2\",cat\r\" 3 \",4,\"d\"\"og\"\r\n\"5\",\"6\",\"c\nat\"\r7,8,cat\r";
    CHECK(fi_csv_parse(text, strlen(text), &d, 3, 1, out, rows, 3, &nrows, &consumed,
                       &nlines, &err) == FI_EINVAL && err.kind == FI_CSV_ELABEL &&
          err.line == 2);
    text = "1,\"2\",cat\r\" 3 \",4,\"d\"\"og\"\r\n7,8,cat\r";
    CHECK(fi_csv_parse(text, strlen(text), &d, 3, 0, out, rows, 3, &nrows, &consumed,
                       &nlines, &err) == FI_OK);
    /* the last '\r' may be the start of "\r\n": the record waits for the next buffer */
    CHECK(nrows == 2 && nlines == 2 && consumed == strlen(text) - 8);
    CHECK(out[0] == 1 && out[1] == 2 && out[2] == 0 && out[3] == 3 && out[5] == 1);
    CHECK(fi_csv_parse(text, strlen(text), &d, 3, 1, out, rows, 3, &nrows, &consumed,
                       &nlines, &err) == FI_OK);
    CHECK(nrows == 3 && nlines == 3 && rows[2] == 2 && consumed == strlen(text));
}

static void test_incomplete_quotes_wait_or_fail(void)
{
    fi_csv_dialect d = {',', '"', -1, NULL, NULL, 0};
    double out[2];
    int64_t nrows, nlines, ncols, line;
    size_t consumed;
    fi_csv_error err;
    const char *open_q = "1,2\n\"3,4\n";
    CHECK(parse1(open_q, &d, 2, 0, out, 1, &nrows, &consumed, &nlines, &err) == FI_OK);
    CHECK(parse1(open_q, &d, 2, 0, out, 2, &nrows, &consumed, &nlines, &err) == FI_OK &&
          nrows == 1 && consumed == 4);
    CHECK(parse1(open_q, &d, 2, 1, out, 2, &nrows, &consumed, &nlines, &err) == FI_EINVAL);
    CHECK(err.kind == FI_CSV_EQUOTE && err.line == 1 && err.column == 0);
    CHECK(parse1("\"1\"x,2\n", &d, 2, 1, out, 1, &nrows, &consumed, &nlines, &err) ==
          FI_EINVAL && err.kind == FI_CSV_EQUOTE);
    CHECK(fi_csv_count_fields("\n\n\"a,\nb\",c,d\n", 13, &d, 1, &ncols, &line, &err) == FI_OK);
    CHECK(ncols == 3 && line == 2);
    CHECK(fi_csv_count_fields("\"a,\nb", 6, &d, 0, &ncols, &line, &err) == FI_OK &&
          ncols == -1);
}

static void test_field_length_limit(void)
{
    fi_csv_dialect d = {',', '"', -1, NULL, NULL, 0};
    size_t n = FI_CSV_MAX_FIELD + 1;
    char *text = malloc(n + 8);
    double out[2];
    int64_t nrows, nlines;
    size_t consumed;
    fi_csv_error err;
    CHECK(text != NULL);
    if (text == NULL) return;
    memset(text, '0', n);                  /* all zeros: the fast path would read 0 */
    memcpy(text + n, ",1\n", 4);
    CHECK(parse1(text, &d, 2, 1, out, 1, &nrows, &consumed, &nlines, &err) == FI_EINVAL);
    CHECK(err.kind == FI_CSV_ELONG && err.column == 0 && err.length == (int64_t)n);
    memset(text, '1', n);                  /* strtod would read inf */
    CHECK(parse1(text, &d, 2, 1, out, 1, &nrows, &consumed, &nlines, &err) == FI_EINVAL);
    CHECK(err.kind == FI_CSV_ELONG);
    /* exactly at the limit is read (a magnitude past float64 becomes inf, as in IEEE) */
    CHECK(parse1(text + 1, &d, 2, 1, out, 1, &nrows, &consumed, &nlines, &err) == FI_OK);
    CHECK(nrows == 1 && out[0] == HUGE_VAL && out[1] == 1.0);
    free(text);
}

static void test_size_overflow_is_einval(void)
{
    fi_csv_dialect d = {',', '"', -1, NULL, NULL, 0};
    double out[2];
    int64_t nrows, nlines;
    size_t consumed;
    fi_csv_error err;
    /* max_rows * ncols beyond int64: no buffer can be that large */
    CHECK(fi_csv_parse("1,2\n", 4, &d, (int64_t)1 << 40, 1, out, NULL, (int64_t)1 << 40,
                       &nrows, &consumed, &nlines, &err) == FI_EINVAL && err.kind == 0);
    d.label_column = 5;                    /* outside ncols */
    CHECK(fi_csv_parse("1,2\n", 4, &d, 2, 1, out, NULL, 1, &nrows, &consumed, &nlines,
                       &err) == FI_EINVAL);
}

int main(void)
{
    test_rows_blank_lines_and_tail();
    test_correct_rounding_fallback();
    test_errors_locate_the_field();
    test_strict_grammar();
    test_quotes_line_ends_and_labels();
    test_incomplete_quotes_wait_or_fail();
    test_field_length_limit();
    test_size_overflow_is_einval();
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("test_csv passed\n");
    return 0;
}
