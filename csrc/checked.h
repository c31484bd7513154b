/*
 * Internal to the C core: overflow-checked size arithmetic, in one place.
 *
 * Every product or sum that becomes an allocation size, a loop bound or a pointer
 * offset goes through these: a caller's absurd shape (2^62 rows of 4 bytes) must give
 * FI_EINVAL, never a wrapped size that indexes the wrong row or writes out of bounds.
 * Each returns 0 and stores the result when it is representable, else 1 and leaves
 * *out untouched.  GCC and Clang compile the builtins to one instruction and a flag
 * test; other compilers get the portable division checks.
 */
#ifndef FASTITER_CHECKED_H_
#define FASTITER_CHECKED_H_

#include <stddef.h>
#include <stdint.h>

#if defined(__has_builtin)
#if __has_builtin(__builtin_mul_overflow) && __has_builtin(__builtin_add_overflow)
#define FI_HAVE_OVERFLOW_BUILTINS 1
#endif
#elif defined(__GNUC__) && __GNUC__ >= 5
#define FI_HAVE_OVERFLOW_BUILTINS 1
#endif

/* The size assumptions the checks below (and the rest of csrc/) rely on. */
_Static_assert(sizeof(size_t) >= 4, "size_t narrower than 32 bits");
_Static_assert(sizeof(int64_t) == 8 && sizeof(double) == 8, "int64_t/double not 8 bytes");
_Static_assert(sizeof(float) == 4, "float is not IEEE binary32");
_Static_assert((int64_t)-1 < 0 && (size_t)-1 > 0, "int64_t signed, size_t unsigned");

/* a * b for int64 values; both must be >= 0 (sizes, counts, strides). */
static inline int fi_mul_i64(int64_t a, int64_t b, int64_t *out)
{
    if (a < 0 || b < 0)
        return 1;
#ifdef FI_HAVE_OVERFLOW_BUILTINS
    {
        int64_t r;
        if (__builtin_mul_overflow(a, b, &r))
            return 1;
        *out = r;
    }
#else
    if (a != 0 && b > INT64_MAX / a)
        return 1;
    *out = a * b;
#endif
    return 0;
}

/* a + b for int64 values >= 0. */
static inline int fi_add_i64(int64_t a, int64_t b, int64_t *out)
{
    if (a < 0 || b < 0 || a > INT64_MAX - b)
        return 1;
    *out = a + b;
    return 0;
}

/* a * b as size_t (bytes), with a >= 0; fails when the product exceeds SIZE_MAX or
 * PTRDIFF_MAX (no object, hence no offset into one, can be that large). */
static inline int fi_mul_size(int64_t a, size_t b, size_t *out)
{
    size_t r;
    if (a < 0)
        return 1;
#ifdef FI_HAVE_OVERFLOW_BUILTINS
    if (__builtin_mul_overflow((size_t)a, b, &r))
        return 1;
#else
    if ((uint64_t)a > (uint64_t)SIZE_MAX)
        return 1;
    if (a != 0 && b > SIZE_MAX / (size_t)a)
        return 1;
    r = (size_t)a * b;
#endif
    if (r > (size_t)PTRDIFF_MAX)
        return 1;
    *out = r;
    return 0;
}

/* a * b * c (all >= 0) as an int64 count. */
static inline int fi_mul3_i64(int64_t a, int64_t b, int64_t c, int64_t *out)
{
    int64_t ab;
    return fi_mul_i64(a, b, &ab) || fi_mul_i64(ab, c, out);
}

/* 1 unless rows [0, rows) of row_bytes each, stride bytes apart, fit one object: the
 * end of the last row, (rows - 1) * stride + row_bytes, must be a representable offset.
 * A row stride of 2^62 over 5 rows would otherwise wrap row 4 onto row 0. */
static inline int fi_rows_overflow(int64_t rows, int64_t stride, size_t row_bytes)
{
    int64_t last;
    size_t end;
    if (rows <= 0 || row_bytes == 0)
        return 0;
    return fi_mul_i64(rows - 1, stride, &last) || fi_mul_size(1, row_bytes, &end) ||
           fi_add_i64(last, (int64_t)end, &last);
}

#endif /* FASTITER_CHECKED_H_ */
