/* C tests of the thread pool: coverage of every item, concurrency, nesting, resizing,
 * fork.  Built plain, under ASan/UBSan and under TSan.  Exit non-zero on failure. */
#define _POSIX_C_SOURCE 200809L
#include <fastiter.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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
    if (failures) {
        fprintf(stderr, "test_threads: %d check(s) failed\n", failures);
        return 1;
    }
    printf("test_threads: all checks passed\n");
    return 0; /* the atexit hook joins the remaining worker */
}
