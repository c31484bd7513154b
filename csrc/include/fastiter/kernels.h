/*
 * Batch-assembly kernels.  Each function is the single implementation of its hot path;
 * the Cython wrappers and the numba bindings call these very symbols.
 *
 * Thread-safety: every kernel is reentrant and may be called from any thread at once
 * on disjoint outputs.  No kernel touches Python state.
 */
#ifndef FASTITER_KERNELS_H_
#define FASTITER_KERNELS_H_

#include "fastiter/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * One-hot encoding.
 *
 * labels is viewed as [outer, inner] (C order); out as [outer, num_classes, inner]
 * (C order).  With inner == 1 this is the usual [N, C] layout; labels [N, T] with
 * inner = T give DL4J's time-series layout [N, C, T].
 *
 * Requires: labels and out non-NULL unless outer * inner == 0; num_classes >= 1;
 * out holds outer * num_classes * inner elements and does not overlap labels.
 * Returns FI_OK, or FI_ERANGE with *bad_index set to the flat position of the first
 * label that is negative or >= num_classes; in that case out is left untouched.
 * Output element types: u8 also serves bool; f16 writes IEEE half bits (1.0 = 0x3C00).
 */
#define FI_DECLARE_ONE_HOT(LT, LNAME, OT, ONAME) \
    int fi_one_hot_##LNAME##_##ONAME(const LT *labels, int64_t outer, int64_t inner, \
                                     int64_t num_classes, OT *out, int64_t *bad_index);
#define FI_DECLARE_ONE_HOT_ALL_OUT(LT, LNAME) \
    FI_DECLARE_ONE_HOT(LT, LNAME, uint8_t, u8) \
    FI_DECLARE_ONE_HOT(LT, LNAME, int32_t, i32) \
    FI_DECLARE_ONE_HOT(LT, LNAME, uint16_t, f16) \
    FI_DECLARE_ONE_HOT(LT, LNAME, float, f32) \
    FI_DECLARE_ONE_HOT(LT, LNAME, double, f64)
FI_DECLARE_ONE_HOT_ALL_OUT(int8_t, i8)
FI_DECLARE_ONE_HOT_ALL_OUT(int16_t, i16)
FI_DECLARE_ONE_HOT_ALL_OUT(int32_t, i32)
FI_DECLARE_ONE_HOT_ALL_OUT(int64_t, i64)
FI_DECLARE_ONE_HOT_ALL_OUT(uint8_t, u8)
FI_DECLARE_ONE_HOT_ALL_OUT(uint16_t, u16)

/*
 * Type-generic one-hot: dispatches on label_dtype (FI_INT8..FI_INT64, FI_UINT8,
 * FI_UINT16) and out_dtype (FI_BOOL, FI_UINT8, FI_INT32, FI_FLOAT16, FI_FLOAT32,
 * FI_FLOAT64).  Same contract as the typed functions; FI_EINVAL for an unsupported
 * dtype pair.
 */
int fi_one_hot(const void *labels, int label_dtype, int64_t outer, int64_t inner,
               int64_t num_classes, void *out, int out_dtype, int64_t *bad_index);

#ifdef __cplusplus
}
#endif
#endif /* FASTITER_KERNELS_H_ */
