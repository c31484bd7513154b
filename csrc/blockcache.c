/*
 * The block cache (see fastiter/blockcache.h).
 *
 * A short array of free blocks behind a spinlock: the critical sections are a scan of
 * at most max_blocks entries (tens in practice) and a short move, far shorter than a futex
 * round trip, and the lock is contended only when a producer allocates while the
 * consumer frees.  Every live cache is on one list, and a pthread_atfork handler takes
 * all their locks before fork() and releases them on both sides afterwards (as glibc's
 * malloc does with its arenas), so a child never inherits a lock held by a thread that
 * does not exist there.
 */
#define _GNU_SOURCE  /* madvise(MADV_HUGEPAGE) */

#include "fastiter.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Every block starts with this header; the caller's pointer is just past it.  Its size
 * is a multiple of malloc's alignment (16 bytes on x86-64), which the pointer keeps. */
typedef union header {
    size_t capacity;  /* usable bytes after the header */
    max_align_t align_;
} header;

/* numpy's own allocator asks for transparent huge pages from this size on */
#define HUGEPAGE_FROM ((size_t)4 << 20)

struct fi_blockcache {
    atomic_flag lock;
    size_t min_bytes, max_blocks, max_bytes;
    size_t count, bytes;
    uint64_t hits, misses;
    header **blocks;  /* FI_BLOCKCACHE_MAX_BLOCKS entries, the first `count` in use */
    fi_blockcache *prev, *next;  /* the registry of live caches */
};

static void lock(fi_blockcache *c) {
    int spins = 0;
    while (atomic_flag_test_and_set_explicit(&c->lock, memory_order_acquire)) {
        if (++spins > 64) {  /* the holder was preempted: let it run */
            sched_yield();
            spins = 0;
        }
    }
}

static void unlock(fi_blockcache *c) {
    atomic_flag_clear_explicit(&c->lock, memory_order_release);
}

/* --- the registry, for fork ---------------------------------------------------------- */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static fi_blockcache *registry;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void before_fork(void) {
    pthread_mutex_lock(&registry_lock);
    for (fi_blockcache *c = registry; c != NULL; c = c->next) lock(c);
}

static void after_fork(void) {  /* parent and child: the forking thread holds them all */
    for (fi_blockcache *c = registry; c != NULL; c = c->next) unlock(c);
    pthread_mutex_unlock(&registry_lock);
}

static void install_atfork(void) {
    pthread_atfork(before_fork, after_fork, after_fork);
}

static void *user_ptr(header *h) { return (char *)h + sizeof(header); }
static header *header_of(void *p) { return (header *)((char *)p - sizeof(header)); }

int fi_blockcache_create(size_t min_bytes, size_t max_blocks, size_t max_bytes,
                         fi_blockcache **out) {
    if (out == NULL || max_blocks > FI_BLOCKCACHE_MAX_BLOCKS) return FI_EINVAL;
    fi_blockcache *c = calloc(1, sizeof *c);
    if (c == NULL) return FI_ENOMEM;
    c->blocks = calloc(FI_BLOCKCACHE_MAX_BLOCKS, sizeof *c->blocks);
    if (c->blocks == NULL) {
        free(c);
        return FI_ENOMEM;
    }
    atomic_flag_clear(&c->lock);
    c->min_bytes = min_bytes;
    c->max_blocks = max_blocks;
    c->max_bytes = max_bytes;
    pthread_once(&atfork_once, install_atfork);
    pthread_mutex_lock(&registry_lock);
    c->next = registry;
    if (registry != NULL) registry->prev = c;
    registry = c;
    pthread_mutex_unlock(&registry_lock);
    *out = c;
    return FI_OK;
}

/* The cached block that fits n (capacity in [n, n + n/4]) best, or NULL.  Among equal
 * fits the most recently freed wins: its lines are the likeliest still to be in a cache,
 * and a write to a cold block first reads it from memory. */
static header *take(fi_blockcache *c, size_t n) {
    size_t limit = n > SIZE_MAX - n / 4 ? SIZE_MAX : n + n / 4;
    lock(c);
    size_t best = c->count;
    for (size_t i = c->count; i-- > 0;) {
        size_t cap = c->blocks[i]->capacity;
        if (cap >= n && cap <= limit && (best == c->count || cap < c->blocks[best]->capacity)) {
            best = i;
            if (cap == n) break;
        }
    }
    header *h = NULL;
    if (best < c->count) {
        h = c->blocks[best];
        c->count--;  /* keep the rest in the order they were freed */
        memmove(&c->blocks[best], &c->blocks[best + 1], (c->count - best) * sizeof *c->blocks);
        c->bytes -= h->capacity;
        c->hits++;
    } else {
        c->misses++;
    }
    unlock(c);
    return h;
}

/* As numpy's default allocator does, so that large batches keep their huge pages (and
 * fewer faults and TLB misses) where THP is in "madvise" mode. */
