/*
 * A thread-safe cache of large memory blocks, for pipelines that allocate a fresh
 * buffer per batch on one thread and free it on another.
 *
 * glibc hands freed large blocks back to the kernel (munmap of mmap'd chunks, trimming
 * of a thread arena's top), so the next batch's buffer page-faults in again; with two
 * producer threads those faults also contend on the process's memory map.  A cache keeps
 * up to max_blocks freed blocks of at least min_bytes, with their pages still mapped,
 * and hands each back to the next request it fits (a cached block serves a request of
 * n bytes when its capacity is between n and n + n/4, the smallest such block first).
 *
 * Smaller requests pass straight to malloc.  Every block, cached or not, carries a
 * header holding its capacity (sizeof(max_align_t) bytes, 16 on x86-64), so any block
 * may be freed or reallocated through the cache that made it, from any thread; pointers
 * keep malloc's alignment.  New blocks of 4 MiB or more are advised to use transparent
 * huge pages, as numpy's own allocator does.
 * Caches are fork-safe: a pthread_atfork handler holds their locks across fork().
 * The cache is the allocator behind a numpy PyDataMem_Handler in fastiter's async
 * producers, and a C pipeline can use it the same way for its own batch buffers.
 */
#ifndef FASTITER_BLOCKCACHE_H_
#define FASTITER_BLOCKCACHE_H_

#include "fastiter/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fi_blockcache fi_blockcache;

typedef struct fi_blockcache_stats {
    uint64_t hits;          /* requests served from the cache */
    uint64_t misses;        /* requests of >= min_bytes that had to go to malloc */
    size_t cached_blocks;   /* blocks held now */
    size_t cached_bytes;    /* their capacity in bytes */
} fi_blockcache_stats;

/* The largest max_blocks fi_blockcache_create accepts. */
#define FI_BLOCKCACHE_MAX_BLOCKS 4096

/*
 * Create a cache holding at most max_blocks freed blocks and max_bytes of capacity;
 * only blocks of at least min_bytes are cached.  Returns FI_OK, FI_EINVAL
 * (max_blocks > FI_BLOCKCACHE_MAX_BLOCKS) or FI_ENOMEM.
 */
int fi_blockcache_create(size_t min_bytes, size_t max_blocks, size_t max_bytes,
                         fi_blockcache **out);

/* malloc, calloc, realloc and free through the cache; NULL on failure (or overflow).
 * fi_blockcache_free(c, NULL) does nothing.  Any thread may call them. */
void *fi_blockcache_alloc(fi_blockcache *c, size_t n);
void *fi_blockcache_calloc(fi_blockcache *c, size_t nelem, size_t elsize);
void *fi_blockcache_realloc(fi_blockcache *c, void *p, size_t n);
void fi_blockcache_free(fi_blockcache *c, void *p);
/* A cached block of at least n bytes as it was left (not cleared), or NULL when none
 * fits: a caller that writes every byte anyway takes a recycled block this way and
 * falls back to fi_blockcache_calloc's fresh zero pages otherwise. */
void *fi_blockcache_take(fi_blockcache *c, size_t n);

/* Change the limits; blocks over the new limits are freed now, the least recently
 * freed first (0, 0 empties the cache and makes every later free go straight to the
 * system). */
void fi_blockcache_set_limits(fi_blockcache *c, size_t max_blocks, size_t max_bytes);

void fi_blockcache_get_stats(fi_blockcache *c, fi_blockcache_stats *out);

/* Free the cache and its cached blocks.  Requires: every block it handed out has
 * been freed, and no other thread uses it. */
void fi_blockcache_destroy(fi_blockcache *c);

#ifdef __cplusplus
}
#endif
#endif /* FASTITER_BLOCKCACHE_H_ */
