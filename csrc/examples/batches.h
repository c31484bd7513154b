/*
 * The producer side shared by the ring examples (ring_batches.c, ring_capsule.c): a
 * synthetic data set, its shuffled epoch order, and a producer thread that assembles
 * batches with the C kernels and pushes them into its own ring.
 *
 * Data set: x[r][f] = r + f / 16 (exact in float32 below 2^19 rows) and
 * label[r] = (7 r + 3) mod EX_CLASSES.  Epoch order: Fisher-Yates over the Philox words
 * of (seed, stream 0); step i, from rows - 1 down to 1, swaps i with
 * floor(word * (i + 1) / 2^32), using word number rows - 1 - i.
 *
 * Ownership: a producer allocates each batch (header and both arrays in one block);
 * the ring owns it between push and pop; the popper releases it with ex_batch_release.
 * A producer whose push fails because the ring was closed still owns that batch and
 * releases it itself.  ex_batches_alive counts batches allocated and not yet released,
 * so a program can prove that none leaked.
 */
#ifndef FASTITER_EXAMPLE_BATCHES_H_
#define FASTITER_EXAMPLE_BATCHES_H_

#include <fastiter.h>

#include <stdatomic.h>
#include <stdlib.h>

#define EX_FEATURES 12
#define EX_CLASSES 10
#define EX_MAX_ROWS ((int64_t)1 << 19)

typedef struct ex_dataset {
    int64_t rows, batch_size, batches;
    float *x;        /* [rows, EX_FEATURES] */
    int64_t *labels; /* [rows] */
    int64_t *perm;   /* the epoch: batch k holds rows perm[k * batch_size ...] */
} ex_dataset;

/* What travels through the ring: one malloc'd block, released with ex_batch_release. */
typedef struct ex_batch {
    int64_t index;              /* position in the epoch */
    int64_t rows;               /* batch_size, or fewer for the last batch */
    int64_t features, classes;  /* EX_FEATURES, EX_CLASSES */
    float *x;                   /* [rows, features] gathered features */
    float *y;                   /* [rows, classes] one-hot labels */
} ex_batch;

/* Producer `first` of `stride` builds batches first, first + stride, ... into ring,
 * then closes the ring ("no more batches").  status ends FI_OK or the failure. */
typedef struct ex_producer {
    const ex_dataset *data;
    fi_ring *ring;
    int64_t first, stride;
    int status;
} ex_producer;

static atomic_llong ex_batches_live;

/* Batches allocated and not yet released, in this translation unit.  Any thread. */
static inline int64_t ex_batches_alive(void)
{
    return (int64_t)atomic_load(&ex_batches_live);
}

/* Release a batch popped from a ring (or never pushed).  Any thread; NULL is ignored. */
static inline void ex_batch_release(void *batch)
{
    if (batch != NULL)
        atomic_fetch_sub(&ex_batches_live, 1);
    free(batch);
}

static inline int64_t ex_batch_rows(const ex_dataset *d, int64_t k)
{
    int64_t left = d->rows - k * d->batch_size;
    return left < d->batch_size ? left : d->batch_size;
}

static inline int ex_shuffle(int64_t *perm, int64_t n, uint64_t seed)
{
    for (int64_t i = 0; i < n; i++)
        perm[i] = i;
    if (n < 2)
        return FI_OK;
    uint32_t *words = malloc((size_t)(n - 1) * sizeof *words);
    if (words == NULL)
        return FI_ENOMEM;
    int st = fi_random_bits(seed, 0, 0, n - 1, words);
    for (int64_t i = n - 1; st == FI_OK && i > 0; i--) {
        int64_t j = (int64_t)(((uint64_t)words[n - 1 - i] * (uint64_t)(i + 1)) >> 32);
        int64_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    free(words);
    return st;
}

static inline void ex_dataset_free(ex_dataset *d)
{
    free(d->x);
    free(d->labels);
    free(d->perm);
    d->x = NULL;
    d->labels = NULL;
    d->perm = NULL;
}

/* Requires 1 <= rows <= EX_MAX_ROWS, batch_size >= 1.  FI_OK, FI_EINVAL or FI_ENOMEM;
 * on failure d holds nothing to free. */
static inline int ex_dataset_init(ex_dataset *d, int64_t rows, int64_t batch_size,
                                  uint64_t seed)
{
    if (rows < 1 || rows > EX_MAX_ROWS || batch_size < 1)
        return FI_EINVAL;
    d->rows = rows;
    d->batch_size = batch_size;
    d->batches = (rows + batch_size - 1) / batch_size;
    d->x = malloc((size_t)rows * EX_FEATURES * sizeof *d->x);
    d->labels = malloc((size_t)rows * sizeof *d->labels);
    d->perm = malloc((size_t)rows * sizeof *d->perm);
    int st = d->x && d->labels && d->perm ? FI_OK : FI_ENOMEM;
    for (int64_t r = 0; st == FI_OK && r < rows; r++) {
        for (int f = 0; f < EX_FEATURES; f++)
            d->x[r * EX_FEATURES + f] = (float)r + (float)f / 16.0f;
        d->labels[r] = (7 * r + 3) % EX_CLASSES;
    }
    if (st == FI_OK)
        st = ex_shuffle(d->perm, rows, seed);
    if (st != FI_OK)
        ex_dataset_free(d);
    return st;
}

/* Batch k assembled by the kernels, or NULL with *status set.  labels: batch_size
 * int64 of scratch space. */
static inline ex_batch *ex_assemble(const ex_dataset *d, int64_t k, int64_t *labels,
                                    int *status)
{
    int64_t rows = ex_batch_rows(d, k), bad;
    const int64_t *idx = d->perm + k * d->batch_size;
    size_t row_bytes = EX_FEATURES * sizeof(float);
    ex_batch *b = malloc(sizeof *b + (size_t)rows * (EX_FEATURES + EX_CLASSES) * sizeof(float));
    if (b == NULL) {
        *status = FI_ENOMEM;
        return NULL;
    }
    atomic_fetch_add(&ex_batches_live, 1);
    *b = (ex_batch){k, rows, EX_FEATURES, EX_CLASSES, (float *)(b + 1), NULL};
    b->y = b->x + rows * EX_FEATURES;
    *status = fi_gather(d->x, d->rows, (int64_t)row_bytes, row_bytes, idx, rows, b->x, &bad);
    if (*status == FI_OK)
        *status = fi_gather(d->labels, d->rows, sizeof(int64_t), sizeof(int64_t), idx, rows,
                            labels, &bad);
    if (*status == FI_OK)
        *status = fi_one_hot(labels, FI_INT64, rows, 1, EX_CLASSES, b->y, FI_FLOAT32, &bad);
    if (*status != FI_OK) {
        ex_batch_release(b);
        return NULL;
    }
    return b;
}

/* The producer thread's body (for fi_thread_start). */
static inline void ex_produce(void *arg)
{
    ex_producer *p = arg;
    const ex_dataset *d = p->data;
    int64_t *labels = malloc((size_t)d->batch_size * sizeof *labels);
    p->status = labels == NULL ? FI_ENOMEM : FI_OK;
    for (int64_t k = p->first; p->status == FI_OK && k < d->batches; k += p->stride) {
        ex_batch *b = ex_assemble(d, k, labels, &p->status);
        if (b != NULL && fi_ring_push(p->ring, b, FI_RING_FOREVER) != FI_OK) {
            ex_batch_release(b); /* the consumer closed the ring: the batch is still ours */
            break;
        }
    }
    free(labels);
    fi_ring_close(p->ring);
}

#endif /* FASTITER_EXAMPLE_BATCHES_H_ */
