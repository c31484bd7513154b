/* C tests of the thread pool: coverage of every item, concurrency, nesting, resizing,
 * fork, the awake/asleep dispatch (pool.h, internal), and the kernels whose pool jobs
 * have an order inside them (one-hot's check before its write).  Built plain, under
 * ASan/UBSan and under TSan.  Exit non-zero on failure. */
#define _POSIX_C_SOURCE 200809L
#include <fastiter.h>
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures = 0;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", \
    __FILE__, __LINE__, #cond); failures++; } } while (0)

#define N 100000
static unsigned char hits[N];

typedef struct { unsigned char *hits; atomic_llong calls; } mark_ctx;

static void mark(void *ctx, int64_t begin, int64_t end)
{
    mark_ctx *c = ctx;
    atomic_fetch_add(&c->calls, 1);
    for (int64_t i = begin; i < end; i++) c->hits[i]++;
}

static void run_and_check(int64_t n, int64_t chunk)
{
    mark_ctx c;
    c.hits = hits;
    atomic_init(&c.calls, 0);
    memset(hits, 0, sizeof hits);
    fi_parallel_for(n, chunk, mark, &c);
    for (int64_t i = 0; i < n; i++) CHECK(hits[i] == 1);
    /* the pool runs one call per chunk; inline (1 thread, small n) runs a single call */
    long long calls = atomic_load(&c.calls);
    long long want = n > chunk && fi_get_num_threads() > 1 ? (n + chunk - 1) / chunk : n > 0;
    if (calls != want) fprintf(stderr, "n=%lld chunk=%lld calls=%lld\n", (long long)n, (long long)chunk, calls);
    CHECK(calls == want);
}

static void nested_body(void *ctx, int64_t begin, int64_t end)
{
    atomic_llong *sum = ctx;
    for (int64_t i = begin; i < end; i++) {
        mark_ctx inner;
        unsigned char local[64] = {0};
        inner.hits = local;
        atomic_init(&inner.calls, 0);
        fi_parallel_for(64, 4, mark, &inner); /* runs inline: never deadlocks */
        for (int k = 0; k < 64; k++) atomic_fetch_add(sum, local[k]);
    }
}

typedef struct { int ok; } caller_arg;

static void add_range(void *ctx, int64_t begin, int64_t end)
{
    atomic_llong *sum = ctx;
    long long s = 0;
    for (int64_t i = begin; i < end; i++) s += i;
    atomic_fetch_add(sum, s);
}

static void *caller(void *arg)
{
    caller_arg *a = arg;
    a->ok = 1;
    for (int rep = 0; rep < 50; rep++) {
        atomic_llong sum;
        atomic_init(&sum, 0);
        fi_parallel_for(20000, 97, add_range, &sum);
        if (atomic_load(&sum) != 20000LL * 19999 / 2) a->ok = 0;
    }
    return NULL;
}

/* Checks fi_pool_polling() until it equals want, for at most ms milliseconds; returns
 * whether it did.  A woken worker polls only briefly, so this reads without sleeping. */
static int wait_polling(int want, long ms)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        if (fi_pool_polling() == want) return 1;
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while ((t.tv_sec - t0.tv_sec) * 1000L + (t.tv_nsec - t0.tv_nsec) / 1000000L < ms);
    return 0;
}

/* A job of 100 chunks of about 20 us each: long enough that a sleeping worker wakes
 * and joins it, so that the worker is polling right after it returns. */
static void slow_body(void *ctx, int64_t begin, int64_t end)
{
    (void)ctx;
    for (int64_t i = begin; i < end; i++) {
        struct timespec t0, t;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        do clock_gettime(CLOCK_MONOTONIC, &t);
        while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 20000);
    }
}

static void wake_pool(void) { fi_parallel_for(100, 1, slow_body, NULL); }

typedef struct { atomic_llong calls; atomic_llong sum; pthread_t caller; atomic_int off_caller; } awake_ctx;

static void awake_body(void *ctx, int64_t begin, int64_t end)
{
    awake_ctx *c = ctx;
    atomic_fetch_add(&c->calls, 1);
    if (!pthread_equal(pthread_self(), c->caller)) atomic_store(&c->off_caller, 1);
    long long s = 0;
    for (int64_t i = begin; i < end; i++) s += i;
    atomic_fetch_add(&c->sum, s);
}

/* Runs a loop of n items in chunks through `dispatch` (fi_parallel_for or
 * fi_parallel_for_awake), checks every item ran once, and returns how many calls the
 * body got; *off_caller says whether any ran off the calling thread. */
