/* C tests of the block cache (fastiter/blockcache.h).  Exit non-zero on failure.
 * Also run under ThreadSanitizer by tests/test_c_core.py (the cross-thread test). */
#define _POSIX_C_SOURCE 200809L
#include <fastiter.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", \
    __FILE__, __LINE__, #cond); failures++; } } while (0)

static fi_blockcache_stats stats(fi_blockcache *c)
{
    fi_blockcache_stats s;
    fi_blockcache_get_stats(c, &s);
    return s;
}

static void test_reuse_and_fit(void)
{
    fi_blockcache *c;
    CHECK(fi_blockcache_create(1024, 8, 1 << 20, &c) == FI_OK);
    char *small = fi_blockcache_alloc(c, 100);
    CHECK(small != NULL && (uintptr_t)small % 16 == 0);
    fi_blockcache_free(c, small);
    CHECK(stats(c).cached_blocks == 0);  /* under min_bytes: straight back to malloc */

    char *a = fi_blockcache_alloc(c, 4096);
    CHECK(a != NULL && (uintptr_t)a % 16 == 0);
    memset(a, 7, 4096);
    fi_blockcache_free(c, a);
    CHECK(stats(c).cached_blocks == 1 && stats(c).cached_bytes == 4096);
    char *x = fi_blockcache_alloc(c, 8192);
    CHECK(x != a);                                       /* too small for the request */
    fi_blockcache_free(c, x);
    CHECK(stats(c).cached_blocks == 2);
    CHECK(fi_blockcache_alloc(c, 4000) == a);            /* 4096 <= 4000 + 1000 */
    CHECK(stats(c).hits == 1 && stats(c).misses == 2 && stats(c).cached_blocks == 1);
    fi_blockcache_free(c, a);
    fi_blockcache_set_limits(c, 1, 1 << 20);             /* drops the oldest: x */
    CHECK(stats(c).cached_blocks == 1 && stats(c).cached_bytes == 4096);
    fi_blockcache_set_limits(c, 8, 1 << 20);
    char *b = fi_blockcache_alloc(c, 4000);
    CHECK(b == a);
    fi_blockcache_free(c, b);
    char *big = fi_blockcache_alloc(c, 3000);            /* 4096 > 3000 + 750: not this one */
    CHECK(big != a);
    fi_blockcache_free(c, big);

    /* best fit: of 4096 and 3000 cached, a 2900-byte request takes the 3000 */
    char *fit = fi_blockcache_alloc(c, 2900);
    CHECK(fit == big);
    char *y = fi_blockcache_alloc(c, 3800);
    fi_blockcache_free(c, fit);
    fi_blockcache_free(c, y);
    CHECK(fi_blockcache_alloc(c, 3500) == y);            /* 3800 and 4096 fit: the smaller */
    fi_blockcache_free(c, y);

    /* equal fits: the most recently freed first (the likeliest to be in a cache) */
    char *p1 = fi_blockcache_alloc(c, 5000), *p2 = fi_blockcache_alloc(c, 5000);
    char *p3 = fi_blockcache_alloc(c, 5000);
    fi_blockcache_free(c, p1);
    fi_blockcache_free(c, p2);
    fi_blockcache_free(c, p3);
    CHECK(fi_blockcache_alloc(c, 5000) == p3);
    CHECK(fi_blockcache_alloc(c, 5000) == p2);
    fi_blockcache_free(c, p2);
    CHECK(fi_blockcache_alloc(c, 5000) == p2);
    CHECK(fi_blockcache_alloc(c, 5000) == p1);
    fi_blockcache_free(c, p1);
    fi_blockcache_free(c, p2);
    fi_blockcache_free(c, p3);
    fi_blockcache_destroy(c);  /* frees the cached blocks (ASan's leak check) */
}

static void test_limits(void)
{
    fi_blockcache *c;
    CHECK(fi_blockcache_create(0, FI_BLOCKCACHE_MAX_BLOCKS + 1, 0, &c) == FI_EINVAL);
    CHECK(fi_blockcache_create(16, 2, 10000, &c) == FI_OK);
    void *p[4];
    for (int i = 0; i < 4; i++) p[i] = fi_blockcache_alloc(c, 4000);
    for (int i = 0; i < 4; i++) fi_blockcache_free(c, p[i]);
    CHECK(stats(c).cached_blocks == 2 && stats(c).cached_bytes == 8000);  /* max_blocks */
    fi_blockcache_set_limits(c, 4, 4000);
    CHECK(stats(c).cached_blocks == 1 && stats(c).cached_bytes == 4000);  /* max_bytes */
    void *huge = fi_blockcache_alloc(c, 20000);
    fi_blockcache_free(c, huge);                          /* larger than max_bytes */
    CHECK(stats(c).cached_blocks == 1);
    fi_blockcache_set_limits(c, 0, 0);
    CHECK(stats(c).cached_blocks == 0 && stats(c).cached_bytes == 0);
    void *q = fi_blockcache_alloc(c, 4000);
    fi_blockcache_free(c, q);
    CHECK(stats(c).cached_blocks == 0);                   /* disabled: frees go to the system */
    fi_blockcache_destroy(c);
}