static void advise_hugepages(void *p, size_t n) {
#if defined(MADV_HUGEPAGE)
    if (n < HUGEPAGE_FROM) return;
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0) return;
    uintptr_t begin = ((uintptr_t)p + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
    uintptr_t end = ((uintptr_t)p + n) & ~((uintptr_t)page - 1);
    if (end > begin) madvise((void *)begin, end - begin, MADV_HUGEPAGE);  /* a hint only */
#else
    (void)p;
    (void)n;
#endif
}

static void *fresh(size_t n, int zeroed) {
    if (n > SIZE_MAX - sizeof(header)) return NULL;
    header *h = zeroed ? calloc(1, sizeof(header) + n) : malloc(sizeof(header) + n);
    if (h == NULL) return NULL;
    h->capacity = n;
    advise_hugepages(user_ptr(h), n);
    return user_ptr(h);
}

void *fi_blockcache_take(fi_blockcache *c, size_t n) {
    if (n < c->min_bytes) return NULL;
    header *h = take(c, n);
    return h != NULL ? user_ptr(h) : NULL;
}

void *fi_blockcache_alloc(fi_blockcache *c, size_t n) {
    void *p = fi_blockcache_take(c, n);
    return p != NULL ? p : fresh(n, 0);
}

void *fi_blockcache_calloc(fi_blockcache *c, size_t nelem, size_t elsize) {
    if (elsize != 0 && nelem > SIZE_MAX / elsize) return NULL;
    size_t n = nelem * elsize;
    if (n >= c->min_bytes) {
        header *h = take(c, n);
        if (h != NULL) {
            void *p = user_ptr(h);
            memset(p, 0, n);
            return p;
        }
    }
    return fresh(n, 1);  /* calloc's fresh pages are zero without a pass over them */
}

void *fi_blockcache_realloc(fi_blockcache *c, void *p, size_t n) {
    if (p == NULL) return fi_blockcache_alloc(c, n);
    size_t cap = header_of(p)->capacity;
    if (n <= cap && n >= cap / 2) return p;  /* fits, and not holding on to much more */
    void *q = fi_blockcache_alloc(c, n);
    if (q == NULL) return NULL;  /* p is still valid, as realloc promises */
    memcpy(q, p, n < cap ? n : cap);
    fi_blockcache_free(c, p);
    return q;
}

/* A full cache makes room for the block just freed by dropping the oldest ones: the
 * newest is the likeliest to be asked for next (a loop of same-shape batches), while a
 * cache that refused it would keep blocks of sizes no longer in use forever. */
void fi_blockcache_free(fi_blockcache *c, void *p) {
    if (p == NULL) return;
    header *h = header_of(p);
    header *drop[FI_BLOCKCACHE_MAX_BLOCKS];
    size_t ndrop = 0;
    if (h->capacity >= c->min_bytes) {
        lock(c);
        if (c->max_blocks > 0 && h->capacity <= c->max_bytes) {
            while (ndrop < c->count && (c->count - ndrop >= c->max_blocks
                                        || c->bytes > c->max_bytes - h->capacity)) {
                c->bytes -= c->blocks[ndrop]->capacity;
                drop[ndrop] = c->blocks[ndrop];
                ndrop++;
            }
            c->count -= ndrop;
            memmove(c->blocks, c->blocks + ndrop, c->count * sizeof *c->blocks);
            c->blocks[c->count++] = h;
            c->bytes += h->capacity;
            h = NULL;
        }
        unlock(c);
    }
    for (size_t i = 0; i < ndrop; i++) free(drop[i]);  /* outside the lock: munmap is slow */
    free(h);
}

void fi_blockcache_set_limits(fi_blockcache *c, size_t max_blocks, size_t max_bytes) {
    if (max_blocks > FI_BLOCKCACHE_MAX_BLOCKS) max_blocks = FI_BLOCKCACHE_MAX_BLOCKS;
    header *drop[FI_BLOCKCACHE_MAX_BLOCKS];
    size_t ndrop = 0;
    lock(c);
    c->max_blocks = max_blocks;
    c->max_bytes = max_bytes;
    while (c->count - ndrop > max_blocks || c->bytes > max_bytes) {
        header *h = c->blocks[ndrop];  /* the oldest first: the newest are the warmest */
        c->bytes -= h->capacity;
        drop[ndrop++] = h;
    }
    c->count -= ndrop;
    memmove(c->blocks, c->blocks + ndrop, c->count * sizeof *c->blocks);
    unlock(c);
    for (size_t i = 0; i < ndrop; i++) free(drop[i]);  /* outside the lock: munmap is slow */
}

void fi_blockcache_get_stats(fi_blockcache *c, fi_blockcache_stats *out) {
    lock(c);
    out->hits = c->hits;
    out->misses = c->misses;
    out->cached_blocks = c->count;
    out->cached_bytes = c->bytes;
    unlock(c);
}

void fi_blockcache_destroy(fi_blockcache *c) {
    if (c == NULL) return;
    pthread_mutex_lock(&registry_lock);
    if (c->prev != NULL) c->prev->next = c->next; else registry = c->next;
    if (c->next != NULL) c->next->prev = c->prev;
    pthread_mutex_unlock(&registry_lock);
    for (size_t i = 0; i < c->count; i++) free(c->blocks[i]);
    free(c->blocks);
    free(c);
}
