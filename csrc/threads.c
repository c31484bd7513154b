/*
 * The persistent thread pool behind fi_parallel_for (see fastiter/threads.h).
 *
 * One loop runs at a time (the `submit` mutex).  The caller publishes its job (which
 * lives on its stack) in `pool.job` and bumps the generation number `gen`.  A worker
 * that is polling sees the new generation, registers in `inside`, then reads the job
 * pointer and takes chunks from the job's atomic cursor, exactly as the caller does.
 * Before returning, the caller unpublishes the job and waits until `inside` is 0.
 * Because a worker registers before it reads the pointer, and the caller clears the
 * pointer before it reads `inside` (all sequentially consistent), a worker either sees
 * no job or is counted, so no worker touches the job after the caller returns; a worker
 * that wakes late finds no job and never delays the caller.
 *
 * The hot path takes no mutex: a mutex and condition variable are used only to sleep.
 * A worker that polled for FI_SPIN_NS without a job counts itself in
 * `sleepers` and waits on `wake`; the caller broadcasts only when a worker sleeps.
 * The caller itself polls `inside` for a while before it sleeps on `idle`, and a
 * leaving worker signals only when the caller sleeps (`caller_sleeps`).  Both
 * hand-shakes are store-then-load on two sequentially consistent atomics, so one side
 * always sees the other.  Gather 1024 x 512 B on 2 threads in a loop, a C bench on this
 * machine: the caller's futex sleep and the worker's wake-up on every call had cost
 * more than the gather's copy.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* sched_getaffinity and CPU_COUNT */
#endif
#define _POSIX_C_SOURCE 200809L
#include "fastiter.h"
#include "pool.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sched.h>
#endif

typedef struct fi_job {
    fi_range_fn fn;
    void *ctx;
    int64_t n, chunk, nchunks;
    /* The chunks not yet taken, [lo, hi): the caller takes them from the front, the
     * workers from the back.  Each thread then keeps touching the same part of the
     * output (and, for a repeated gather, of the source) from one call to the next, so
     * it stays in that core's cache, while a descheduled thread still holds back at
     * most one chunk.  Gather of 1024 x 512 B, 2 threads, back to back (C bench): the
     * output bounced between the two cores' caches with one shared cursor. */
    atomic_ullong range; /* lo in the low 32 bits, hi in the high 32 */
    int in_order;        /* every thread takes from the front (fi_parallel_for_in_order) */
    atomic_llong cursor; /* instead of `range` when nchunks does not fit 32 bits */
} fi_job;

static struct {
    pthread_mutex_t submit; /* held by the one caller whose loop is running */
    pthread_mutex_t lock;   /* guards threads/nworkers/configured and the sleeps */
    pthread_cond_t wake;    /* workers: a new generation (or stop) was published */
    pthread_cond_t idle;    /* caller: the last worker left the job */
    pthread_t *threads;
    int nworkers;           /* live workers; fi_pool_live_threads reports it */
    int configured;         /* 0 until decided (fi_set_num_threads or first use) */
    atomic_int stop;
    atomic_int inside;        /* workers registered in the current job */
    atomic_int sleepers;      /* workers asleep (or about to sleep) on `wake` */
    atomic_int polling;       /* workers awake (polling, running a job, or woken) */
    unsigned long wake_epoch; /* bumped by wake_all_locked, under `lock` */
    atomic_int caller_sleeps; /* the caller sleeps on `idle` until `inside` is 0 */
    atomic_ulong gen;
    _Atomic(fi_job *) job;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
          PTHREAD_COND_INITIALIZER, NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL};

/* How long (ns) an idle worker polls for the next job before it sleeps on the
 * condition variable.  A loader calls kernels back to back (a batch every few tens of
 * microseconds); a sleeping worker takes about as long to wake as a whole gather
 * takes, so it would arrive after the work is gone.  A short poll keeps it hot between
 * batches, and it still sleeps soon when the pipeline pauses, so that an idle loader
 * does not hold a core its consumer could use.  It is timed, not counted: a pause
 * takes 60-140 ns on this machine's KVM guest and a few ns on older CPUs. */
#define FI_SPIN_NS 100000
/* Pauses between two reads of the clock while polling. */
#define FI_SPIN_CLOCK_EVERY 32
/* How long (ns) the caller polls for the last worker to leave before it sleeps: a
 * worker is at most one chunk behind (a 1 MiB one-hot item streams in about 50 us),
 * and waking a sleeping caller costs the worker a futex call and the caller a
 * reschedule, several microseconds in a VM.  Bounded, because a worker that was
 * preempted mid-chunk may need the core the caller would keep polling on. */
#define FI_WAIT_NS 50000