static long long run_loop(void (*dispatch)(int64_t, int64_t, fi_range_fn, void *), int64_t n,
                          int64_t chunk, int *off_caller)
{
    awake_ctx c;
    atomic_init(&c.calls, 0);
    atomic_init(&c.sum, 0);
    atomic_init(&c.off_caller, 0);
    c.caller = pthread_self();
    dispatch(n, chunk, awake_body, &c);
    CHECK(atomic_load(&c.sum) == (long long)n * (n - 1) / 2);
    if (off_caller) *off_caller = atomic_load(&c.off_caller);
    return atomic_load(&c.calls);
}

static long long run_awake(int64_t n, int64_t chunk, int *off_caller)
{
    return run_loop(fi_parallel_for_awake, n, chunk, off_caller);
}

/* fi_parallel_for_awake: with every worker asleep a job runs in one call on the caller;
 * two such calls in quick succession wake the workers, which then poll; a job that
 * finds a worker polling is split into its chunks; an idle worker goes back to sleep
 * (its poll is bounded), and the thread count ends as before. */
static void test_awake_dispatch(void)
{
    CHECK(fi_set_num_threads(2) == FI_OK);
    CHECK(fi_pool_live_threads() == 0 && fi_pool_polling() == 0);
    int off = 1;
    CHECK(run_awake(10000, 100, &off) == 1); /* no workers yet: inline, none started */
    CHECK(off == 0);
    /* A second call within the poll window starts the worker and wakes it (retried:
     * on a loaded machine the two calls may be further apart than the window). */
    int woke = 0;
    for (int tries = 0; tries < 50 && !woke; tries++) {
        if (!wait_polling(0, 5000)) break;
        run_awake(10000, 100, NULL);
        run_awake(10000, 100, NULL);
        woke = wait_polling(1, 5);
    }
    CHECK(woke);
    CHECK(fi_pool_live_threads() == 1);
    /* a worker that polls without work sleeps soon: it must not hold a core */
    CHECK(wait_polling(0, 5000));
    CHECK(run_awake(10000, 100, &off) == 1 && off == 0);
    /* a pool job the worker joined leaves it polling: the next call is split */
    fi_parallel_for_awake(0, 1, awake_body, NULL); /* n = 0: nothing runs */
    int split = 0;
    for (int tries = 0; tries < 50 && !split; tries++) {
        wake_pool();
        split = run_awake(10000, 100, NULL) == 100;
    }
    CHECK(split);
    CHECK(fi_pool_live_threads() == 1);
    /* one thread: always inline, no worker */
    CHECK(fi_set_num_threads(1) == FI_OK);
    CHECK(run_awake(10000, 100, NULL) == 1 && run_awake(10000, 100, NULL) == 1);
    CHECK(fi_pool_live_threads() == 0 && fi_pool_polling() == 0);
    CHECK(fi_set_num_threads(3) == FI_OK);
}

/* Gather between the serial limit and the awake limit gives the same bytes whether
 * the workers sleep (the caller copies alone) or poll (the pool splits the rows). */
static void test_gather_both_regimes(void)
{
    enum { ROWS = 4000, RB = 512, NIDX = 1800 }; /* 900 KiB out: between 256 KiB and 1 MiB */
    unsigned char *src = malloc((size_t)ROWS * RB);
    unsigned char *a = malloc((size_t)(NIDX + 1) * RB), *b = malloc((size_t)(NIDX + 1) * RB);
    int64_t *idx = malloc(sizeof(int64_t) * NIDX);
    for (size_t i = 0; i < (size_t)ROWS * RB; i++) src[i] = (unsigned char)(i * 131 + i / RB);
    for (int k = 0; k < NIDX; k++) idx[k] = (k * 2741 + 5) % ROWS;
    memset(a, 0xEE, (size_t)(NIDX + 1) * RB);
    memset(b, 0xEE, (size_t)(NIDX + 1) * RB);
    fi_pool_shutdown();
    CHECK(fi_pool_polling() == 0);
    CHECK(fi_gather(src, ROWS, RB, RB, idx, NIDX, a, NULL) == FI_OK); /* asleep */
    int polled = 0;
    for (int tries = 0; tries < 50 && !polled; tries++) {
        wake_pool(); /* leaves the workers polling */
        polled = fi_pool_polling();
        CHECK(fi_gather(src, ROWS, RB, RB, idx, NIDX, b, NULL) == FI_OK);
    }
    CHECK(polled);
    CHECK(memcmp(a, b, (size_t)(NIDX + 1) * RB) == 0);
    for (int k = 0; k < NIDX; k++) CHECK(memcmp(a + (size_t)k * RB, src + idx[k] * RB, RB) == 0);
    CHECK(a[(size_t)NIDX * RB] == 0xEE && a[(size_t)(NIDX + 1) * RB - 1] == 0xEE);
    free(src), free(a), free(b), free(idx);
}

