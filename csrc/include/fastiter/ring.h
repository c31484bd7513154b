/*
 * A bounded single-producer / single-consumer ring of pointers, and the native threads
 * that feed it.
 *
 * The ring is lock-free on its fast path (one acquire load and one release store per
 * operation, with each side caching the other's index).  A push on a full ring or a pop
 * on an empty one spins briefly, then parks the thread on a condition variable until
 * the other side moves, the deadline passes, or the ring is closed.  Items are opaque
 * pointers: the ring never dereferences them, and ownership passes to the popper only
 * when a pop returns FI_OK.
 *
 * Roles: at any moment at most one thread may push and at most one thread may pop
 * (they may be different threads, and the roles may move between threads provided
 * the hand-over itself synchronises, e.g. through a thread join).  fi_ring_close,
 * fi_ring_size, fi_ring_capacity and fi_ring_is_closed may be called from any thread.
 *
 * Deadlines are absolute times on fi_now_ns()'s clock (CLOCK_MONOTONIC).  Pass
 * FI_RING_FOREVER to wait without limit and FI_RING_NOWAIT (or any past time) to try
 * once.
 */
#ifndef FASTITER_RING_H_
#define FASTITER_RING_H_

#include "fastiter/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FI_RING_FOREVER INT64_MAX
#define FI_RING_NOWAIT ((int64_t)0)
/* The largest capacity fi_ring_create accepts (2^30 slots). */
#define FI_RING_MAX_CAPACITY ((size_t)1 << 30)

typedef struct fi_ring fi_ring;

/* Nanoseconds on the monotonic clock; the time base of every deadline.  Any thread. */
int64_t fi_now_ns(void);

/*
 * Create a ring holding at least min_capacity items; the capacity is rounded up to a
 * power of two (so that the index wraps with a mask).
 * Requires: out non-NULL; 1 <= min_capacity <= FI_RING_MAX_CAPACITY.
 * Returns FI_OK and *out, FI_EINVAL for a bad capacity, FI_ENOMEM.
 */
int fi_ring_create(size_t min_capacity, fi_ring **out);

/*
 * Free the ring.  Items still inside are not touched (pop them first if they own
 * resources).  Requires: no thread is using or waiting on the ring any more.
 */
void fi_ring_destroy(fi_ring *ring);

/* The rounded-up capacity.  Any thread. */
size_t fi_ring_capacity(const fi_ring *ring);

/* Items currently held: exact when both sides are idle, a snapshot otherwise.  Any thread. */
size_t fi_ring_size(const fi_ring *ring);

/*
 * Push one item.  Producer thread only.
 * Returns FI_OK (the ring now owns the item), FI_ETIMEDOUT when the ring stayed full
 * until deadline_ns, or FI_ECLOSED when the ring is (or becomes) closed; in both failure
 * cases the caller still owns the item.
 */
int fi_ring_push(fi_ring *ring, void *item, int64_t deadline_ns);

/*
 * Pop one item into *item.  Consumer thread only.
 * Items pushed before a close are still delivered: FI_ECLOSED comes only once the ring
 * is closed *and* empty.  Returns FI_OK (the caller now owns *item), FI_ETIMEDOUT when
 * the ring stayed empty until deadline_ns, or FI_ECLOSED; *item is untouched on failure.
 */
int fi_ring_pop(fi_ring *ring, void **item, int64_t deadline_ns);

/*
 * Push up to n items from items[0..n) without waiting; returns how many went in
 * (a prefix of items).  Producer thread only.  Publishes them with one index store, so
 * a producer with many small items pays the cross-core traffic once per call.
 */
size_t fi_ring_push_some(fi_ring *ring, void *const *items, size_t n);

/*
 * Pop up to n items into items[0..n) without waiting; returns how many came out.
 * Consumer thread only.
 */
size_t fi_ring_pop_some(fi_ring *ring, void **items, size_t n);