static inline void cpu_relax(void)
{
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_ia32_pause();
#endif
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A timed poll: each step pauses, and every FI_SPIN_CLOCK_EVERY steps reads the clock. */
typedef struct {
    int steps;
    int64_t deadline; /* 0 until the clock was first read */
} timed_poll;

/* One step of a poll that may last `ns`; 1 (without pausing) once that time is up. */
static int poll_expired(timed_poll *p, int64_t ns)
{
    if (++p->steps % FI_SPIN_CLOCK_EVERY == 0) {
        int64_t t = now_ns();
        if (p->deadline == 0)
            p->deadline = t + ns;
        else if (t >= p->deadline)
            return 1;
    }
    cpu_relax();
    return 0;
}

/* Poll `gen` for FI_SPIN_NS; returns the generation seen (still `seen` on timeout). */
static unsigned long poll_gen(unsigned long seen)
{
    unsigned long g = atomic_load(&pool.gen);
    timed_poll p = {0, 0};
    while (g == seen && !atomic_load_explicit(&pool.stop, memory_order_relaxed) &&
           !poll_expired(&p, FI_SPIN_NS))
        g = atomic_load(&pool.gen);
    return g;
}

static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;
/* Set while this thread runs a loop body, so a nested loop runs inline. */
static _Thread_local int in_loop_body = 0;
/* Set by fi_thread_serial: this thread's loops run inline, the workers left asleep. */
static _Thread_local int serial_here = 0;
/* Loops handed to the workers so far (fi_pool_jobs). */
static atomic_ullong jobs_published;

/* Takes the next chunk, from the front or the back; -1 when none is left. */
static int64_t take_chunk(fi_job *job, int from_back)
{
    if (job->nchunks > (int64_t)UINT32_MAX) {
        int64_t c = atomic_fetch_add_explicit(&job->cursor, 1, memory_order_relaxed);
        return c < job->nchunks ? c : -1;
    }
    unsigned long long r = atomic_load_explicit(&job->range, memory_order_relaxed);
    for (;;) {
        unsigned long long lo = r & 0xFFFFFFFFu, hi = r >> 32;
        if (lo >= hi) return -1;
        unsigned long long next = from_back ? lo | (hi - 1) << 32 : (lo + 1) | hi << 32;
        if (atomic_compare_exchange_weak_explicit(&job->range, &r, next, memory_order_relaxed,
                                                  memory_order_relaxed))
            return (int64_t)(from_back ? hi - 1 : lo);
    }
}

static void run_chunks(fi_job *job, int from_back)
{
    for (;;) {
        int64_t c = take_chunk(job, from_back);
        if (c < 0) return;
        int64_t begin = c * job->chunk;
        /* begin < n, so n - begin cannot overflow where begin + chunk could */
        int64_t end = job->n - begin > job->chunk ? begin + job->chunk : job->n;
        job->fn(job->ctx, begin, end);
    }
}

/* Wake every sleeping worker; requires `lock`, and `gen` or `stop` changed first.
 * The sleepers count as awake from here on, before they run, so that fi_pool_polling
 * does not send the next job inline while they are on their way. */
static void wake_all_locked(void)
{
    int n = atomic_exchange(&pool.sleepers, 0);
    if (n == 0) return;
    atomic_fetch_add(&pool.polling, n);
    pool.wake_epoch++;
    pthread_cond_broadcast(&pool.wake);
}

static void *worker_main(void *arg)
{
    unsigned long seen = *(unsigned long *)arg;
    free(arg);
    in_loop_body = 1; /* counted in `polling` by ensure_workers */
    for (;;) {
        unsigned long g = poll_gen(seen);
        if (g == seen && !atomic_load(&pool.stop)) {
            pthread_mutex_lock(&pool.lock);
            atomic_fetch_add(&pool.sleepers, 1); /* then read gen: see fi_parallel_for */
            atomic_fetch_sub(&pool.polling, 1);
            unsigned long epoch = pool.wake_epoch;
            while ((g = atomic_load(&pool.gen)) == seen && !atomic_load(&pool.stop)) {
                if (pool.wake_epoch != epoch) {
                    /* Counted awake by a wake-up meant for an older generation (its
                     * caller reached the lock late, after this worker had run that
                     * job and gone back to sleep): count again as asleep, then read
                     * gen again, or the next wake-up would skip this worker. */
                    atomic_fetch_add(&pool.sleepers, 1);
                    atomic_fetch_sub(&pool.polling, 1);
                    epoch = pool.wake_epoch;
                    continue;
                }
                pthread_cond_wait(&pool.wake, &pool.lock);
            }
            if (pool.wake_epoch == epoch) { /* not counted awake by wake_all_locked */
                atomic_fetch_add(&pool.polling, 1);
                atomic_fetch_sub(&pool.sleepers, 1);
            }
            pthread_mutex_unlock(&pool.lock);
        }
        if (atomic_load(&pool.stop)) break;
        seen = g;
        atomic_fetch_add(&pool.inside, 1); /* registered before the job is read */
        fi_job *job = atomic_load(&pool.job);
        if (job) run_chunks(job, !job->in_order);
        if (atomic_fetch_sub(&pool.inside, 1) == 1 && atomic_load(&pool.caller_sleeps)) {
            pthread_mutex_lock(&pool.lock);
            pthread_cond_signal(&pool.idle);
            pthread_mutex_unlock(&pool.lock);
        }
    }
    atomic_fetch_sub(&pool.polling, 1);
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
    atomic_store(&pool.stop, 1);
    wake_all_locked();
    pthread_mutex_unlock(&pool.lock);
    for (int i = 0; i < n; i++) pthread_join(threads[i], NULL);
    pthread_mutex_lock(&pool.lock);
    free(threads);
    pool.threads = NULL;
    pool.nworkers = 0;
    atomic_store(&pool.stop, 0);
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
    pool.wake_epoch = 0;
    atomic_store(&pool.stop, 0);
    atomic_store(&pool.inside, 0);
    atomic_store(&pool.sleepers, 0);
    atomic_store(&pool.polling, 0);
    atomic_store(&pool.caller_sleeps, 0);
    atomic_store(&pool.job, NULL);
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
        *gen = atomic_load(&pool.gen);
        atomic_fetch_add(&pool.polling, 1); /* awake from its start */
        if (pthread_create(&threads[started], NULL, worker_main, gen) != 0) {
            atomic_fetch_sub(&pool.polling, 1);
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

static void parallel_for(int64_t n, int64_t chunk, fi_range_fn fn, void *ctx, int in_order)
{
    if (n <= 0) return;
    if (chunk < 1) chunk = 1;
    if (n <= chunk || in_loop_body || serial_here || fi_get_num_threads() <= 1 ||
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
    job.in_order = in_order;
    atomic_init(&job.cursor, 0);
    atomic_init(&job.range, job.nchunks > (int64_t)UINT32_MAX
                                ? 0
                                : (unsigned long long)job.nchunks << 32);
    pthread_mutex_lock(&pool.lock);
    int have_workers = pool.nworkers > 0;
    pthread_mutex_unlock(&pool.lock);
    if (have_workers) {
        atomic_fetch_add_explicit(&jobs_published, 1, memory_order_relaxed);
        atomic_store(&pool.job, &job);
        atomic_fetch_add(&pool.gen, 1);
        /* A worker counts itself in `sleepers` before it reads `gen` for the last time,
         * and `gen` was bumped before this read: either it sees the new generation or
         * it is counted here and woken. */
        if (atomic_load(&pool.sleepers) > 0) {
            pthread_mutex_lock(&pool.lock);
            wake_all_locked();
            pthread_mutex_unlock(&pool.lock);
        }
    }
    in_loop_body = 1;
    run_chunks(&job, 0);
    in_loop_body = 0;
    if (have_workers) {
        atomic_store(&pool.job, NULL);
        timed_poll p = {0, 0};
        while (atomic_load(&pool.inside) > 0 && !poll_expired(&p, FI_WAIT_NS)) {
        }
        if (atomic_load(&pool.inside) > 0) {
            pthread_mutex_lock(&pool.lock);
            atomic_store(&pool.caller_sleeps, 1); /* then read `inside`: see worker_main */
            while (atomic_load(&pool.inside) > 0) pthread_cond_wait(&pool.idle, &pool.lock);
            atomic_store(&pool.caller_sleeps, 0);
            pthread_mutex_unlock(&pool.lock);
        }
    }
    pthread_mutex_unlock(&pool.submit);
}

void fi_parallel_for(int64_t n, int64_t chunk, fi_range_fn fn, void *ctx)
{
    parallel_for(n, chunk, fn, ctx, 0);
}

void fi_parallel_for_in_order(int64_t n, int64_t chunk, fi_range_fn fn, void *ctx)
{
    parallel_for(n, chunk, fn, ctx, 1);
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

int fi_pool_polling(void) { return atomic_load(&pool.polling) > 0; }

int fi_thread_serial(int on)
{
    int was = serial_here;
    serial_here = on != 0;
    return was;
}

unsigned long long fi_pool_jobs(void)
{
    return atomic_load_explicit(&jobs_published, memory_order_relaxed);
}

/* Start of the last fi_parallel_for_awake call that found every worker asleep. */
static atomic_llong last_asleep_ns;

/* Wake sleeping workers with no job, so that they poll for the next one. */
static void nudge_workers(void)
{
    if (pthread_mutex_trylock(&pool.submit) != 0) return; /* a loop runs: they are awake */
    ensure_workers();
    pthread_mutex_lock(&pool.lock);
    if (pool.nworkers > 0 && atomic_load(&pool.sleepers) > 0) {
        atomic_fetch_add(&pool.gen, 1); /* pool.job is NULL between loops */
        wake_all_locked();
    }
    pthread_mutex_unlock(&pool.lock);
    pthread_mutex_unlock(&pool.submit);
}

void fi_parallel_for_awake(int64_t n, int64_t chunk, fi_range_fn fn, void *ctx)
{
    if (serial_here) { /* inline, and no nudge: the workers are to stay asleep */
        fn(ctx, 0, n);
        return;
    }
    if (fi_pool_polling() || n <= chunk || fi_get_num_threads() <= 1 || in_loop_body) {
        fi_parallel_for(n, chunk, fn, ctx);
        return;
    }
    /* Every worker sleeps: waking one takes longer than this job.  Run it here; when
     * such calls come faster than a worker polls, wake the workers for the next. */
    int64_t t = now_ns();
    int64_t last = atomic_exchange(&last_asleep_ns, t);
    if (last != 0 && t - last < FI_SPIN_NS) nudge_workers();
    fn(ctx, 0, n);
}
