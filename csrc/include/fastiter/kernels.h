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

/*
 * fi_one_hot for an out that is already all zeros (fresh calloc / mmap memory): only
 * the ones are written, which saves the zeroing pass the kernel's page faults already
 * paid for.  Same contract otherwise.
 */
int fi_one_hot_zeroed(const void *labels, int label_dtype, int64_t outer, int64_t inner,
                      int64_t num_classes, void *out, int out_dtype, int64_t *bad_index);


/* Output layouts of padded sequence batches. */
typedef enum fi_layout {
    FI_LAYOUT_NTF = 0, /* [N, T, F]: each step's features contiguous (Keras, torch batch_first) */
    FI_LAYOUT_NFT = 1  /* [N, F, T]: each feature's time series contiguous (DL4J) */
} fi_layout;

/*
 * Pad (and align, and truncate) variable-length sequences into one batch, with a mask.
 *
 * Example i is the C-contiguous array seqs[i] of rows of `features` elements, each
 * elem_size bytes.  Its source rows [src_begin[i], src_begin[i] + count[i]) go to
 * output steps [start[i], start[i] + count[i]); every other step of example i holds
 * the elem_size-byte pattern pad_value.  out is [n, steps, features] (FI_LAYOUT_NTF)
 * or [n, features, steps] (FI_LAYOUT_NFT), C order.  If mask is not NULL it is
 * [n, steps] of mask_elem_size-byte elements: the pattern mask_one on the copied steps
 * and all-zero bytes elsewhere.  Every output byte is written exactly once.
 *
 * Requires: src_begin[i] >= 0, count[i] >= 0, 0 <= start[i], start[i] + count[i] <=
 * steps; seqs[i] non-NULL and holding src_begin[i] + count[i] rows unless count[i] == 0;
 * outputs not overlapping inputs.  Returns FI_OK, or FI_EINVAL (nothing written) with
 * *bad_index = the first example breaking the contract.  Large batches run on the pool.
 */
int fi_pad_sequences(const void *const *seqs, const int64_t *src_begin,
                     const int64_t *count, const int64_t *start, int64_t n,
                     int64_t features, int64_t steps, size_t elem_size, int layout,
                     const void *pad_value, void *out, void *mask, size_t mask_elem_size,
                     const void *mask_one, int64_t *bad_index);

/*
 * Batch assembly: copy rows src[indices[k]] to out row k, for k in [0, n).
 *
 * A source row is row_bytes contiguous bytes; row r starts at src + r * src_stride
 * (bytes, >= row_bytes).  out is n * row_bytes contiguous bytes.
 * Returns FI_OK, or FI_ERANGE with *bad_index = the first k whose index is negative or
 * >= src_rows; then out is left untouched.  Large batches run on the pool.
 */
int fi_gather(const void *src, int64_t src_rows, int64_t src_stride, size_t row_bytes,
              const int64_t *indices, int64_t n, void *out, int64_t *bad_index);

/*
 * Windows of consecutive rows: window k is the `window` rows src[starts[k]] ..
 * src[starts[k] + window - 1] of a C-contiguous [src_rows, features] block of
 * elem_size-byte elements (windows may overlap).  out is [n, window, features]
 * (FI_LAYOUT_NTF) or [n, features, window] (FI_LAYOUT_NFT, each window transposed), C
 * order; elements are copied as bits.  Requires out not overlapping src.  Returns
 * FI_OK, FI_EINVAL for a bad size or layout, or FI_ERANGE with *bad_index = the first k
 * whose window does not fit in [0, src_rows); then out is left untouched.  Large
 * batches run on the pool.
 */
int fi_gather_windows(const void *src, int64_t src_rows, int64_t features, size_t elem_size,
                      const int64_t *starts, int64_t n, int64_t window, int layout,
                      void *out, int64_t *bad_index);

/*
 * Stack n items of item_bytes each (srcs[k], contiguous) into out (n * item_bytes).
 * Requires non-NULL srcs[k] unless item_bytes == 0.  Returns FI_OK or FI_EINVAL.
 */
int fi_collate(const void *const *srcs, int64_t n, size_t item_bytes, void *out);

#ifdef __cplusplus
}
#endif
#endif /* FASTITER_KERNELS_H_ */
