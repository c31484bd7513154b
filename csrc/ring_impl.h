/*
 * The ring's private layout, shared by ring.c (the queue itself) and ring_wait.c
 * (batched waits).  Not a public header: C programs use fastiter/ring.h.
 */
#ifndef FASTITER_RING_IMPL_H_
#define FASTITER_RING_IMPL_H_

#include "fastiter.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define FI_CACHE_LINE 64
/* Spin this many polls (each with a pause hint), then yield a few times, then park.
 * Short on purpose: the machine's cores are shared, and a parked wait costs ~10 us. */
#define FI_SPIN_POLLS 200
#define FI_YIELD_POLLS 4

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define FI_CPU_RELAX() __builtin_ia32_pause()
#elif defined(__GNUC__) && defined(__aarch64__)
#define FI_CPU_RELAX() __asm__ __volatile__("yield")
#else
#define FI_CPU_RELAX() ((void)0)
#endif

struct fi_ring {
    /* Consumer's line: written by pop, read by the producer only to refresh its cache.
     * `consumer_waiting` is set while the consumer blocks in the ring, i.e. runs none
     * of its caller's code (a Python consumer has released the GIL by then). */
    _Alignas(FI_CACHE_LINE) atomic_size_t head;
    size_t tail_cache;
    atomic_int consumer_waiting;
    /* Producer's line. */
    _Alignas(FI_CACHE_LINE) atomic_size_t tail;
    size_t head_cache;
    atomic_int producer_waiting;
    /* Read-only after creation. */
    _Alignas(FI_CACHE_LINE) size_t mask;
    void **slots;
    /* Cold: closing and parking.  `parked` counts threads that are, or are about to
     * be, waiting on `cond`; the fast path reads it after a fence to decide whether a
     * wake-up is owed (a Dekker handshake with the waiter's increment-then-recheck). */
    _Alignas(FI_CACHE_LINE) atomic_int closed;
    atomic_int parked;
    pthread_mutex_t lock;
    pthread_cond_t cond;
};

/*
 * The layout the comments above rely on, checked by the compiler (rigtorp's SPSCQueue
 * does the same with static_assert): each side's hot line starts on its own cache line,
 * the lines do not overlap, and the struct's size is a whole number of lines so that
 * fi_ring_create's aligned_alloc(FI_CACHE_LINE, ...) size is valid and nothing else
 * shares its last line.  The indices must be lock-free atomics, or a push would take a
 * lock.
 */
_Static_assert(_Alignof(struct fi_ring) == FI_CACHE_LINE, "fi_ring not line-aligned");
_Static_assert(sizeof(struct fi_ring) % FI_CACHE_LINE == 0, "fi_ring not whole lines");
_Static_assert(offsetof(struct fi_ring, head) % FI_CACHE_LINE == 0, "head line");
_Static_assert(offsetof(struct fi_ring, tail) - offsetof(struct fi_ring, head) >=
               FI_CACHE_LINE, "head and tail share a cache line");
_Static_assert(offsetof(struct fi_ring, producer_waiting) < offsetof(struct fi_ring, mask),
               "producer fields spill onto the read-only line");
_Static_assert(offsetof(struct fi_ring, mask) - offsetof(struct fi_ring, tail) >=
               FI_CACHE_LINE, "tail and the read-only line share a cache line");
_Static_assert(offsetof(struct fi_ring, closed) - offsetof(struct fi_ring, slots) >=
               sizeof(void **), "cold state overlaps the slots pointer");
_Static_assert(offsetof(struct fi_ring, closed) % FI_CACHE_LINE == 0, "cold line");
_Static_assert(ATOMIC_POINTER_LOCK_FREE == 2 && ATOMIC_INT_LOCK_FREE == 2,
               "ring indices would not be lock-free");
_Static_assert(sizeof(atomic_size_t) == sizeof(size_t), "atomic_size_t has a lock inside");
/* fi_ring_create's slot array: (capacity + 2 spare lines) pointers must fit a size_t. */
_Static_assert(FI_RING_MAX_CAPACITY <= (SIZE_MAX / sizeof(void *)) / 2,
               "FI_RING_MAX_CAPACITY slots overflow size_t");
_Static_assert((FI_RING_MAX_CAPACITY & (FI_RING_MAX_CAPACITY - 1)) == 0,
               "capacity is rounded up to a power of two: the maximum must be one");
_Static_assert(FI_CACHE_LINE % sizeof(void *) == 0, "spare slot lines");

/*
 * Block (spin, yield, park, as push and pop do) until the producer could push
 * (producer != 0) or the consumer could pop, without doing either; advertises the
 * wait in producer_waiting / consumer_waiting meanwhile.  Called by that side's thread.
 * Returns FI_OK, FI_ETIMEDOUT or FI_ECLOSED (producer: closed; consumer: closed, empty).
 */
int fi_ring__await(fi_ring *r, int producer, int64_t deadline_ns);

#endif /* FASTITER_RING_IMPL_H_ */
