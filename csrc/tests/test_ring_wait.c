/* C tests of the ring's batched waits (fi_ring_wait_items / fi_ring_wait_room).
 * Exit non-zero on failure.  Also run under ThreadSanitizer by tests/test_c_core.py. */
#define _POSIX_C_SOURCE 200809L
#include <fastiter.h>

#include <stdint.h>
#include <stdio.h>
#include <time.h>

static int failures = 0;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", \
    __FILE__, __LINE__, #cond); failures++; } } while (0)

#define ITEM(i) ((void *)(uintptr_t)((i) + 1))
#define MS 1000000LL
#define ALL ((size_t)-1)  /* "until the other side blocks or goes quiet" */

typedef struct {
    fi_ring *ring;
    size_t n;
    int64_t linger;
    size_t errors;
} job;

static void test_plain_outcomes(void)
{
    fi_ring *r;
    CHECK(fi_ring_create(4, &r) == FI_OK);
    int64_t t0 = fi_now_ns();
    CHECK(fi_ring_wait_items(r, 1, 0, t0 + 20 * MS) == FI_ETIMEDOUT);
    CHECK(fi_now_ns() - t0 >= 20 * MS);
    CHECK(fi_ring_wait_room(r, 4, MS, FI_RING_NOWAIT) == FI_OK);  /* empty: all room */
    for (int i = 0; i < 4; i++)
        CHECK(fi_ring_push(r, ITEM(i), FI_RING_NOWAIT) == FI_OK);
    CHECK(fi_ring_wait_room(r, 1, MS, fi_now_ns() + 10 * MS) == FI_ETIMEDOUT);
    t0 = fi_now_ns();
    CHECK(fi_ring_wait_items(r, 4, 1000 * MS, FI_RING_FOREVER) == FI_OK);  /* want met */
    CHECK(fi_now_ns() - t0 < 500 * MS);
    CHECK(fi_ring_size(r) == 4);  /* a wait pops nothing */
    fi_ring_close(r);
    CHECK(fi_ring_wait_room(r, 1, 0, FI_RING_FOREVER) == FI_ECLOSED);
    CHECK(fi_ring_wait_items(r, ALL, 1000 * MS, FI_RING_FOREVER) == FI_OK);  /* closed ends a linger */
    void *item;
    while (fi_ring_pop(r, &item, FI_RING_NOWAIT) == FI_OK) {
    }
    CHECK(fi_ring_wait_items(r, 1, 0, FI_RING_FOREVER) == FI_ECLOSED);
    fi_ring_destroy(r);
}

static void test_linger_ends_when_the_other_side_goes_quiet(void)
{
    fi_ring *r;
    CHECK(fi_ring_create(8, &r) == FI_OK);
    CHECK(fi_ring_push(r, ITEM(0), FI_RING_NOWAIT) == FI_OK);
    int64_t t0 = fi_now_ns();
    CHECK(fi_ring_wait_items(r, ALL, 30 * MS, FI_RING_FOREVER) == FI_OK);
    int64_t dt = fi_now_ns() - t0;
    CHECK(dt >= 30 * MS && dt < 3000 * MS);
    /* the deadline also ends it, and an item is still reported ready */
    t0 = fi_now_ns();
    CHECK(fi_ring_wait_items(r, ALL, 5000 * MS, t0 + 20 * MS) == FI_OK);
    dt = fi_now_ns() - t0;
    CHECK(dt >= 20 * MS && dt < 3000 * MS);
    fi_ring_destroy(r);
}

static void fill_then_block(void *p)
{
    job *j = p;
    for (size_t i = 0; i < j->n; i++)
        if (fi_ring_push(j->ring, ITEM(i), FI_RING_FOREVER) != FI_OK)
            break;
}

static void drain_then_block(void *p)
{
    job *j = p;
    void *item;
    for (size_t i = 0; i < j->n; i++)
        if (fi_ring_pop(j->ring, &item, FI_RING_FOREVER) != FI_OK)
            break;
}

