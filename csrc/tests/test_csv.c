/* C tests of the numeric CSV parser, through the public header only. */
#include <fastiter.h>

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

int main(void)
{
    test_rows_blank_lines_and_tail();
    test_correct_rounding_fallback();
    test_errors_locate_the_field();
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("test_csv passed\n");
    return 0;
}
