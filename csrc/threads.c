/*
 * The persistent thread pool behind fi_parallel_for (see fastiter/threads.h).
 *
 * One loop runs at a time.  The caller publishes a job and bumps a generation number
 * under the pool mutex; sleeping workers wake, register as "inside" the job and take
 * chunks from the job's atomic cursor, exactly as the caller does.  The job lives on
 * the caller's stack, so before returning the caller waits until no worker is inside
 * it, then unpublishes it under the same mutex: a worker that wakes late finds no job
 * and goes back to sleep without touching freed memory.  A late worker never delays
 * the caller, because a worker that took no chunk was never counted as inside.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* sched_getaffinity and CPU_COUNT */
#endif
#define _POSIX_C_SOURCE 200809L
#include "fastiter.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__linux__)
#include <sched.h>
#endif

typedef struct fi_job {
    fi_range_fn fn;
    void *ctx;
    int64_t n, chunk, nchunks;
    atomic_llong cursor;
} fi_job;

static struct {
    pthread_mutex_t submit; /* held by the one caller whose loop is running */
    pthread_mutex_t lock;   /* guards the fields below */
    pthread_cond_t wake;    /* workers: a new generation (or stop) was published */
    pthread_cond_t idle;    /* caller: the last worker left the job */
    pthread_t *threads;
    int nworkers;           /* live workers; fi_pool_live_threads reports it */
    int configured;         /* 0 until decided (fi_set_num_threads or first use) */
    int stop;
    int inside;             /* workers currently running chunks of `job` */
    atomic_ulong gen;       /* written under `lock`; read without it while spinning */
    fi_job *job;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
          PTHREAD_COND_INITIALIZER, NULL, 0, 0, 0, 0, 0, NULL};

/* How long an idle worker polls for the next job before it sleeps on the condition
 * variable.  A loader calls kernels back to back (a batch every few tens of
 * microseconds); a sleeping worker takes about as long to wake as a whole gather
 * takes, so it would arrive after the work is gone.  A short poll (4000 pauses,
 * roughly 50-100 us) keeps it hot between batches (gather of 1024 x 512 B on 2
 * threads: 40 us -> 20 us, the memcpy time), and it still sleeps soon when the
 * pipeline pauses. */
#define FI_SPIN_ITERATIONS 4000

static inline void cpu_relax(void)
{
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_ia32_pause();
#endif
}

static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;
/* Set while this thread runs a loop body, so a nested loop runs inline. */
static _Thread_local int in_loop_body = 0;

static void run_chunks(fi_job *job)
{
    for (;;) {
        int64_t c = atomic_fetch_add_explicit(&job->cursor, 1, memory_order_relaxed);
        if (c >= job->nchunks) return;
        int64_t begin = c * job->chunk;
        /* begin < n, so n - begin cannot overflow where begin + chunk could */
        int64_t end = job->n - begin > job->chunk ? begin + job->chunk : job->n;
        job->fn(job->ctx, begin, end);
    }
}

static void *worker_main(void *arg)
{
    unsigned long seen = *(unsigned long *)arg;
    free(arg);
    in_loop_body = 1;
    pthread_mutex_lock(&pool.lock);
    for (;;) {
        if (atomic_load_explicit(&pool.gen, memory_order_relaxed) == seen && !pool.stop) {
            pthread_mutex_unlock(&pool.lock);
            for (int i = 0; i < FI_SPIN_ITERATIONS; i++) {
                if (atomic_load_explicit(&pool.gen, memory_order_relaxed) != seen) break;
                cpu_relax();
            }
            pthread_mutex_lock(&pool.lock);
        }
        while (atomic_load_explicit(&pool.gen, memory_order_relaxed) == seen && !pool.stop)
            pthread_cond_wait(&pool.wake, &pool.lock);
        if (pool.stop) break;
        seen = atomic_load_explicit(&pool.gen, memory_order_relaxed);
        fi_job *job = pool.job;
        if (!job) continue;
        pool.inside++;
        pthread_mutex_unlock(&pool.lock);
        run_chunks(job);
        pthread_mutex_lock(&pool.lock);
        if (--pool.inside == 0) pthread_cond_signal(&pool.idle);
    }
    pthread_mutex_unlock(&pool.lock);
    return NULL;
}

/* CPUs this process may run on: its affinity mask (taskset, cpusets), else the online
 * cores.  Python also caps it by the cgroup CPU quota and sets the pool from there
 * (fastiter/_cpus.py); a C program in a CPU-limited container calls fi_set_num_threads. */
static int affinity_cpus(void)
{
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n >= 1) return n < 1024 ? n : 1024;
    }
#endif
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores >= 1 ? (int)(cores < 1024 ? cores : 1024) : 1;
}

/* FASTITER_NUM_THREADS with fastiter/_env.py's grammar: ASCII digits between optional
 * white space, 1..1024.  Returns 0 when unset or blank, -1 when malformed. */
static int parse_env_threads(const char *env)
{
    if (!env) return 0;
    while (isspace((unsigned char)*env)) env++;
    if (!*env) return 0;
    long v = 0;
    int digits = 0;
    for (; *env >= '0' && *env <= '9'; env++, digits++)
        if (digits < 9) v = v * 10 + (*env - '0');
    while (isspace((unsigned char)*env)) env++;
    if (*env || digits == 0 || digits >= 10 || v < 1 || v > 1024) return -1;
    return (int)v;
}