/* The linger returns when the other side blocks: the consumer then sees a full ring,
 * the producer an empty one, however the two threads were scheduled. */
static void test_linger_ends_when_the_other_side_blocks(void)
{
    fi_ring *r;
    CHECK(fi_ring_create(8, &r) == FI_OK);
    job j = {r, 9, 0, 0};  /* one more than fits: the producer blocks on a full ring */
    fi_thread *t;
    CHECK(fi_thread_start(&t, fill_then_block, &j) == FI_OK);
    CHECK(fi_ring_wait_items(r, ALL, 10000 * MS, fi_now_ns() + 20000 * MS) == FI_OK);
    CHECK(fi_ring_size(r) == 8);
    void *item;
    CHECK(fi_ring_pop(r, &item, FI_RING_NOWAIT) == FI_OK && item == ITEM(0));
    CHECK(fi_thread_join(t) == FI_OK);

    /* now 8 items inside: the consumer thread pops 8, then blocks on the empty ring */
    job k = {r, 9, 0, 0};
    CHECK(fi_thread_start(&t, drain_then_block, &k) == FI_OK);
    CHECK(fi_ring_wait_room(r, ALL, 10000 * MS, fi_now_ns() + 20000 * MS) == FI_OK);
    CHECK(fi_ring_size(r) == 0);
    CHECK(fi_ring_push(r, ITEM(99), FI_RING_NOWAIT) == FI_OK);
    CHECK(fi_thread_join(t) == FI_OK);
    fi_ring_destroy(r);
}

/* Both sides use the batched waits, as the Python glue does, on a small ring. */
static void produce_batched(void *p)
{
    job *j = p;
    for (size_t i = 0; i < j->n; i++) {
        if (fi_ring_push(j->ring, ITEM(i), FI_RING_NOWAIT) == FI_OK)
            continue;
        if (fi_ring_wait_room(j->ring, ALL, j->linger, FI_RING_FOREVER) != FI_OK
            || fi_ring_push(j->ring, ITEM(i), FI_RING_NOWAIT) != FI_OK) {
            j->errors++;
            break;
        }
    }
    fi_ring_close(j->ring);
}

static void run_batched_stress(size_t n, size_t capacity, int64_t linger)
{
    fi_ring *r;
    CHECK(fi_ring_create(capacity, &r) == FI_OK);
    job j = {r, n, linger, 0};
    fi_thread *t;
    int64_t t0 = fi_now_ns();
    CHECK(fi_thread_start(&t, produce_batched, &j) == FI_OK);
    size_t got = 0, disorder = 0;
    for (;;) {
        void *item;
        if (fi_ring_pop(r, &item, FI_RING_NOWAIT) != FI_OK) {
            int st = fi_ring_wait_items(r, ALL, linger, FI_RING_FOREVER);
            if (st == FI_ECLOSED)
                break;
            if (st != FI_OK || fi_ring_pop(r, &item, FI_RING_NOWAIT) != FI_OK) {
                disorder++;
                break;
            }
        }
        disorder += item != ITEM(got);
        got++;
    }
    double secs = (double)(fi_now_ns() - t0) / 1e9;
    CHECK(fi_thread_join(t) == FI_OK);
    CHECK(got == n);
    CHECK(disorder == 0);
    CHECK(j.errors == 0);
    printf("batched waits: %zu items, capacity %zu, linger %lld ns: %.1f M items/s\n", n,
           capacity, (long long)linger, (double)n / secs / 1e6);
    fi_ring_destroy(r);
}

int main(void)
{
    test_plain_outcomes();
    test_linger_ends_when_the_other_side_goes_quiet();
    test_linger_ends_when_the_other_side_blocks();
    run_batched_stress(1000 * 1000, 8, 5000);
    run_batched_stress(200 * 1000, 2, 0);
    run_batched_stress(200 * 1000, 64, 100 * 1000);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("test_ring_wait: all passed\n");
    return 0;
}
