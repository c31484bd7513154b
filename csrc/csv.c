/*
 * Numeric CSV parsing (see fastiter/csv.h).
 *
 * Each field goes through Clinger's fast path: when the decimal mantissa fits in 53 bits
 * and the power of ten is at most 22, m * 10^e (or m / 10^-e) is a single correctly
 * rounded IEEE operation on exact operands.  Everything else (long mantissas, large
 * exponents, nan/inf) falls back to strtod on a NUL-terminated copy, so every value is
 * correctly rounded while typical data never leaves the fast path.
 */
#include "fastiter.h"

#include <stdlib.h>
#include <string.h>

static const double fi_pow10[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static int fi_is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* strtod on a bounded field; 0 when the whole field is one number. */
static int fi_slow_field(const char *p, size_t n, double *value)
{
    char small[64];
    char *tmp = n < sizeof small ? small : (char *)malloc(n + 1);
    char *end;
    int ok;
    if (tmp == NULL)
        return -1;
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    *value = strtod(tmp, &end);
    ok = n > 0 && end == tmp + n;
    if (tmp != small)
        free(tmp);
    return ok ? 0 : -1;
}

/*
 * Read a number starting at p (no leading blanks) by the fast path.  Returns the end of
 * the number with *value set, or NULL when the text needs strtod or is not a number (the
 * caller then looks at the whole field).  Scanning and converting in one pass, without
 * first finding the field's end, is what makes the common case cheap.
 */
static const char *fi_scan_fast(const char *s, const char *e, double *value)
{
    uint64_t m = 0;
    int digits = 0, neg = 0, any = 0;
    int64_t exp10 = 0;
    if (s < e && (*s == '-' || *s == '+'))
        neg = *s++ == '-';
    while (s < e && *s == '0') { s++; any = 1; }
    for (; s < e && (unsigned)(*s - '0') < 10; s++, any = 1) {
        if (digits < 19) { m = m * 10 + (uint64_t)(*s - '0'); digits++; }
        else exp10++;
    }
    if (s < e && *s == '.') {
        s++;
        if (m == 0)
            for (; s < e && *s == '0'; s++, any = 1) exp10--;
        for (; s < e && (unsigned)(*s - '0') < 10; s++, any = 1) {
            if (digits < 19) { m = m * 10 + (uint64_t)(*s - '0'); digits++; exp10--; }
        }
    }
    if (!any)
        return NULL;
    if (s < e && (*s == 'e' || *s == 'E')) {
        int eneg = 0, edig = 0;
        int64_t ev = 0;
        s++;
        if (s < e && (*s == '-' || *s == '+'))
            eneg = *s++ == '-';
        for (; s < e && (unsigned)(*s - '0') < 10; s++, edig++)
            if (ev < 100000) ev = ev * 10 + (*s - '0');
        if (!edig)
            return NULL;
        exp10 += eneg ? -ev : ev;
    }
    if (m == 0) {
        *value = neg ? -0.0 : 0.0;
        return s;
    }
    if (digits >= 19 || m > ((uint64_t)1 << 53) || exp10 < -22 || exp10 > 22)
        return NULL;
    {
        double d = (double)m;
        d = exp10 < 0 ? d / fi_pow10[-exp10] : d * fi_pow10[exp10];
        *value = neg ? -d : d;
    }
    return s;
}

/* Parse the field [p, e) with no surrounding blanks; 0 on success. */
static int fi_parse_field(const char *p, const char *e, double *value)
{
    if (fi_scan_fast(p, e, value) == e)
        return 0;
    return fi_slow_field(p, (size_t)(e - p), value);
}

static void fi_set_err(fi_csv_error *err, int kind, int64_t line, int64_t col,
                       const char *buf, const char *p, const char *e)
{
    if (err == NULL)
        return;
    err->kind = kind;
    err->line = line;
    err->column = col;
    err->offset = (int64_t)(p - buf);
    err->length = (int64_t)(e - p);
}

/* Parse the line [p, e) into row; 0, 1 (blank line) or -1 (error, err filled). */
static int fi_parse_line(const char *buf, const char *p, const char *e, char delim,
                         int64_t ncols, double *row, int64_t line, fi_csv_error *err)
{
    const char *q = p;
    int64_t col = 0;
    while (q < e && fi_is_blank(*q)) q++;
    if (q == e)
        return 1;
    for (;;) {
        const char *fs = p, *fe, *t = NULL;
        double v;
        while (fs < e && fi_is_blank(*fs)) fs++;
        if (col < ncols && (t = fi_scan_fast(fs, e, &v)) != NULL) {
            while (t < e && fi_is_blank(*t)) t++;
            if (t == e || *t == delim)
                row[col] = v;
            else
                t = NULL;
        }
        if (t != NULL) {
            p = t;
        } else {
            fe = fs;
            while (fe < e && *fe != delim) fe++;
            p = fe;
            while (fe > fs && fi_is_blank(fe[-1])) fe--;
            if (col < ncols && fi_parse_field(fs, fe, &row[col]) != 0) {
                fi_set_err(err, FI_CSV_ENUMBER, line, col, buf, fs, fe);
                return -1;
            }
        }
        col++;
        if (p == e)
            break;
        p++;  /* the delimiter */
    }
    if (col != ncols) {
        fi_set_err(err, FI_CSV_EFIELDS, line, col, buf, q, e);
        return -1;
    }
    return 0;
}

int fi_csv_parse_f64(const char *buf, size_t len, char delim, int64_t ncols, int is_last,
                     double *out, int64_t *row_line, int64_t max_rows, int64_t *nrows,
                     size_t *consumed, int64_t *nlines, fi_csv_error *err)
{
    const char *p = buf, *end = buf + len;
    int64_t rows = 0, lines = 0;
    int status = FI_OK;
    if (ncols < 1 || max_rows < 0 || (buf == NULL && len > 0) || out == NULL)
        return FI_EINVAL;
    while (rows < max_rows && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        int r;
        if (nl == NULL && !is_last)
            break;
        r = fi_parse_line(buf, p, le, delim, ncols, out + rows * ncols, lines, err);
        if (r < 0) { status = FI_EINVAL; break; }
        if (r == 0 && row_line != NULL)
            row_line[rows] = lines;
        rows += r == 0;
        p = nl ? nl + 1 : end;
        lines += nl != NULL;
    }
    *nrows = rows;
    *consumed = (size_t)(p - buf);
    *nlines = lines;
    return status;
}
