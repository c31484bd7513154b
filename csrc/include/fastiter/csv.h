/* Bulk parsing of numeric delimited text (CSV) into a row-major float64 matrix. */
#ifndef FASTITER_CSV_H_
#define FASTITER_CSV_H_

#include <stddef.h>
#include <stdint.h>

#include "fastiter/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where and why fi_csv_parse_f64 stopped on malformed input. */
typedef struct fi_csv_error {
    int64_t line;      /* 0-based line index within buf (every '\n' counts) */
    int64_t column;    /* 0-based field index, or the field count found for FI_CSV_EFIELDS */
    int64_t offset;    /* byte offset in buf of the offending field (or line start) */
    int64_t length;    /* its length in bytes */
    int kind;          /* FI_CSV_ENUMBER or FI_CSV_EFIELDS */
} fi_csv_error;

#define FI_CSV_ENUMBER 1   /* a field is not a number */
#define FI_CSV_EFIELDS 2   /* a line has a different number of fields than ncols */

/*
 * Parse complete lines of buf[0, len) into out, ncols float64 values per line, row-major.
 *
 * Requires: ncols >= 1; out has room for max_rows * ncols doubles; delim is not a digit,
 * sign, '.', 'e'/'E', space, '\r' or '\n'.  Lines end in '\n' (a '\r' before it is
 * ignored); lines holding only blanks are skipped.  A final line without '\n' is parsed
 * only when is_last != 0, otherwise left unconsumed for the caller to complete.  Blanks
 * around a field are ignored.  Fields are decimal numbers, "nan" or "inf" as strtod reads
 * them; numbers are correctly rounded.  Stops after max_rows rows.
 *
 * Outputs: *nrows rows written (row_line, when not NULL, receives each row's 0-based line
 * index within buf, so callers can name a record's line after blank lines were skipped), *consumed bytes and *nlines lines ('\n' characters)
 * consumed.  Returns FI_OK, or FI_EINVAL with *err filled (the rows before the bad line
 * are written and counted).  Reentrant: touches nothing but its arguments, so threads
 * may parse disjoint buffers concurrently.  Does not depend on the C locale for the
 * common case; strtod (the fallback for long mantissas) does.
 */
int fi_csv_parse_f64(const char *buf, size_t len, char delim, int64_t ncols, int is_last,
                     double *out, int64_t *row_line, int64_t max_rows, int64_t *nrows,
                     size_t *consumed, int64_t *nlines, fi_csv_error *err);

#ifdef __cplusplus
}
#endif
#endif /* FASTITER_CSV_H_ */