static void test_calloc_realloc_and_overflow(void)
{
    fi_blockcache *c;
    CHECK(fi_blockcache_create(64, 8, 1 << 20, &c) == FI_OK);
    unsigned char *a = fi_blockcache_alloc(c, 1000);
    memset(a, 0xAB, 1000);
    fi_blockcache_free(c, a);
    unsigned char *z = fi_blockcache_calloc(c, 250, 4);  /* the same block, zeroed */
    CHECK(z == a);
    int zero = 1;
    for (int i = 0; i < 1000; i++) zero &= z[i] == 0;
    CHECK(zero);
    unsigned char *fresh = fi_blockcache_calloc(c, 3000, 1);
    zero = 1;
    for (int i = 0; i < 3000; i++) zero &= fresh[i] == 0;
    CHECK(zero);
    fi_blockcache_free(c, fresh);

    for (int i = 0; i < 1000; i++) z[i] = (unsigned char)i;
    CHECK(fi_blockcache_realloc(c, z, 900) == z);        /* shrinking a little: in place */
    unsigned char *g = fi_blockcache_realloc(c, z, 5000);
    CHECK(g != NULL);
    int same = 1;
    for (int i = 0; i < 900; i++) same &= g[i] == (unsigned char)i;
    CHECK(same);
    unsigned char *s = fi_blockcache_realloc(c, g, 100);  /* far smaller: moved */
    same = 1;
    for (int i = 0; i < 100; i++) same &= s[i] == (unsigned char)i;
    CHECK(same);
    fi_blockcache_free(c, s);
    void *n = fi_blockcache_realloc(c, NULL, 10);
    CHECK(n != NULL);
    fi_blockcache_free(c, n);
    fi_blockcache_free(c, NULL);

    /* a block past the huge-page threshold: advised, then used like any other */
    size_t big_n = (size_t)5 << 20;
    unsigned char *big = fi_blockcache_alloc(c, big_n);
    CHECK(big != NULL);
    memset(big, 3, big_n);
    CHECK(big[0] == 3 && big[big_n - 1] == 3);
    fi_blockcache_free(c, big);

    CHECK(fi_blockcache_calloc(c, SIZE_MAX / 2, 4) == NULL);
    CHECK(fi_blockcache_alloc(c, SIZE_MAX - 4) == NULL);
    fi_blockcache_destroy(c);
}

/* Two producers allocate and fill blocks, a consumer checks and frees them, as the
 * async iterators' threads do; run under TSan this checks the lock and the hand-over. */
#define ITEMS 20000
#define SIZES 3

typedef struct {
    fi_blockcache *cache;
    fi_ring *ring;
    int id;
    long bad;
} side;

static size_t size_of(int i) { return 2048 + (size_t)(i % SIZES) * 700; }

static void *produce(void *arg)
{
    side *s = arg;
    for (int i = 0; i < ITEMS; i++) {
        size_t n = size_of(i);
        uint32_t *p = fi_blockcache_alloc(s->cache, n);
        if (p == NULL) { s->bad++; continue; }
        for (size_t k = 0; k < n / 4; k++) p[k] = (uint32_t)(i * 2 + s->id);
        if (fi_ring_push(s->ring, p, FI_RING_FOREVER) != FI_OK) s->bad++;
    }
    fi_ring_close(s->ring);
    return NULL;
}

static void test_cross_thread(void)
{
    fi_blockcache *c;
    CHECK(fi_blockcache_create(1024, 16, 1 << 20, &c) == FI_OK);
    side sides[2];
    pthread_t t[2];
    for (int k = 0; k < 2; k++) {
        sides[k] = (side){c, NULL, k, 0};
        CHECK(fi_ring_create(8, &sides[k].ring) == FI_OK);
        CHECK(pthread_create(&t[k], NULL, produce, &sides[k]) == 0);
    }
    long bad = 0, seen = 0;
    int open = 2;
    int next[2] = {0, 0};
    while (open > 0) {
        open = 0;
        for (int k = 0; k < 2; k++) {
            void *item;
            int st = fi_ring_pop(sides[k].ring, &item, fi_now_ns() + 1000000);
            if (st == FI_ECLOSED) continue;
            open++;
            if (st != FI_OK) continue;
            uint32_t *p = item;
            int i = next[k]++;
            for (size_t j = 0; j < size_of(i) / 4; j++) bad += p[j] != (uint32_t)(i * 2 + k);
            fi_blockcache_free(c, p);
            seen++;
        }
    }
    for (int k = 0; k < 2; k++) {
        pthread_join(t[k], NULL);
        bad += sides[k].bad;
        fi_ring_destroy(sides[k].ring);
    }
    CHECK(bad == 0);
    CHECK(seen == 2 * ITEMS);
    fi_blockcache_stats s = stats(c);
    CHECK(s.hits + s.misses == 2 * ITEMS);
    CHECK(s.hits > ITEMS);  /* most blocks came back from the cache */
    CHECK(s.cached_blocks <= 16);
    fi_blockcache_destroy(c);
}