/* One-hot on the pool: its check items run before its write items, so a bad label at
 * any position (the first or last label, either end of a check chunk, between write
 * chunks) is reported by its first position and leaves the whole output untouched. */
static void test_one_hot_bad_label_on_pool(void)
{
    enum { NL = 300000, NC = 3 }; /* u8 out 900 KB: 14 write items; int64: 5 check items */
    int64_t *lab64 = malloc(sizeof(int64_t) * NL);
    int32_t *lab32 = malloc(sizeof(int32_t) * NL);
    unsigned char *out = malloc((size_t)NL * NC), *ref = malloc((size_t)NL * NC);
    for (int i = 0; i < NL; i++) lab64[i] = lab32[i] = (i * 7 + i / 5) % NC;
    memset(ref, 0, (size_t)NL * NC);
    for (int i = 0; i < NL; i++) ref[(size_t)i * NC + (size_t)lab64[i]] = 1;
    const int64_t pos[] = {0, 1, 65535, 65536, 65537, 32767, 32768, 131071, 150000,
                           262144, NL - 2, NL - 1};
    for (int threads = 1; threads <= 3; threads++) {
        CHECK(fi_set_num_threads(threads) == FI_OK);
        for (size_t p = 0; p < sizeof pos / sizeof *pos; p++) {
            for (int width = 0; width < 2; width++) {
                int64_t at = pos[p], bad = -1;
                memset(out, 0xAB, (size_t)NL * NC);
                if (threads > 1) wake_pool(); /* the check items are then split too */
                if (width == 0) {
                    lab64[at] = at % 2 ? NC : -1;
                    CHECK(fi_one_hot(lab64, FI_INT64, NL, 1, NC, out, FI_UINT8, &bad) == FI_ERANGE);
                    lab64[at] = lab32[at];
                } else {
                    /* a later bad label, in the same or a later chunk, is not the one named */
                    int64_t later = at + 1 + (at * 7919) % (NL - at);
                    lab32[at] = at % 2 ? -5 : NC + 9;
                    if (later < NL) lab32[later] = NC;
                    CHECK(fi_one_hot(lab32, FI_INT32, NL, 1, NC, out, FI_UINT8, &bad) == FI_ERANGE);
                    lab32[at] = (int32_t)lab64[at];
                    if (later < NL) lab32[later] = (int32_t)lab64[later];
                }
                CHECK(bad == at);
                int untouched = 1;
                for (size_t i = 0; i < (size_t)NL * NC; i++) untouched &= out[i] == 0xAB;
                CHECK(untouched);
            }
        }
        /* and once every label is good, both widths write the reference */
        memset(out, 0xAB, (size_t)NL * NC);
        CHECK(fi_one_hot(lab64, FI_INT64, NL, 1, NC, out, FI_UINT8, NULL) == FI_OK);
        CHECK(memcmp(out, ref, (size_t)NL * NC) == 0);
        memset(out, 0xAB, (size_t)NL * NC);
        CHECK(fi_one_hot(lab32, FI_INT32, NL, 1, NC, out, FI_UINT8, NULL) == FI_OK);
        CHECK(memcmp(out, ref, (size_t)NL * NC) == 0);
    }
    CHECK(fi_set_num_threads(3) == FI_OK);
    free(lab64), free(lab32), free(out), free(ref);
}

/* The first two chunks of a job, taken by two threads: each chunk waits (up to 0.5 s)
 * until two chunks have been taken, so the caller and the worker take one each. */
typedef struct { atomic_int taken; atomic_llong first[2]; } order_ctx;

