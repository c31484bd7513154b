/*
 * The thread pool's regime, for kernels whose jobs are only worth the pool when a
 * worker is already awake (internal to csrc/; threads.c).
 */
#ifndef FASTITER_POOL_H
#define FASTITER_POOL_H

#include "fastiter.h"

/* 1 when at least one pool worker is awake (polling for a job or running one), 0 when
 * every worker sleeps or there are none.  A snapshot: it may change at once. */
int fi_pool_polling(void);

/* fi_parallel_for for jobs shorter than a sleeping worker's wake-up (tens of
 * microseconds in a VM): on the pool when a worker is awake, else on the calling
 * thread.  When such calls come faster than a worker polls between jobs, the sleeping
 * workers are woken (without a job) so that they are polling for the next call; calls
 * further apart leave them asleep, so an idle loader does not hold a core.  The bytes
 * written never depend on which way a call ran. */
void fi_parallel_for_awake(int64_t n, int64_t chunk, fi_range_fn fn, void *ctx);

/* fi_parallel_for where every thread takes the chunks in index order: no chunk is
 * handed out before every lower one has been.  (fi_parallel_for lets the workers take
 * theirs from the back, for cache affinity.)  A chunk may then wait for work in lower
 * chunks, which never wait on higher ones. */
void fi_parallel_for_in_order(int64_t n, int64_t chunk, fi_range_fn fn, void *ctx);

#endif
