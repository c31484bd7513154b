/*
 * The SPSC ring buffer and native producer threads (see fastiter/ring.h).
 *
 * Layout follows rigtorp/SPSCQueue: the consumer's index and its cached copy of the
 * producer's index share one cache line, the producer's index and its cached copy of
 * the consumer's share another, and neither shares a line with the slots or the cold
 * parking state.  Each side re-reads the other's index only when its cached copy says
 * the ring is full (producer) or empty (consumer), so in steady state a push or pop
 * touches one foreign cache line per lap of the ring rather than one per item.
 *
 * Indices are free-running counters (tail - head is the fill level, slot = index & mask),
 * which distinguishes full from empty without sacrificing a slot.
 */
#define _GNU_SOURCE  /* syscall(), for membarrier */

#include "fastiter.h"
#include "ring_impl.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__linux__)
#include <linux/membarrier.h>
#include <sys/syscall.h>
#endif

static int asymmetric_barriers(void);

int64_t fi_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct timespec to_timespec(int64_t ns)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    return ts;
}

int fi_ring_create(size_t min_capacity, fi_ring **out)
{
    if (out == NULL || min_capacity < 1 || min_capacity > FI_RING_MAX_CAPACITY)
        return FI_EINVAL;
    /* Decide the barrier mode before any thread can use a ring: a mode that changed
     * while a waiter was parked would void the handshake above. */
    asymmetric_barriers();
    size_t cap = 1;
    while (cap < min_capacity)
        cap <<= 1;
    size_t bytes = (sizeof(fi_ring) + FI_CACHE_LINE - 1) / FI_CACHE_LINE * FI_CACHE_LINE;
    fi_ring *r = aligned_alloc(FI_CACHE_LINE, bytes);
    if (r == NULL)
        return FI_ENOMEM;
    memset(r, 0, sizeof *r);
    /* One spare line each side keeps the hot slots off the neighbours' cache lines. */
    void **mem = calloc(cap + 2 * FI_CACHE_LINE / sizeof(void *), sizeof(void *));
    if (mem == NULL) {
        free(r);
        return FI_ENOMEM;
    }
    r->slots = mem + FI_CACHE_LINE / sizeof(void *);
    r->mask = cap - 1;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    atomic_init(&r->closed, 0);
    atomic_init(&r->parked, 0);
    atomic_init(&r->consumer_waiting, 0);
    atomic_init(&r->producer_waiting, 0);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&r->cond, &attr);
    pthread_condattr_destroy(&attr);
    if (rc != 0 || pthread_mutex_init(&r->lock, NULL) != 0) {
        if (rc == 0)
            pthread_cond_destroy(&r->cond);
        free(mem);
        free(r);
        return FI_ENOMEM;
    }
    *out = r;
    return FI_OK;
}

void fi_ring_destroy(fi_ring *r)
{
    if (r == NULL)
        return;
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    free(r->slots - FI_CACHE_LINE / sizeof(void *));
    free(r);
}

size_t fi_ring_capacity(const fi_ring *r) { return r->mask + 1; }

size_t fi_ring_size(const fi_ring *r)
{
    /* Read head first: tail only grows, so tail - head cannot underflow. */
    size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    return tail - head;
}

int fi_ring_is_closed(const fi_ring *r)
{
    return atomic_load_explicit(&r->closed, memory_order_acquire);
}

/*
 * Lost wake-ups.  A side that is about to park increments `parked` and then re-checks
 * the other side's index; a side that has just published its index checks `parked`.
 * Each pair (store, then load of the other variable) needs a full barrier between them,
 * or both loads can miss both stores (the store-buffer litmus test) and the waiter
 * sleeps through the item it waits for.
 *
 * A full fence on every push and pop would cost more than the rest of the operation
 * (it took the stress test from ~60 to ~13 M items/s here), so on Linux the barrier is
 * asymmetric: the parking side, which is about to sleep anyway, calls
 * membarrier(PRIVATE_EXPEDITED), which executes a full barrier on every running thread
 * of the process; the fast path then needs only a compiler barrier.  Either the fast
 * path's barrier point falls after its index store (so the waiter's re-check sees it),
 * or before it (so the fast path's later load of `parked` sees the increment).  Where
 * membarrier is unavailable, both sides fall back to seq_cst fences.
 */
#if defined(__SANITIZE_THREAD__)
/* ThreadSanitizer does not model fences; a seq_cst read-modify-write is a full barrier
 * it understands (and on x86 compiles to the same locked instruction class). */