static void order_body(void *ctx, int64_t begin, int64_t end)
{
    (void)end;
    order_ctx *c = ctx;
    int k = atomic_fetch_add(&c->taken, 1);
    if (k < 2) atomic_store(&c->first[k], begin);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do clock_gettime(CLOCK_MONOTONIC, &t);
    while (atomic_load(&c->taken) < 2 &&
           (t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 500000000L);
}

/* fi_parallel_for lets the worker start from the back (so each thread keeps its part
 * of the output from call to call); fi_parallel_for_in_order hands every chunk out in
 * order, which one-hot's check-before-write relies on to split its check. */
static void test_chunk_order(void)
{
    CHECK(fi_set_num_threads(2) == FI_OK);
    for (int in_order = 0; in_order < 2; in_order++) {
        int seen = 0;
        for (int tries = 0; tries < 20 && !seen; tries++) {
            order_ctx c;
            atomic_init(&c.taken, 0);
            atomic_init(&c.first[0], -1);
            atomic_init(&c.first[1], -1);
            wake_pool();
            (in_order ? fi_parallel_for_in_order : fi_parallel_for)(64, 1, order_body, &c);
            CHECK(atomic_load(&c.taken) == 64);
            long long a = atomic_load(&c.first[0]), b = atomic_load(&c.first[1]);
            long long lo = a < b ? a : b, hi = a < b ? b : a;
            if (lo != 0) continue; /* the worker took chunk 0 before the caller started */
            seen = 1;
            CHECK(hi == (in_order ? 1 : 63));
        }
        CHECK(seen);
    }
    CHECK(fi_set_num_threads(3) == FI_OK);
}

/* fi_thread_serial belongs to the calling thread: with it on, every loop of that
 * thread (plain and awake) runs in one call on it and hands no job to the workers
 * (fi_pool_jobs unchanged), while another thread's loops still use the pool; off
 * again, the thread's own loops are split as before.  Returns the previous value. */
typedef struct { unsigned long long jobs_before; int split; } other_arg;

static void *other_thread_loop(void *arg)
{
    other_arg *a = arg;
    a->jobs_before = fi_pool_jobs();
    a->split = run_loop(fi_parallel_for, 100000, 1000, NULL) == 100;
    return NULL;
}

static void test_thread_serial(void)
{
    CHECK(fi_set_num_threads(2) == FI_OK);
    run_and_check(N, 1000); /* workers started */
    CHECK(fi_thread_serial(1) == 0);
    CHECK(fi_thread_serial(1) == 1); /* the previous setting */
    unsigned long long jobs = fi_pool_jobs();
    for (int rep = 0; rep < 20; rep++) {
        int off = 1;
        CHECK(run_loop(fi_parallel_for, 100000, 1000, &off) == 1 && off == 0);
        off = 1;
        CHECK(run_awake(10000, 100, &off) == 1 && off == 0);
    }
    CHECK(fi_pool_jobs() == jobs); /* nothing went to the workers */
    other_arg a = {0, 0};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, other_thread_loop, &a) == 0);
    pthread_join(th, NULL);
    CHECK(a.split && fi_pool_jobs() > a.jobs_before); /* the setting is per thread */
    CHECK(fi_thread_serial(0) == 1);
    jobs = fi_pool_jobs();
    run_and_check(N, 1000); /* split again: one call per chunk, counted */
    CHECK(fi_pool_jobs() == jobs + 1);
    CHECK(fi_set_num_threads(3) == FI_OK);
}

int main(void)
{
    CHECK(fi_set_num_threads(0) == FI_EINVAL);
    CHECK(fi_set_num_threads(3) == FI_OK && fi_get_num_threads() == 3);
    CHECK(fi_pool_live_threads() == 0); /* lazily started */
    run_and_check(N, 1000);
    CHECK(fi_pool_live_threads() == 2);
    run_and_check(N, 7);
    run_and_check(5, 1000); /* small: stays on the caller */
    run_and_check(0, 10);

    atomic_llong sum;
    atomic_init(&sum, 0);
    fi_parallel_for(100, 3, nested_body, &sum);
    CHECK(atomic_load(&sum) == 100 * 64);

    pthread_t th[4];
    caller_arg args[4];
    for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, caller, &args[i]);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK(args[i].ok);
    }

    CHECK(fi_set_num_threads(1) == FI_OK && fi_pool_live_threads() == 0);
    run_and_check(N, 1000);
    CHECK(fi_pool_live_threads() == 0);
    CHECK(fi_set_num_threads(2) == FI_OK);
    run_and_check(N, 1000);
    CHECK(fi_pool_live_threads() == 1);

    /* After fork the child owns no workers; its first loop re-creates the pool.
     * (TSan cannot start threads in a child forked from a threaded process.) */
#ifndef __SANITIZE_THREAD__
    pid_t pid = fork();
    if (pid == 0) {
        failures = 0;
        int ok = fi_pool_live_threads() == 0;
        run_and_check(N, 1000);
        ok = ok && failures == 0 && fi_pool_live_threads() == 1;
        fi_pool_shutdown();
        _exit(ok ? 0 : 3);
    }
    int status = -1;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
#endif
    run_and_check(N, 1000);

    fi_pool_shutdown();
    CHECK(fi_pool_live_threads() == 0);
    run_and_check(N, 500); /* restarts after a shutdown */
    CHECK(fi_pool_live_threads() == 1);

    test_chunk_order();
    test_awake_dispatch();
    test_thread_serial();
    test_gather_both_regimes();
    test_one_hot_bad_label_on_pool();
    CHECK(fi_set_num_threads(2) == FI_OK);
    run_and_check(N, 1000);
    CHECK(fi_pool_live_threads() == 1);
    if (failures) {
        fprintf(stderr, "test_threads: %d check(s) failed\n", failures);
        return 1;
    }
    printf("test_threads: all checks passed\n");
    return 0; /* the atexit hook joins the remaining worker */
}
