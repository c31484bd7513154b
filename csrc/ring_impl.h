/*
 * The ring's private layout, shared by ring.c (the queue itself) and ring_wait.c
 * (batched waits).  Not a public header: C programs use fastiter/ring.h.
 */
#ifndef FASTITER_RING_IMPL_H_
#define FASTITER_RING_IMPL_H_

#include "fastiter.h"

#include <pthread.h>
#include <stdatomic.h>

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
 * Block (spin, yield, park, as push and pop do) until the producer could push
 * (producer != 0) or the consumer could pop, without doing either; advertises the
 * wait in producer_waiting / consumer_waiting meanwhile.  Called by that side's thread.
 * Returns FI_OK, FI_ETIMEDOUT or FI_ECLOSED (producer: closed; consumer: closed, empty).
 */
int fi_ring__await(fi_ring *r, int producer, int64_t deadline_ns);

#endif /* FASTITER_RING_IMPL_H_ */
