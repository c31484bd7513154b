/*
 * C produces, Python consumes: a shared library whose native threads push batches into
 * rings that Python created (fastiter.Ring(n, kind="int")) and handed over as capsules.
 * ring_capsule.py is the Python side; build the library as any embedding code would:
 */
// INC=$(python -c 'import fastiter; print(fastiter.get_include())')
// SRC=$(python -c 'import fastiter; print(fastiter.get_source_dir())')
// cc -std=c11 -O2 -shared -fPIC -I"$INC" ring_capsule.c "$SRC"/*.c -pthread -lm -o libring_capsule.so
/*
 * Protocol (every function is called from one Python thread, the consumer):
 * 1. ex_start(rings, n, ...) starts n producer threads; producer p pushes batches
 *    p, p + n, ... (ex_batch *, see batches.h) into rings[p] and closes it when done.
 *    The rings must stay alive until ex_join returns (Python keeps the capsules).
 * 2. The consumer pops batch k from rings[k % n], reads it in place (zero copy), and
 *    gives it back with ex_batch_free: every popped batch is the consumer's to free.
 * 3. ex_join(set) waits for the producers and frees the set.  To stop early, close the
 *    rings first (a producer blocked on a full ring wakes and drops its batch), join,
 *    then ex_batch_free whatever is still in the rings.
 */
#include "batches.h"

#if defined(_WIN32)
#define EX_API __declspec(dllexport)
#else
#define EX_API __attribute__((visibility("default")))
#endif

#define EX_MAX_PRODUCERS 64

typedef struct ex_set {
    ex_dataset data;
    int n;
    ex_producer prod[EX_MAX_PRODUCERS];
    fi_thread *threads[EX_MAX_PRODUCERS];
} ex_set;

/* Join the started producers, then free the set; FI_OK or the first producer failure. */
EX_API int ex_join(ex_set *s)
{
    int status = FI_OK;
    for (int p = 0; p < s->n; p++) {
        if (s->threads[p] == NULL)
            continue;
        fi_thread_join(s->threads[p]);
        if (status == FI_OK)
            status = s->prod[p].status;
    }
    ex_dataset_free(&s->data);
    free(s);
    /* Stop the kernels' pool of this copy of the core, so no thread of ours outlives
     * the run (a later kernel call restarts it). */
    fi_pool_shutdown();
    return status;
}

/* Start n producers over a rows-long data set shuffled by seed.  Returns the set to
 * pass to ex_join, or NULL (nothing started, *status says why).  The rings are
 * fi_ring pointers taken from "fastiter.fi_ring" capsules; they must be empty, open
 * and not pushed to by anyone else. */
EX_API ex_set *ex_start(fi_ring *const *rings, int n, int64_t rows, int64_t batch_size,
                        uint64_t seed, int *status)
{
    if (rings == NULL || n < 1 || n > EX_MAX_PRODUCERS) {
        *status = FI_EINVAL;
        return NULL;
    }
    ex_set *s = calloc(1, sizeof *s);
    if (s == NULL) {
        *status = FI_ENOMEM;
        return NULL;
    }
    *status = ex_dataset_init(&s->data, rows, batch_size, seed);
    for (int p = 0; *status == FI_OK && p < n; p++) {
        s->prod[p] = (ex_producer){&s->data, rings[p], p, n, FI_OK};
        *status = rings[p] == NULL ? FI_EINVAL
                                   : fi_thread_start(&s->threads[p], ex_produce, &s->prod[p]);
        s->n = p + (*status == FI_OK);
    }
    if (*status != FI_OK) {
        for (int p = 0; p < s->n; p++)
            fi_ring_close(rings[p]); /* the started producers stop at their next push */
        ex_join(s);
        return NULL;
    }
    return s;
}

/* Release a batch popped from a ring.  Any thread; NULL is ignored. */
EX_API void ex_batch_free(void *batch)
{
    ex_batch_release(batch);
}

/* Batches allocated by the producers and not yet released (0 once all are freed). */
EX_API int64_t ex_batches_pending(void)
{
    return ex_batches_alive();
}

/* Threads of this library still running their producer body (0 after ex_join), plus
 * the kernel pool's workers of this copy of the core. */
EX_API int64_t ex_live_threads(void)
{
    return fi_thread_live_count() + fi_pool_live_threads();
}