#ifndef __SANITIZE_THREAD__  /* TSan does not support fork() from a threaded program */
/* fork() while another thread allocates and frees without pause: the child must find
 * the cache usable (the atfork handler held its lock across the fork). */
static atomic_int churning;

static void *churn(void *arg)
{
    fi_blockcache *c = arg;
    while (atomic_load(&churning)) {
        void *p = fi_blockcache_alloc(c, 4096);
        fi_blockcache_free(c, p);
    }
    return NULL;
}

static void test_fork_while_another_thread_allocates(void)
{
    fi_blockcache *c;
    CHECK(fi_blockcache_create(1024, 4, 1 << 20, &c) == FI_OK);
    atomic_store(&churning, 1);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, churn, c) == 0);
    for (int k = 0; k < 200; k++) {
        pid_t pid = fork();
        if (pid == 0) {
            alarm(5);  /* a deadlock kills the child, and the parent sees a signal */
            void *p = fi_blockcache_alloc(c, 4096);
            fi_blockcache_free(c, p);
            _exit(p != NULL ? 0 : 3);
        }
        int status = 0;
        CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    atomic_store(&churning, 0);
    pthread_join(t, NULL);
    fi_blockcache_destroy(c);
}
#endif

/* fi_blockcache_take: a fitting cached block as it was left, NULL on a miss or below
 * min_bytes (the caller then asks for fresh zero pages). */
static void test_take(void)
{
    fi_blockcache *c;
    CHECK(fi_blockcache_create(1024, 8, 1 << 20, &c) == FI_OK);
    CHECK(fi_blockcache_take(c, 4096) == NULL);  /* empty */
    CHECK(stats(c).misses == 1);
    char *a = fi_blockcache_alloc(c, 4096);
    memset(a, 7, 4096);
    fi_blockcache_free(c, a);
    CHECK(fi_blockcache_take(c, 100) == NULL);    /* below min_bytes: never cached */
    CHECK(fi_blockcache_take(c, 8192) == NULL);   /* too small a block for 8192 */
    char *b = fi_blockcache_take(c, 4000);
    CHECK(b == a && b[0] == 7 && b[3999] == 7);   /* the same block, not cleared */
    CHECK(stats(c).cached_blocks == 0 && stats(c).hits == 1);
    fi_blockcache_free(c, b);
    fi_blockcache_destroy(c);
}

/* A full cache keeps the block just freed and drops the oldest (a new batch shape
 * replaces the old one instead of being refused forever). */
static void test_full_cache_drops_the_oldest(void)
{
    fi_blockcache *c;
    CHECK(fi_blockcache_create(16, 2, 10000, &c) == FI_OK);
    char *a = fi_blockcache_alloc(c, 4000), *b = fi_blockcache_alloc(c, 4000);
    char *d = fi_blockcache_alloc(c, 6000);
    fi_blockcache_free(c, a);
    fi_blockcache_free(c, b);
    fi_blockcache_free(c, d);  /* 2 blocks max, 10000 bytes max: a, the oldest, goes */
    CHECK(stats(c).cached_blocks == 2 && stats(c).cached_bytes == 10000);
    CHECK(fi_blockcache_take(c, 6000) == d && fi_blockcache_take(c, 4000) == b);
    CHECK(stats(c).cached_blocks == 0);
    fi_blockcache_free(c, b);
    fi_blockcache_free(c, d);
    fi_blockcache_destroy(c);
}

int main(void)
{
    test_take();
    test_full_cache_drops_the_oldest();
    test_reuse_and_fit();
    test_limits();
    test_calloc_realloc_and_overflow();
    test_cross_thread();
#ifndef __SANITIZE_THREAD__
    test_fork_while_another_thread_allocates();
#endif
    if (failures) {
        fprintf(stderr, "test_blockcache: %d failures\n", failures);
        return 1;
    }
    printf("test_blockcache: all passed\n");
    return 0;
}
