/*
 * Batch-assembly kernels: the one implementation of each hot path (see kernels.h).
 */
#include "fastiter.h"

#include <string.h>

const char *fi_status_str(int status)
{
    switch (status) {
    case FI_OK: return "ok";
    case FI_EINVAL: return "invalid argument";
    case FI_ERANGE: return "value out of range";
    case FI_ENOMEM: return "out of memory";
    case FI_ECLOSED: return "closed";
    case FI_ETIMEDOUT: return "timed out";
    default: return "unknown status";
    }
}

size_t fi_dtype_size(int dtype)
{
    switch (dtype) {
    case FI_BOOL: case FI_INT8: case FI_UINT8: return 1;
    case FI_INT16: case FI_UINT16: case FI_FLOAT16: return 2;
    case FI_INT32: case FI_UINT32: case FI_FLOAT32: return 4;
    case FI_INT64: case FI_UINT64: case FI_FLOAT64: return 8;
    default: return 0;
    }
}

/*
 * Validate every label before writing anything, so that a bad label leaves the output
 * untouched and the caller learns the first offending position.  Unsigned label types
 * compare as unsigned, which folds the negative check into one comparison.
 */
#define FI_DEFINE_ONE_HOT(LT, LNAME, OT, ONAME, ONE)                                      \
    int fi_one_hot_##LNAME##_##ONAME(const LT *labels, int64_t outer, int64_t inner,      \
                                     int64_t num_classes, OT *out, int64_t *bad_index)    \
    {                                                                                     \
        const int64_t n = outer * inner;                                                  \
        if (num_classes < 1 || outer < 0 || inner < 0) return FI_EINVAL;                  \
        for (int64_t i = 0; i < n; i++) {                                                 \
            int64_t v = (int64_t)labels[i];                                               \
            if (v < 0 || v >= num_classes) {                                              \
                if (bad_index) *bad_index = i;                                            \
                return FI_ERANGE;                                                         \
            }                                                                             \
        }                                                                                 \
        const OT one = (OT)(ONE);                                                         \
        for (int64_t o = 0; o < outer; o++) {                                             \
            OT *row = out + o * num_classes * inner;                                      \
            const LT *lab = labels + o * inner;                                           \
            memset(row, 0, sizeof(OT) * (size_t)(num_classes * inner));                   \
            for (int64_t t = 0; t < inner; t++) row[(int64_t)lab[t] * inner + t] = one;   \
        }                                                                                 \
        return FI_OK;                                                                     \
    }

#define FI_DEFINE_ONE_HOT_ALL_OUT(LT, LNAME)                 \
    FI_DEFINE_ONE_HOT(LT, LNAME, uint8_t, u8, 1)             \
    FI_DEFINE_ONE_HOT(LT, LNAME, int32_t, i32, 1)            \
    FI_DEFINE_ONE_HOT(LT, LNAME, uint16_t, f16, 0x3C00)      \
    FI_DEFINE_ONE_HOT(LT, LNAME, float, f32, 1.0f)           \
    FI_DEFINE_ONE_HOT(LT, LNAME, double, f64, 1.0)

FI_DEFINE_ONE_HOT_ALL_OUT(int8_t, i8)
FI_DEFINE_ONE_HOT_ALL_OUT(int16_t, i16)
FI_DEFINE_ONE_HOT_ALL_OUT(int32_t, i32)
FI_DEFINE_ONE_HOT_ALL_OUT(int64_t, i64)
FI_DEFINE_ONE_HOT_ALL_OUT(uint8_t, u8)
FI_DEFINE_ONE_HOT_ALL_OUT(uint16_t, u16)

#define FI_ONE_HOT_OUT_SWITCH(LT, LNAME)                                                   \
    switch (out_dtype) {                                                                  \
    case FI_BOOL: case FI_UINT8:                                                          \
        return fi_one_hot_##LNAME##_u8((const LT *)labels, outer, inner, num_classes,     \
                                       (uint8_t *)out, bad_index);                        \
    case FI_INT32:                                                                        \
        return fi_one_hot_##LNAME##_i32((const LT *)labels, outer, inner, num_classes,    \
                                        (int32_t *)out, bad_index);                       \
    case FI_FLOAT16:                                                                      \
        return fi_one_hot_##LNAME##_f16((const LT *)labels, outer, inner, num_classes,    \
                                        (uint16_t *)out, bad_index);                      \
    case FI_FLOAT32:                                                                      \
        return fi_one_hot_##LNAME##_f32((const LT *)labels, outer, inner, num_classes,    \
                                        (float *)out, bad_index);                         \
    case FI_FLOAT64:                                                                      \
        return fi_one_hot_##LNAME##_f64((const LT *)labels, outer, inner, num_classes,    \
                                        (double *)out, bad_index);                        \
    default:                                                                              \
        return FI_EINVAL;                                                                 \
    }

int fi_one_hot(const void *labels, int label_dtype, int64_t outer, int64_t inner,
               int64_t num_classes, void *out, int out_dtype, int64_t *bad_index)
{
    switch (label_dtype) {
    case FI_INT8: FI_ONE_HOT_OUT_SWITCH(int8_t, i8)
    case FI_INT16: FI_ONE_HOT_OUT_SWITCH(int16_t, i16)
    case FI_INT32: FI_ONE_HOT_OUT_SWITCH(int32_t, i32)
    case FI_INT64: FI_ONE_HOT_OUT_SWITCH(int64_t, i64)
    case FI_UINT8: FI_ONE_HOT_OUT_SWITCH(uint8_t, u8)
    case FI_UINT16: FI_ONE_HOT_OUT_SWITCH(uint16_t, u16)
    default: return FI_EINVAL;
    }
}
