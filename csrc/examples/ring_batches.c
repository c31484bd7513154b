/*
 * Two native producer threads assemble shuffled batches with the C kernels (fi_gather
 * of the features and labels, fi_one_hot of the labels; see batches.h) and hand them
 * to one consumer thread through the ring.  The consumer checks every batch against a
 * plain loop and can write them to a file for an outside check.
 *
 * The ring is single-producer / single-consumer, so two producers use two rings.
 * Producer p builds batches p, p + 2, p + 4, ... and the consumer pops ring k % 2 for
 * batch k: every batch arrives exactly once and in order whatever the thread timing,
 * with no lock and no reordering buffer.  The consumer releases each batch it pops.
 *
 * Build it as any program embedding fastiter would:
 */
// INC=$(python -c 'import fastiter; print(fastiter.get_include())')
// SRC=$(python -c 'import fastiter; print(fastiter.get_source_dir())')
// cc -std=c11 -O2 -I"$INC" ring_batches.c "$SRC"/*.c -pthread -lm -o ring_batches
// ./ring_batches [rows [batch_size [seed [out.bin]]]]
/*
 * out.bin receives, per batch in arrival order, its features [rows, EX_FEATURES] then
 * its one-hot labels [rows, EX_CLASSES], float32 in native byte order.  Exit status: 0
 * when every batch arrived once, in order and correct; 1 otherwise; 2 for bad usage.
 */
#include "batches.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define PRODUCERS 2
#define RING_SLOTS 4 /* small on purpose: each producer runs at most 4 batches ahead */

/* Compare batch k with a plain loop over the data set; returns the number of faults. */
static int check(const ex_dataset *d, const ex_batch *b, int64_t k)
{
    if (b->index != k || b->rows != ex_batch_rows(d, k)) {
        fprintf(stderr, "expected batch %" PRId64 ", got %" PRId64 " (%" PRId64 " rows)\n",
                k, b->index, b->rows);
        return 1;
    }
    for (int64_t i = 0; i < b->rows; i++) {
        int64_t r = d->perm[k * d->batch_size + i];
        int ok = memcmp(b->x + i * EX_FEATURES, d->x + r * EX_FEATURES,
                        sizeof(float) * EX_FEATURES) == 0;
        for (int c = 0; c < EX_CLASSES; c++)
            ok &= b->y[i * EX_CLASSES + c] == (c == d->labels[r] ? 1.0f : 0.0f);
        if (!ok) {
            fprintf(stderr, "batch %" PRId64 " row %" PRId64 " (source row %" PRId64 ") differs\n",
                    k, i, r);
            return 1;
        }
    }
    return 0;
}

/* Pop batches 0, 1, ... round-robin; returns how many were popped. */
static int64_t consume(const ex_dataset *d, fi_ring **rings, FILE *out, int *faults)
{
    int64_t k = 0;
    while (k < d->batches && *faults == 0) {
        void *item;
        int st = fi_ring_pop(rings[k % PRODUCERS], &item, FI_RING_FOREVER);
        if (st != FI_OK) {
            fprintf(stderr, "batch %" PRId64 " never came: %s\n", k, fi_status_str(st));
            ++*faults;
            break;
        }
        ex_batch *b = item; /* ours now */
        *faults += check(d, b, k++);
        if (out != NULL && *faults == 0) {
            size_t n = (size_t)b->rows;
            *faults += fwrite(b->x, sizeof(float), n * EX_FEATURES, out) != n * EX_FEATURES;
            *faults += fwrite(b->y, sizeof(float), n * EX_CLASSES, out) != n * EX_CLASSES;
        }
        ex_batch_release(b);
    }
    return k;
}

/* Join the producers; on a fault, close the rings first so that none stays blocked.
 * Whatever is still inside afterwards was never consumed (or is a duplicate). */
static int64_t shut_down(fi_ring **rings, fi_thread **threads, ex_producer *prod, int *faults)
{
    int64_t extra = 0;
    for (int p = 0; p < PRODUCERS; p++) {
        if (*faults && rings[p] != NULL)
            fi_ring_close(rings[p]);
        if (threads[p] != NULL) {
            fi_thread_join(threads[p]);
            *faults += prod[p].status != FI_OK;
        }
        void *item;
        while (rings[p] != NULL && fi_ring_pop(rings[p], &item, FI_RING_NOWAIT) == FI_OK) {
            ex_batch_release(item);
            extra++;
        }
        fi_ring_destroy(rings[p]);
    }
    return extra;
}

int main(int argc, char **argv)
{
    int64_t rows = argc > 1 ? strtoll(argv[1], NULL, 10) : 10000;
    int64_t batch_size = argc > 2 ? strtoll(argv[2], NULL, 10) : 128;
    uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 42;
    ex_dataset d = {0};
    if (ex_dataset_init(&d, rows, batch_size, seed) != FI_OK) {
        fprintf(stderr, "usage: %s [rows in [1, 2^19] [batch_size >= 1 [seed [out.bin]]]]\n",
                argv[0]);
        return 2;
    }
    FILE *out = argc > 4 ? fopen(argv[4], "wb") : NULL;
    int faults = argc > 4 && out == NULL;
    fi_ring *rings[PRODUCERS] = {NULL};
    fi_thread *threads[PRODUCERS] = {NULL};
    ex_producer prod[PRODUCERS];
    for (int p = 0; p < PRODUCERS && !faults; p++) {
        faults += fi_ring_create(RING_SLOTS, &rings[p]) != FI_OK;
        prod[p] = (ex_producer){&d, rings[p], p, PRODUCERS, FI_OK};
        faults += !faults && fi_thread_start(&threads[p], ex_produce, &prod[p]) != FI_OK;
    }
    int64_t got = faults ? 0 : consume(&d, rings, out, &faults);
    int64_t extra = shut_down(rings, threads, prod, &faults);
    if (out != NULL)
        faults += fclose(out) != 0;
    ex_dataset_free(&d);
    if (faults || extra || got != d.batches || ex_batches_alive() != 0) {
        fprintf(stderr, "ring_batches: FAILED (%" PRId64 " of %" PRId64 " batches, %" PRId64
                " extra, %" PRId64 " leaked)\n", got, d.batches, extra, ex_batches_alive());
        return 1;
    }
    printf("ring_batches: %" PRId64 " batches, %" PRId64 " rows, from %d producers: "
           "each once, in order, contents verified\n", got, rows, PRODUCERS);
    return 0;
}