static atomic_int fi_fence_word;
#define FI_FULL_FENCE() ((void)atomic_fetch_add_explicit(&fi_fence_word, 0, memory_order_seq_cst))
#else
#define FI_FULL_FENCE() atomic_thread_fence(memory_order_seq_cst)
#endif

static atomic_int fi_asymmetric = -1;  /* -1 unknown, 0 fences, 1 membarrier */

static int asymmetric_barriers(void)
{
    int mode = atomic_load_explicit(&fi_asymmetric, memory_order_acquire);
    if (mode >= 0)
        return mode;
    mode = 0;
#if defined(__linux__) && defined(SYS_membarrier)
    long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0);
    if (cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED)
        && syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0) == 0)
        mode = 1;
#endif
    atomic_store_explicit(&fi_asymmetric, mode, memory_order_release);
    return mode;
}

/* The waiter's half: after incrementing `parked`, before re-checking.  It asks for the
 * mode itself (rather than trusting that fi_ring_create did) because a program may hold
 * two copies of this file, e.g. a C extension pushing into a ring that Python's copy
 * created: whichever copy waits must issue the membarrier that the other copy's fast
 * path relies on.  (A fast path whose copy has not decided yet uses a full fence.) */
static void heavy_barrier(void)
{
#if defined(__linux__) && defined(SYS_membarrier)
    if (asymmetric_barriers() == 1
        && syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0) == 0)
        return;
#endif
    FI_FULL_FENCE();
}

/* The fast path's half: after publishing an index, before loading `parked`. */
static inline void light_barrier(void)
{
    if (atomic_load_explicit(&fi_asymmetric, memory_order_relaxed) == 1)
        atomic_signal_fence(memory_order_seq_cst);
    else
        FI_FULL_FENCE();
}

/* After publishing an index: if the other side may be parked, wake it.  The waiter
 * holds the lock from its re-check until it waits, so the broadcast cannot slip in
 * between. */
static inline void wake_if_parked(fi_ring *r)
{
    light_barrier();
    if (atomic_load_explicit(&r->parked, memory_order_relaxed) != 0) {
        pthread_mutex_lock(&r->lock);
        pthread_cond_broadcast(&r->cond);
        pthread_mutex_unlock(&r->lock);
    }
}

static inline int try_push(fi_ring *r, void *item)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (tail - r->head_cache > r->mask) {
        r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
        if (tail - r->head_cache > r->mask)
            return 0;
    }
    r->slots[tail & r->mask] = item;
    atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
    return 1;
}

static inline int try_pop(fi_ring *r, void **item)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (head == r->tail_cache) {
        r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
        if (head == r->tail_cache)
            return 0;
    }
    *item = r->slots[head & r->mask];
    atomic_store_explicit(&r->head, head + 1, memory_order_release);
    return 1;
}

typedef int (*fi_attempt)(fi_ring *r, void *arg);

/* Whether the consumer could pop (refreshing its cached tail), without popping. */
static int attempt_items(fi_ring *r, void *unused)
{
    (void)unused;
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
    return r->tail_cache != head;
}

/* Whether the producer could push (refreshing its cached head), without pushing. */
static int attempt_room(fi_ring *r, void *unused)
{
    (void)unused;
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
    return tail - r->head_cache <= r->mask;
}

static int attempt_push(fi_ring *r, void *item)
{
    return try_push(r, item);
}

static int attempt_pop(fi_ring *r, void *out)
{
    return try_pop(r, (void **)out);
}

/* The slow path shared by push and pop: spin, yield, then park until `attempt`
 * succeeds, the ring closes, or the deadline passes.  A producer gives up as soon as
 * the ring is closed; a consumer keeps draining until it is closed and empty. */
