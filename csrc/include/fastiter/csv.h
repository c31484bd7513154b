/* Bulk parsing of numeric delimited text (CSV) into a row-major float64 matrix. */
#ifndef FASTITER_CSV_H_
#define FASTITER_CSV_H_

#include <stddef.h>
#include <stdint.h>

#include "fastiter/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where and why a parse stopped on malformed input. */
typedef struct fi_csv_error {
    int64_t line;      /* 0-based line index within buf where the bad field (or record) starts */
    int64_t column;    /* 0-based field index, or the field count found for FI_CSV_EFIELDS */
    int64_t offset;    /* byte offset in buf of the offending field's text (or record start) */
    int64_t length;    /* its length in bytes */
    int kind;          /* one of FI_CSV_E* below */
} fi_csv_error;

#define FI_CSV_ENUMBER 1   /* a field is not a number */
#define FI_CSV_EFIELDS 2   /* a record has a different number of fields than ncols */
#define FI_CSV_EQUOTE  3   /* a quote is never closed, or text follows a closing quote */
#define FI_CSV_ELONG   4   /* a field is longer than FI_CSV_MAX_FIELD bytes */
#define FI_CSV_ELABEL  5   /* the label column holds a name that is not in the label list */

/* The longest field accepted, in bytes (Python's csv module has the same default). */
#define FI_CSV_MAX_FIELD 131072

/*
 * How text is split into fields.
 *
 * quote: the quote character, or '\0' for none.  A field that starts (after blanks) with
 * it runs to the next lone quote; inside it, a doubled quote stands for one quote and the
 * delimiter and line ends are ordinary text (RFC 4180).  Blanks may surround the quotes.
 * label_column: the 0-based column whose text is looked up in labels[0, nlabels) (each
 * label_len[i] bytes, compared exactly after trimming blanks); its index in that list is
 * stored as the value.  -1 when every column is numeric.
 */
typedef struct fi_csv_dialect {
    char delim;
    char quote;
    int64_t label_column;
    const char *const *labels;
    const size_t *label_len;
    int64_t nlabels;
} fi_csv_dialect;

/*
 * Parse complete records of buf[0, len) into out, ncols float64 values per record.
 *
 * The grammar (the same for quoted and unquoted fields, every delimiter and column):
 *   - Records end in "\n", "\r\n" or a lone "\r"; each counts as one line.  Records
 *     holding only blanks (space, tab) are skipped.
 *   - Blanks around a field are ignored.  A field is a strict decimal number:
 *     [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?, or nan, inf, infinity
 *     with an optional sign, in any letter case.  Nothing else: no hexadecimal, no digit
 *     separators ('_'), no empty field, no locale.  Numbers are correctly rounded
 *     (a magnitude beyond the float64 range becomes +-inf, as in IEEE 754).
 *   - A field is at most FI_CSV_MAX_FIELD bytes.
 * A final record that may continue in the next buffer (no line end yet, an open quote,
 * a '\r' as the last byte) is parsed only when is_last != 0, otherwise left unconsumed.
 * Stops after max_rows rows.
 *
 * Requires: d != NULL; ncols >= 1; out has room for max_rows * ncols doubles; d->delim
 * is not a letter, digit, sign, '.', blank, '\r', '\n' or d->quote; d->quote is none of
 * those either; labels valid when label_column >= 0.
 *
 * Outputs: *nrows rows written (row_line, when not NULL, receives each row's 0-based
 * starting line within buf), *consumed bytes and *nlines lines consumed.  Returns FI_OK,
 * or FI_EINVAL with *err filled (kind != 0; the rows before the bad record are written
 * and counted) or, for bad arguments, with err->kind == 0.  Reentrant: threads may parse
 * disjoint buffers concurrently.  strtod (the fallback for long mantissas) uses the C
 * locale's decimal point; the common case does not depend on the locale.
 */
int fi_csv_parse(const char *buf, size_t len, const fi_csv_dialect *d, int64_t ncols,
                 int is_last, double *out, int64_t *row_line, int64_t max_rows,
                 int64_t *nrows, size_t *consumed, int64_t *nlines, fi_csv_error *err);

/*
 * The number of fields of the first non-blank record of buf[0, len), quotes respected,
 * into *ncols (0 when buf holds no record, -1 when the record may continue past len and
 * is_last == 0).  *line receives its 0-based line.  Returns FI_OK, or FI_EINVAL with
 * *err filled (an unclosed quote or a field over FI_CSV_MAX_FIELD bytes).
 */
int fi_csv_count_fields(const char *buf, size_t len, const fi_csv_dialect *d, int is_last,
                        int64_t *ncols, int64_t *line, fi_csv_error *err);

/* fi_csv_parse without quoting or labels (delim only); kept for existing callers. */
int fi_csv_parse_f64(const char *buf, size_t len, char delim, int64_t ncols, int is_last,
                     double *out, int64_t *row_line, int64_t max_rows, int64_t *nrows,
                     size_t *consumed, int64_t *nlines, fi_csv_error *err);

#ifdef __cplusplus
}
#endif
#endif /* FASTITER_CSV_H_ */
