/*
 * Fused gather + conversion: uint8 rows picked by index and turned into floats in one
 * pass (the per-batch step of every image dataset: MNIST, EMNIST, CIFAR-10).
 *
 * Gathering the bytes first and converting them afterwards reads and writes the batch
 * twice; this kernel reads each source byte once and writes each float once, with a
 * vectorised inner loop and the thread pool for large batches.
 */
#ifndef FASTITER_CONVERT_H_
#define FASTITER_CONVERT_H_

#include "fastiter/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The threshold value that means "no threshold": plain scaling. */
#define FI_NO_THRESHOLD (-1)

/*
 * out[k, j] = scale * v(src[indices[k], j]) for k in [0, n), j in [0, row_len), where
 * v(p) = p without a threshold, and v(p) = (p > threshold ? 1 : 0) with one (DL4J's
 * MNIST binarization is threshold 30, scale 1).
 *
 * Source row r is row_len contiguous bytes at src + r * src_stride (src_stride >=
 * row_len).  indices == NULL means the identity (rows 0..n-1; then n <= src_rows).
 * out is n * row_len contiguous elements of out_dtype: FI_FLOAT32 (computed as
 * (float)p * (float)scale) or FI_FLOAT64 ((double)p * scale); the rounding is that of
 * one IEEE multiply, on every machine and SIMD path.
 *
 * Requires: threshold == FI_NO_THRESHOLD or 0 <= threshold <= 255; out does not
 * overlap src.  Any thread may call it; large batches run on the pool.
 * Returns FI_OK; FI_EINVAL for a bad size, stride, dtype or threshold (nothing
 * written); FI_ERANGE with *bad_index = the first k whose index is negative or
 * >= src_rows (nothing written).
 */
int fi_gather_scaled_u8(const uint8_t *src, int64_t src_rows, int64_t src_stride,
                        int64_t row_len, const int64_t *indices, int64_t n, double scale,
                        int threshold, void *out, int out_dtype, int64_t *bad_index);

/*
 * One labelled batch in one call: the features as fi_gather_scaled_u8 (same arguments),
 * and labels_out[k] = the label_row_bytes bytes of row indices[k] of label_rows (one
 * row per source row, contiguous, e.g. a one-hot table built once by fi_one_hot);
 * indices == NULL means rows 0..n-1 of both, as for fi_gather_scaled_u8.
 * This is what an image dataset's iterator does per batch; one call instead of two
 * keeps the per-batch overhead of the caller (a Python iterator) to one crossing.
 *
 * Requires label_rows and labels_out non-NULL when label_row_bytes > 0, not
 * overlapping out.  Returns as fi_gather_scaled_u8; on any error nothing is written.
 */
int fi_gather_scaled_labeled_u8(const uint8_t *src, int64_t src_rows, int64_t src_stride,
                                int64_t row_len, const int64_t *indices, int64_t n,
                                double scale, int threshold, void *out, int out_dtype,
                                const void *label_rows, size_t label_row_bytes,
                                void *labels_out, int64_t *bad_index);

#ifdef __cplusplus
}
#endif
#endif /* FASTITER_CONVERT_H_ */