/*
 * Batched waits: wait, without popping, until an item is ready; then keep spinning
 * while fewer than `want` are ready and the producer is still pushing (a push at most
 * linger_ns after its previous one), and return as soon as `want` are ready, the
 * producer itself blocks in the ring, or it goes quiet.  `want` may exceed the
 * capacity, meaning "until the producer blocks or goes quiet".  Consumer thread only.
 * Returns FI_OK (at least one item ready, even if the deadline passed while lingering),
 * FI_ETIMEDOUT (none by deadline_ns) or FI_ECLOSED (closed and empty).  The first
 * wait spins, yields and parks as fi_ring_pop does; the linger never parks and lasts
 * at most linger_ns after the producer's last push.  want <= 1 or linger_ns <= 0 gives
 * a plain wait.
 *
 * For callers that pay a fixed cost per wake-up, e.g. a Python thread that must take
 * the GIL from the producer next: returning once the producer blocks (it has released
 * the GIL by then) turns a contended GIL hand-off, a futex sleep and wake-up, into an
 * uncontended one, once per lap instead of once per item.
 */
int fi_ring_wait_items(fi_ring *ring, size_t want, int64_t linger_ns, int64_t deadline_ns);

/*
 * The producer's twin: wait until a slot is free, then linger while the consumer keeps
 * popping, until `want` slots are free, the consumer blocks, or it goes quiet.
 * Producer thread only.  Returns FI_OK (at least one slot free), FI_ETIMEDOUT, or
 * FI_ECLOSED (the ring is closed, at once).
 */
int fi_ring_wait_room(fi_ring *ring, size_t want, int64_t linger_ns, int64_t deadline_ns);

/*
 * Close the ring and wake every thread waiting in push or pop.  Idempotent; any thread.
 * Later pushes fail with FI_ECLOSED; pops drain what is left, then fail with FI_ECLOSED.
 */
void fi_ring_close(fi_ring *ring);

/* Non-zero once fi_ring_close has been called.  Any thread. */
int fi_ring_is_closed(const fi_ring *ring);

/*
 * Native threads, for producers that push into a ring.
 *
 * fi_thread_start runs fn(arg) on a new joinable thread.  Every started thread must be
 * either joined (fi_thread_join, or fi_thread_join_until returning FI_OK) or detached
 * exactly once; both free the handle.  fi_thread_live_count counts the threads started
 * here whose fn has not yet returned, process-wide.
 */
typedef struct fi_thread fi_thread;

/* Returns FI_OK and *out, FI_ENOMEM, or FI_EINVAL when the system refuses a thread. */
int fi_thread_start(fi_thread **out, void (*fn)(void *), void *arg);

/* Wait for the thread to finish and free the handle.  Not from the thread itself. */
int fi_thread_join(fi_thread *thread);

/*
 * Wait until the thread's fn has returned or deadline_ns passes.  FI_OK: the thread was
 * joined and the handle freed.  FI_ETIMEDOUT: the handle is still valid.
 */
int fi_thread_join_until(fi_thread *thread, int64_t deadline_ns);

/* Let the thread finish on its own; the handle is freed when it does. */
void fi_thread_detach(fi_thread *thread);

/* Non-zero once fn has returned (the thread may still be exiting).  Any thread. */
int fi_thread_done(const fi_thread *thread);

/* Threads started by fi_thread_start whose fn has not returned yet.  Any thread. */
int64_t fi_thread_live_count(void);

/*
 * Sharing a ring across libraries.  In Python, Ring(n, kind="int").capsule() hands a
 * ring to other code in the process as a PyCapsule named FI_RING_CAPSULE_NAME whose
 * pointer is the fi_ring *, and Ring.from_capsule() wraps such a capsule made by C code
 * around a ring of its own (without taking ownership).  The other side may be built
 * from its own copy of these sources: the ring's state lives in the struct, and the
 * barrier handshake holds whichever copy runs either side.  Rules for a shared ring:
 * - Roles: the SPSC rule above still holds across libraries, e.g. C pushes, Python pops.
 * - Lifetime: the ring stays valid while its capsule (or the owning Ring) is alive;
 *   only its creator destroys it, after every thread using it has been joined.
 * - Items: opaque addresses.  A pushed item belongs to the ring, a popped one to the
 *   popper, who must release it through whatever function its producer documents.
 *   Items left inside at shutdown are drained and released by the consumer side.
 * - Shutdown: fi_ring_close from either side wakes both; a producer that gets
 *   FI_ECLOSED still owns the item it tried to push.
 */
#define FI_RING_CAPSULE_NAME "fastiter.fi_ring"

#ifdef __cplusplus
}
#endif
#endif /* FASTITER_RING_H_ */
