/*
 * Native threads for ring producers (declared in fastiter/ring.h): joinable pthreads
 * with a timed join, detach, and a process-wide count of threads still running.
 */
#define _POSIX_C_SOURCE 200809L

#include "fastiter.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

static struct timespec to_timespec(int64_t ns)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    return ts;
}

/* A handle is shared by the thread and its owner; whoever finishes
 * last (the joiner, or the thread itself when detached) frees it.
 */
static atomic_llong fi_live_threads;

struct fi_thread {
    pthread_t id;
    void (*fn)(void *);
    void *arg;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done;      /* under lock */
    int detached;  /* under lock */
};

static void thread_free(fi_thread *t)
{
    pthread_cond_destroy(&t->cond);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

static void *thread_main(void *p)
{
    fi_thread *t = p;
    t->fn(t->arg);
    atomic_fetch_sub_explicit(&fi_live_threads, 1, memory_order_acq_rel);
    pthread_mutex_lock(&t->lock);
    t->done = 1;
    int detached = t->detached;
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->lock);
    if (detached)
        thread_free(t);
    return NULL;
}

int fi_thread_start(fi_thread **out, void (*fn)(void *), void *arg)
{
    if (out == NULL || fn == NULL)
        return FI_EINVAL;
    fi_thread *t = calloc(1, sizeof *t);
    if (t == NULL)
        return FI_ENOMEM;
    t->fn = fn;
    t->arg = arg;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&t->cond, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&t->lock, NULL);
    atomic_fetch_add_explicit(&fi_live_threads, 1, memory_order_acq_rel);
    if (pthread_create(&t->id, NULL, thread_main, t) != 0) {
        atomic_fetch_sub_explicit(&fi_live_threads, 1, memory_order_acq_rel);
        thread_free(t);
        return FI_EINVAL;
    }
    *out = t;
    return FI_OK;
}

int fi_thread_join(fi_thread *t)
{
    return fi_thread_join_until(t, FI_RING_FOREVER);
}

int fi_thread_join_until(fi_thread *t, int64_t deadline_ns)
{
    struct timespec until = to_timespec(deadline_ns);
    pthread_mutex_lock(&t->lock);
    while (!t->done) {
        if (deadline_ns == FI_RING_FOREVER)
            pthread_cond_wait(&t->cond, &t->lock);
        else if (pthread_cond_timedwait(&t->cond, &t->lock, &until) == ETIMEDOUT)
            break;
    }
    int done = t->done;
    pthread_mutex_unlock(&t->lock);
    if (!done)
        return FI_ETIMEDOUT;
    pthread_join(t->id, NULL);
    thread_free(t);
    return FI_OK;
}

void fi_thread_detach(fi_thread *t)
{
    pthread_t id = t->id;  /* t may be freed by the thread as soon as we unlock */
    pthread_mutex_lock(&t->lock);
    int done = t->done;
    t->detached = !done;
    pthread_mutex_unlock(&t->lock);
    if (done) {
        pthread_join(id, NULL);
        thread_free(t);
    } else {
        pthread_detach(id);
    }
}

int fi_thread_done(const fi_thread *t)
{
    pthread_mutex_lock((pthread_mutex_t *)&t->lock);
    int done = t->done;
    pthread_mutex_unlock((pthread_mutex_t *)&t->lock);
    return done;
}

int64_t fi_thread_live_count(void)
{
    return (int64_t)atomic_load_explicit(&fi_live_threads, memory_order_acquire);
}