static int wait_loop(fi_ring *r, fi_attempt attempt, void *arg, int give_up_on_close,
                     int64_t deadline_ns)
{
    for (int i = 0; i < FI_SPIN_POLLS + FI_YIELD_POLLS; i++) {
        if (give_up_on_close && atomic_load_explicit(&r->closed, memory_order_acquire))
            return FI_ECLOSED;
        if (attempt(r, arg))
            return FI_OK;
        if (atomic_load_explicit(&r->closed, memory_order_acquire))
            return (give_up_on_close || !attempt(r, arg)) ? FI_ECLOSED : FI_OK;
        if (deadline_ns <= 0 || (i % 32 == 31 && fi_now_ns() >= deadline_ns))
            return FI_ETIMEDOUT;
        if (i < FI_SPIN_POLLS)
            FI_CPU_RELAX();
        else
            sched_yield();
    }
    int status = FI_ETIMEDOUT;
    struct timespec until = to_timespec(deadline_ns);
    pthread_mutex_lock(&r->lock);
    atomic_fetch_add_explicit(&r->parked, 1, memory_order_seq_cst);
    for (;;) {
        heavy_barrier();
        if (give_up_on_close && atomic_load_explicit(&r->closed, memory_order_acquire)) {
            status = FI_ECLOSED;
            break;
        }
        if (attempt(r, arg)) {
            status = FI_OK;
            break;
        }
        if (atomic_load_explicit(&r->closed, memory_order_acquire)) {
            status = (give_up_on_close || !attempt(r, arg)) ? FI_ECLOSED : FI_OK;
            break;
        }
        if (deadline_ns == FI_RING_FOREVER) {
            pthread_cond_wait(&r->cond, &r->lock);
        } else if (pthread_cond_timedwait(&r->cond, &r->lock, &until) == ETIMEDOUT) {
            if (attempt(r, arg))
                status = FI_OK;
            break;
        }
    }
    atomic_fetch_sub_explicit(&r->parked, 1, memory_order_relaxed);
    pthread_mutex_unlock(&r->lock);
    return status;
}

/* wait_loop, advertising meanwhile that this side is blocked, so that a lingering
 * other side can stop (ring_wait.c).  The flag is a hint: no correctness rests on it. */
static int wait_for(fi_ring *r, fi_attempt attempt, void *arg, int producer,
                    int64_t deadline_ns)
{
    if (deadline_ns <= 0)  /* a try, not a wait */
        return wait_loop(r, attempt, arg, producer, deadline_ns);
    atomic_int *flag = producer ? &r->producer_waiting : &r->consumer_waiting;
    atomic_store_explicit(flag, 1, memory_order_relaxed);
    int status = wait_loop(r, attempt, arg, producer, deadline_ns);
    atomic_store_explicit(flag, 0, memory_order_relaxed);
    /* A push or pop that succeeded here published an index the other side may be
     * parked on; a bare wait published nothing. */
    if (status == FI_OK && attempt != attempt_items && attempt != attempt_room)
        wake_if_parked(r);
    return status;
}

int fi_ring__await(fi_ring *r, int producer, int64_t deadline_ns)
{
    if (producer) {
        if (atomic_load_explicit(&r->closed, memory_order_acquire))
            return FI_ECLOSED;
        return attempt_room(r, NULL) ? FI_OK : wait_for(r, attempt_room, NULL, 1, deadline_ns);
    }
    return attempt_items(r, NULL) ? FI_OK : wait_for(r, attempt_items, NULL, 0, deadline_ns);
}

int fi_ring_push(fi_ring *r, void *item, int64_t deadline_ns)
{
    if (atomic_load_explicit(&r->closed, memory_order_acquire))
        return FI_ECLOSED;
    if (try_push(r, item)) {
        wake_if_parked(r);
        return FI_OK;
    }
    return wait_for(r, attempt_push, item, 1, deadline_ns);
}

int fi_ring_pop(fi_ring *r, void **item, int64_t deadline_ns)
{
    if (try_pop(r, item)) {
        wake_if_parked(r);
        return FI_OK;
    }
    return wait_for(r, attempt_pop, (void *)item, 0, deadline_ns);
}

size_t fi_ring_push_some(fi_ring *r, void *const *items, size_t n)
{
    if (n == 0 || atomic_load_explicit(&r->closed, memory_order_acquire))
        return 0;
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t room = r->mask + 1 - (tail - r->head_cache);
    if (room < n) {
        r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
        room = r->mask + 1 - (tail - r->head_cache);
    }
    size_t k = n < room ? n : room;
    for (size_t i = 0; i < k; i++)
        r->slots[(tail + i) & r->mask] = items[i];
    if (k) {
        atomic_store_explicit(&r->tail, tail + k, memory_order_release);
        wake_if_parked(r);
    }
    return k;
}

size_t fi_ring_pop_some(fi_ring *r, void **items, size_t n)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t avail = r->tail_cache - head;
    if (avail < n) {
        r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
        avail = r->tail_cache - head;
    }
    size_t k = n < avail ? n : avail;
    for (size_t i = 0; i < k; i++)
        items[i] = r->slots[(head + i) & r->mask];
    if (k) {
        atomic_store_explicit(&r->head, head + k, memory_order_release);
        wake_if_parked(r);
    }
    return k;
}

void fi_ring_close(fi_ring *r)
{
    atomic_store_explicit(&r->closed, 1, memory_order_seq_cst);
    /* Always take the lock: a waiter between its closed-check and its wait holds it,
     * so the broadcast cannot fall into that gap. */
    pthread_mutex_lock(&r->lock);
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
}
