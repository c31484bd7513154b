/*
 * Numeric CSV parsing (see fastiter/csv.h): one tokenizer and one number grammar for
 * quoted and unquoted fields alike, so a token means the same wherever it appears.
 *
 * Each numeric field goes through Clinger's fast path: when the decimal mantissa fits in
 * 53 bits and the power of ten is at most 22, m * 10^e (or m / 10^-e) is a single
 * correctly rounded IEEE operation on exact operands.  Everything else (long mantissas,
 * large exponents) is first matched against the strict grammar and then handed to strtod
 * on a NUL-terminated copy, so every value is correctly rounded while typical data never
 * leaves the fast path, and strtod's extensions (hexadecimal, "nan(...)") never leak in.
 */
#include "fastiter.h"
#include "checked.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double fi_pow10[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

enum { REC_ROW = 0, REC_BLANK = 1, REC_MORE = 2, REC_ERR = -1 };

typedef struct csv_ctx {
    const char *buf, *end;
    const fi_csv_dialect *d;
    int64_t ncols;
    int is_last;
    fi_csv_error *err;
} csv_ctx;

static int fi_is_blank(char c) { return c == ' ' || c == '\t'; }
/* (char arithmetic: a negative char wraps to a huge unsigned, so it is no digit) */
static int fi_is_digit(char c) { return (unsigned)(c - '0') < 10; }

/*
 * Read a number starting at s (no leading blanks) by the fast path.  Returns the end of
 * the number with *value set, or NULL when the text needs strtod or is not a number (the
 * caller then looks at the whole field).  Scanning and converting in one pass, without
 * first finding the field's end, is what makes the common case cheap.  Everything it
 * accepts is a prefix the strict grammar (fi_match_number) accepts.
 */
