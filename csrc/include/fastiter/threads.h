/*
 * The process-wide thread pool that the kernels split large calls across.
 *
 * A small persistent pool of pthreads (not OpenMP, so that fastiter does not fight the
 * OpenMP runtimes of numba or torch in the same process, and C programs embedding it
 * need no extra runtime).  Work is handed out dynamically: each participant, the caller
 * included, takes the next chunk from an atomic cursor, so a descheduled thread delays
 * the call by at most one chunk instead of half the work.
 *
 * The pool starts lazily on the first parallel call, is torn down at exit, and is
 * re-created (never inherited half-alive) in the child after fork().
 */
#ifndef FASTITER_THREADS_H_
#define FASTITER_THREADS_H_

#include "fastiter/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Body of a parallel loop: process items [begin, end).  ctx is the caller's pointer.
 * It runs on the caller and on pool threads at once, on disjoint ranges. */
typedef void (*fi_range_fn)(void *ctx, int64_t begin, int64_t end);

/*
 * Run fn over [0, n) in chunks of `chunk` items (the last may be shorter).
 * Requires: chunk >= 1; fn safe to run concurrently on disjoint ranges.
 * When n <= chunk, or only one thread is configured, or the pool is busy with another
 * caller's loop (or this is a nested call from inside a loop body), fn runs on the
 * calling thread alone; the result must therefore never depend on the split.
 * Any thread may call it.  Returns when every chunk has finished.
 */
void fi_parallel_for(int64_t n, int64_t chunk, fi_range_fn fn, void *ctx);

/*
 * Set the number of threads a parallel loop uses, the caller included (n >= 1).
 * The pool's workers are stopped and joined now and restarted lazily with the new size.
 * Returns FI_OK or FI_EINVAL.  Call it from one thread at a time, not from a loop body.
 */
int fi_set_num_threads(int n);

/* The configured thread count: fi_set_num_threads's value, else FASTITER_NUM_THREADS
 * from the environment (an integer in [1, 1024]; anything else is reported on stderr
 * and ignored), else the CPUs in the process's affinity mask.  Inside Python, fastiter
 * sets it at import from the same variable, capped also by the cgroup CPU quota. */
int fi_get_num_threads(void);

/* The number of native worker threads the pool currently owns (alive, not yet joined). */
int fi_pool_live_threads(void);

/* Whether the calling thread's parallel loops run on the calling thread alone (on != 0)
 * or on the pool (0, the default); returns the previous setting.  For a producer
 * thread whose consumer computes on the other cores: its loops then leave the workers
 * asleep and those cores to the consumer.  Results never depend on it. */
int fi_thread_serial(int on);

/* How many loops have been handed to the pool's workers since the process started
 * (loops run inline, serial or not, are not counted). */
unsigned long long fi_pool_jobs(void);

/* Stop and join every worker now (also registered with atexit).  The next parallel
 * loop restarts the pool.  Must not be called from a loop body. */
void fi_pool_shutdown(void);

#ifdef __cplusplus
}
#endif
#endif /* FASTITER_THREADS_H_ */
