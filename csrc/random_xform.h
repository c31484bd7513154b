/*
 * Internal to the C core (not installed as public API): the transforms that turn
 * Philox words into output elements, shared by philox.c.
 */
#ifndef FASTITER_RANDOM_XFORM_H_
#define FASTITER_RANDOM_XFORM_H_

#include "fastiter/common.h"

enum { FI_XF_BITS, FI_XF_UNIFORM, FI_XF_NORMAL, FI_XF_INTEGERS, FI_XF_BINARY, FI_XF_ONE_HOT };

typedef struct fi_xform_params {
    int64_t low;          /* integers */
    uint64_t range;       /* integers, one-hot classes */
    uint64_t threshold;   /* binary: 1 where word < threshold */
    int64_t num_classes;  /* one-hot */
} fi_xform_params;

/* 2 for the 64-bit kinds (uniform/normal float64), else 1. */
int fi_xf_words_per_element(int kind, int dtype);

/* 1 if every value of [low, low + range) is representable in integer dtype. */
int fi_xf_int_range_fits(int dtype, int64_t low, uint64_t range);

/* Elements [0, ne) from words w (ne * words_per_element words, starting at a multiple
 * of 4 so that Box-Muller pairs line up) into out, typed by dtype. */
void fi_xf_apply(int kind, int dtype, const fi_xform_params *prm, const uint32_t *w,
                 int64_t ne, void *out);

/* cls[k] = floor(w[k] * range / 2^32). */
void fi_xf_classes(const uint32_t *w, int64_t n, uint64_t range, int64_t *cls);

#endif /* FASTITER_RANDOM_XFORM_H_ */