static const char *fi_scan_fast(const char *s, const char *e, double *value)
{
    uint64_t m = 0;
    int digits = 0, neg = 0, any = 0;
    int64_t exp10 = 0;
    if (s < e && (*s == '-' || *s == '+'))
        neg = *s++ == '-';
    while (s < e && *s == '0') { s++; any = 1; }
    for (; s < e && fi_is_digit(*s); s++, any = 1) {
        if (digits < 19) { m = m * 10 + (uint64_t)(*s - '0'); digits++; }
        else exp10++;
    }
    if (s < e && *s == '.') {
        s++;
        if (m == 0)
            for (; s < e && *s == '0'; s++, any = 1) exp10--;
        for (; s < e && fi_is_digit(*s); s++, any = 1) {
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
        for (; s < e && fi_is_digit(*s); s++, edig++)
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

/* [s, e) is word, ignoring ASCII letter case. */
static int fi_word(const char *s, const char *e, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(e - s) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((s[i] | 0x20) != word[i])
            return 0;
    return 1;
}

/*
 * The strict grammar: [+-]? (D+ (. D*)? | . D+) ([eE] [+-]? D+)?  or  [+-]? (nan | inf |
 * infinity).  Returns 1 (decimal), 2 (nan), 3 (inf) or 0 (not a number).
 */
static int fi_match_number(const char *s, const char *e, int *neg)
{
    int digits = 0;
    *neg = 0;
    if (s < e && (*s == '+' || *s == '-'))
        *neg = *s++ == '-';
    if (fi_word(s, e, "nan"))
        return 2;
    if (fi_word(s, e, "inf") || fi_word(s, e, "infinity"))
        return 3;
    for (; s < e && fi_is_digit(*s); s++) digits++;
    if (s < e && *s == '.')
        for (s++; s < e && fi_is_digit(*s); s++) digits++;
    if (!digits)
        return 0;
    if (s < e && (*s == 'e' || *s == 'E')) {
        int edig = 0;
        s++;
        if (s < e && (*s == '+' || *s == '-'))
            s++;
        for (; s < e && fi_is_digit(*s); s++) edig++;
        if (!edig)
            return 0;
    }
    return s == e;
}

/* The field [p, p + n) (no surrounding blanks) as a number; 0 on success. */
static int fi_number(const char *p, size_t n, double *value)
{
    char small[64];
    char *tmp, *end;
    int neg, kind, ok;
    if (n > 0 && fi_scan_fast(p, p + n, value) == p + n)
        return 0;
    kind = fi_match_number(p, p + n, &neg);
    if (kind == 0)
        return -1;
    if (kind == 2) { *value = neg ? -NAN : NAN; return 0; }
    if (kind == 3) { *value = neg ? -HUGE_VAL : HUGE_VAL; return 0; }
    tmp = n < sizeof small ? small : (char *)malloc(n + 1);
    if (tmp == NULL)
        return -1;
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    *value = strtod(tmp, &end);
    ok = end == tmp + n;  /* false only under a locale whose decimal point is not '.' */
    if (tmp != small)
        free(tmp);
    return ok ? 0 : -1;
}

/* The index of the label equal to [s, s + n), or -1.  esc: the text is a quoted field's
 * inside, where every quote is doubled. */
static int64_t fi_find_label(const fi_csv_dialect *d, const char *s, size_t n, int esc)
{
    for (int64_t i = 0; i < d->nlabels; i++) {
        const char *l = d->labels[i];
        size_t ln = d->label_len[i], a = 0, b = 0;
        if (!esc) {
            if (ln == n && (n == 0 || memcmp(l, s, n) == 0))
                return i;
            continue;
        }
        while (a < n && b < ln && s[a] == l[b]) {
            a += s[a] == d->quote ? 2 : 1;
            b++;
        }
        if (a == n && b == ln)
            return i;
    }
    return -1;
}

static int fi_fail(const csv_ctx *c, int kind, int64_t line, int64_t col, const char *p,
                   const char *e)
{
    if (c->err != NULL) {
        c->err->kind = kind;
        c->err->line = line;
        c->err->column = col;
        c->err->offset = (int64_t)(p - c->buf);
        c->err->length = (int64_t)(e - p);
    }
    return REC_ERR;
}

/* Store the field text [s, s + n) (blanks trimmed) as column col of row. */
static int fi_store(const csv_ctx *c, const char *s, size_t n, int esc, int64_t col,
                    double *row, int64_t line)
{
    if (col == c->d->label_column) {
        int64_t k = fi_find_label(c->d, s, n, esc);
        if (k < 0)
            return fi_fail(c, FI_CSV_ELABEL, line, col, s, s + n);
        row[col] = (double)k;
        return REC_ROW;
    }
    if (esc || fi_number(s, n, &row[col]) != 0)
        return fi_fail(c, FI_CSV_ENUMBER, line, col, s, s + n);
    return REC_ROW;
}

/* Length of the line end at p (1 or 2), 0 when p is not one, -1 when a '\r' is the last
 * byte of a buffer that may continue with '\n'. */
static int fi_line_end(const csv_ctx *c, const char *p)
{
    if (*p == '\n')
        return 1;
    if (*p != '\r')
        return 0;
    if (p + 1 < c->end)
        return p[1] == '\n' ? 2 : 1;
    return c->is_last ? 1 : -1;
}

/* delim is passed by value, not read through c: a char load may alias every double
 * stored into the row, so the compiler would reload it after each field. */
static inline int fi_ends_field(char delim, const char *p)
{
    return *p == delim || *p == '\n' || *p == '\r';
}

/* A quoted field starting at the quote fs.  Sets *next past it and its trailing blanks
 * and adds the line ends inside it to *lines. */
static int fi_quoted(const csv_ctx *c, const char *fs, int64_t line, int64_t col,
                     double *row, const char **next, int64_t *lines)
{
    const char *end = c->end, *cs = fs + 1, *s = cs, *ce, *u, *ts, *te;
    const char quote = c->d->quote;
    int esc = 0;
    int64_t inner = 0;
    for (;;) {
        const char *q = memchr(s, quote, (size_t)(end - s));
        if (q == NULL) {
            if (!c->is_last)
                return REC_MORE;
            return fi_fail(c, FI_CSV_EQUOTE, line, col, fs, end);
        }
        if (q + 1 == end && !c->is_last)
            return REC_MORE;  /* the next buffer may start with the doubling quote */
        if (q + 1 < end && q[1] == quote) {
            esc = 1;
            s = q + 2;
            continue;
        }
        ce = q;
        break;
    }
    for (const char *x = cs; x < ce; x++)
        inner += *x == '\n' || (*x == '\r' && (x + 1 == ce || x[1] != '\n'));
    if (ce - cs > FI_CSV_MAX_FIELD)
        return fi_fail(c, FI_CSV_ELONG, line, col, cs, ce);
    u = ce + 1;
    while (u < end && fi_is_blank(*u)) u++;
    if (u == end && !c->is_last)
        return REC_MORE;
    if (u < end && !fi_ends_field(c->d->delim, u))
        return fi_fail(c, FI_CSV_EQUOTE, line, col, fs, u + 1);
    if (row != NULL && col < c->ncols) {
        for (ts = cs; ts < ce && fi_is_blank(*ts); ts++) {}
        for (te = ce; te > ts && fi_is_blank(te[-1]); te--) {}
        if (fi_store(c, ts, (size_t)(te - ts), esc, col, row, line) != REC_ROW)
            return REC_ERR;
    }
    *next = u;
    *lines += inner;
    return REC_ROW;
}

/* The unquoted field at fs (blanks skipped) that the fast path in fi_record did not
 * take; sets *next at its delimiter, line end or the buffer's end. */
static int fi_unquoted(const csv_ctx *c, char delim, const char *fs, int64_t line,
                       int64_t col, double *row, const char **next)
{
    const char *end = c->end, *fe = fs;
    while (fe < end && !fi_ends_field(delim, fe)) fe++;
    if (fe == end && !c->is_last)
        return REC_MORE;
    *next = fe;
    while (fe > fs && fi_is_blank(fe[-1])) fe--;
    if (fe - fs > FI_CSV_MAX_FIELD)
        return fi_fail(c, FI_CSV_ELONG, line, col, fs, fe);
    if (row != NULL && col < c->ncols)
        return fi_store(c, fs, (size_t)(fe - fs), 0, col, row, line);
    return REC_ROW;
}

/*
 * One record starting at p, on line `line`, into row (NULL: only count its fields).
 * Returns REC_ROW (*next, *nl line ends consumed, *nfields set), REC_BLANK, REC_MORE (the
 * record may continue past the buffer) or REC_ERR.
 */
static int fi_record(const csv_ctx *c, const char *p, int64_t line, double *row,
                     const char **next, int64_t *nl, int64_t *nfields)
{
    const char *end = c->end, *q = p, *rec_end;
    const char delim = c->d->delim, quote = c->d->quote;
    const int64_t ncols = c->ncols, label_col = c->d->label_column;
    /* numeric columns [0, fast_end) except label_col take the inline fast path */
    const int64_t fast_end = row != NULL ? ncols : 0;
    int64_t col = 0, lines = 0;
    int r, t;
    while (q < end && fi_is_blank(*q)) q++;
    if (q == end || *q == '\n' || *q == '\r') {
        if (q == end && !c->is_last)
            return REC_MORE;
        t = q == end ? 0 : fi_line_end(c, q);
        if (t < 0)
            return REC_MORE;
        *next = q + t;
        *nl = t > 0;
        return REC_BLANK;
    }
    for (;;) {
        const char *fs = p, *num;
        double v;
        while (fs < end && fi_is_blank(*fs)) fs++;
        /* The fast path, inline: a short number followed by blanks and a delimiter or a
         * line end (at the buffer's end the slow path decides whether more may follow). */
        if (col < fast_end && col != label_col && (num = fi_scan_fast(fs, end, &v)) != NULL
            && num - fs <= FI_CSV_MAX_FIELD) {
            const char *u = num;
            while (u < end && fi_is_blank(*u)) u++;
            if (u < end) {
                if (*u == delim) {
                    row[col++] = v;
                    p = u + 1;
                    continue;
                }
                if (*u == '\n' || *u == '\r') {
                    row[col++] = v;
                    p = u;
                    goto record_end;
                }
            }
        }
        if (quote && fs < end && *fs == quote)
            r = fi_quoted(c, fs, line + lines, col, row, &p, &lines);
        else
            r = fi_unquoted(c, delim, fs, line + lines, col, row, &p);
        if (r != REC_ROW)
            return r;
        col++;
        if (p < end && *p == delim) {
            p++;
            continue;
        }
    record_end:
        rec_end = p;
        if (p < end) {
            t = fi_line_end(c, p);
            if (t < 0)
                return REC_MORE;
            p += t;
            lines++;
        }
        break;
    }
    if (row != NULL && col != ncols)
        return fi_fail(c, FI_CSV_EFIELDS, line, col, q, rec_end);
    *next = p;
    *nl = lines;
    *nfields = col;
    return REC_ROW;
}

static int fi_bad_dialect(const fi_csv_dialect *d, int64_t ncols)
{
    return d == NULL || d->label_column < -1 || d->label_column >= ncols ||
           (d->label_column >= 0 &&
            (d->nlabels < 0 || (d->nlabels > 0 && (!d->labels || !d->label_len))));
}

int fi_csv_parse(const char *buf, size_t len, const fi_csv_dialect *d, int64_t ncols,
                 int is_last, double *out, int64_t *row_line, int64_t max_rows,
                 int64_t *nrows, size_t *consumed, int64_t *nlines, fi_csv_error *err)
{
    const char *p = buf;
    int64_t rows = 0, lines = 0, cells, nf;
    int status = FI_OK;
    csv_ctx c;
    if (err != NULL)
        err->kind = 0;
    if (ncols < 1 || max_rows < 0 || (buf == NULL && len > 0) || out == NULL ||
        nrows == NULL || consumed == NULL || nlines == NULL || fi_bad_dialect(d, ncols) ||
        fi_mul_i64(max_rows, ncols, &cells) != 0)
        return FI_EINVAL;
    c.buf = buf;
    c.end = buf + len;
    c.d = d;
    c.ncols = ncols;
    c.is_last = is_last;
    c.err = err;
    while (rows < max_rows && p < c.end) {
        const char *next;
        int64_t nl;
        int r = fi_record(&c, p, lines, out + rows * ncols, &next, &nl, &nf);
        if (r == REC_MORE)
            break;
        if (r == REC_ERR) {
            status = FI_EINVAL;
            break;
        }
        if (r == REC_ROW) {
            if (row_line != NULL)
                row_line[rows] = lines;
            rows++;
        }
        p = next;
        lines += nl;
    }
    *nrows = rows;
    *consumed = (size_t)(p - buf);
    *nlines = lines;
    return status;
}

int fi_csv_count_fields(const char *buf, size_t len, const fi_csv_dialect *d, int is_last,
                        int64_t *ncols, int64_t *line, fi_csv_error *err)
{
    const char *p = buf;
    int64_t lines = 0;
    csv_ctx c;
    if (err != NULL)
        err->kind = 0;
    if ((buf == NULL && len > 0) || ncols == NULL || line == NULL || d == NULL)
        return FI_EINVAL;
    c.buf = buf;
    c.end = buf + len;
    c.d = d;
    c.ncols = 0;
    c.is_last = is_last;
    c.err = err;
    *ncols = 0;
    while (p < c.end) {
        const char *next;
        int64_t nl, nf;
        int r = fi_record(&c, p, lines, NULL, &next, &nl, &nf);
        if (r == REC_ERR)
            return FI_EINVAL;
        if (r == REC_MORE) {
            *ncols = -1;
            break;
        }
        if (r == REC_ROW) {
            *ncols = nf;
            break;
        }
        p = next;
        lines += nl;
    }
    *line = lines;
    return FI_OK;
}

int fi_csv_parse_f64(const char *buf, size_t len, char delim, int64_t ncols, int is_last,
                     double *out, int64_t *row_line, int64_t max_rows, int64_t *nrows,
                     size_t *consumed, int64_t *nlines, fi_csv_error *err)
{
    fi_csv_dialect d = {delim, '\0', -1, NULL, NULL, 0};
    return fi_csv_parse(buf, len, &d, ncols, is_last, out, row_line, max_rows, nrows,
                        consumed, nlines, err);
}