static int default_threads(void)
{
    const char *env = getenv("FASTITER_NUM_THREADS");
    int v = parse_env_threads(env);
    int cpus = affinity_cpus();
    if (v > 0) return v;
    if (v < 0) /* as the Python side does: say so, and use the default */
        fprintf(stderr, "fastiter: FASTITER_NUM_THREADS='%s' is not an integer in "
                        "[1, 1024]; using the default (%d)\n", env, cpus);
    return cpus;
}

/* Join every worker.  Requires pool.submit held by the caller. */
static void stop_workers(void)
{
    pthread_mutex_lock(&pool.lock);
    int n = pool.nworkers;
    pthread_t *threads = pool.threads;
    pool.stop = 1;
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);
    for (int i = 0; i < n; i++) pthread_join(threads[i], NULL);
    pthread_mutex_lock(&pool.lock);
    free(threads);
    pool.threads = NULL;
    pool.nworkers = 0;
    pool.stop = 0;
    pthread_mutex_unlock(&pool.lock);
}

/* In the child after fork() only the forking thread exists: forget the parent's
 * workers (their stacks are not ours to free) and start afresh on the next loop. */
static void atfork_prepare(void) { pthread_mutex_lock(&pool.submit); pthread_mutex_lock(&pool.lock); }
static void atfork_parent(void) { pthread_mutex_unlock(&pool.lock); pthread_mutex_unlock(&pool.submit); }
static void atfork_child(void)
{
    pthread_mutex_init(&pool.submit, NULL);
    pthread_mutex_init(&pool.lock, NULL);
    pthread_cond_init(&pool.wake, NULL);
    pthread_cond_init(&pool.idle, NULL);
    pool.threads = NULL; /* leaked on purpose: one small block per fork */
    pool.nworkers = 0;
    pool.stop = 0;
    pool.inside = 0;
    pool.job = NULL;
}

static void at_exit(void)
{
    /* A loop still running on another thread at exit keeps its workers; the process
     * is going away and waiting could hang the exit. */
    if (pthread_mutex_trylock(&pool.submit) != 0) return;
    stop_workers();
    pthread_mutex_unlock(&pool.submit);
}

static void install_hooks(void)
{
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
    atexit(at_exit);
}

/* Start the workers if there are none.  Requires pool.submit held. */
static void ensure_workers(void)
{
    if (pool.nworkers > 0 || pool.configured <= 1) return;
    pthread_once(&hooks_once, install_hooks);
    int want = pool.configured - 1;
    pthread_t *threads = calloc((size_t)want, sizeof *threads);
    if (!threads) return;
    /* Workers block every signal, so that signals reach the threads that handle them. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int started = 0;
    for (; started < want; started++) {
        unsigned long *gen = malloc(sizeof *gen);
        if (!gen) break;
        pthread_mutex_lock(&pool.lock);
        *gen = atomic_load_explicit(&pool.gen, memory_order_relaxed);
        pthread_mutex_unlock(&pool.lock);
        if (pthread_create(&threads[started], NULL, worker_main, gen) != 0) {
            free(gen);
            break;
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_mutex_lock(&pool.lock);
    pool.threads = threads;
    pool.nworkers = started;
    pthread_mutex_unlock(&pool.lock);
}

void fi_parallel_for(int64_t n, int64_t chunk, fi_range_fn fn, void *ctx)
{
    if (n <= 0) return;
    if (chunk < 1) chunk = 1;
    if (n <= chunk || in_loop_body || fi_get_num_threads() <= 1 ||
        pthread_mutex_trylock(&pool.submit) != 0) {
        fn(ctx, 0, n);
        return;
    }
    ensure_workers();
    fi_job job;
    job.fn = fn;
    job.ctx = ctx;
    job.n = n;
    job.chunk = chunk;
    job.nchunks = n / chunk + (n % chunk != 0);  /* n + chunk - 1 could overflow */
    atomic_init(&job.cursor, 0);
    pthread_mutex_lock(&pool.lock);
    int have_workers = pool.nworkers > 0;
    if (have_workers) {
        pool.job = &job;
        atomic_fetch_add_explicit(&pool.gen, 1, memory_order_relaxed);
        pthread_cond_broadcast(&pool.wake);
    }
    pthread_mutex_unlock(&pool.lock);
    in_loop_body = 1;
    run_chunks(&job);
    in_loop_body = 0;
    if (have_workers) {
        pthread_mutex_lock(&pool.lock);
        while (pool.inside > 0) pthread_cond_wait(&pool.idle, &pool.lock);
        pool.job = NULL;
        pthread_mutex_unlock(&pool.lock);
    }
    pthread_mutex_unlock(&pool.submit);
}

int fi_set_num_threads(int n)
{
    if (n < 1 || n > 1024) return FI_EINVAL;
    pthread_mutex_lock(&pool.submit);
    stop_workers();
    pthread_mutex_lock(&pool.lock);
    pool.configured = n;
    pthread_mutex_unlock(&pool.lock);
    pthread_mutex_unlock(&pool.submit);
    return FI_OK;
}

int fi_get_num_threads(void)
{
    pthread_mutex_lock(&pool.lock);
    if (pool.configured == 0) pool.configured = default_threads();
    int n = pool.configured;
    pthread_mutex_unlock(&pool.lock);
    return n;
}

int fi_pool_live_threads(void)
{
    pthread_mutex_lock(&pool.lock);
    int n = pool.nworkers;
    pthread_mutex_unlock(&pool.lock);
    return n;
}

void fi_pool_shutdown(void)
{
    pthread_mutex_lock(&pool.submit);
    stop_workers();
    pthread_mutex_unlock(&pool.submit);
}
