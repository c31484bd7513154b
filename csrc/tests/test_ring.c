/* C tests of the SPSC ring and the native threads, through the public header only.
 * Exit non-zero on failure.  Also run under ThreadSanitizer by tests/test_c_core.py. */
#define _POSIX_C_SOURCE 200809L
#include <fastiter.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int failures = 0;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", \
    __FILE__, __LINE__, #cond); failures++; } } while (0)

#define ITEM(i) ((void *)(uintptr_t)((i) + 1))  /* never NULL, so a lost write shows */
#define MS 1000000LL

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_create_rounds_capacity_and_rejects_bad(void)
{
    fi_ring *r = NULL;
    CHECK(fi_ring_create(0, &r) == FI_EINVAL);
    CHECK(fi_ring_create(FI_RING_MAX_CAPACITY + 1, &r) == FI_EINVAL);
    CHECK(fi_ring_create(5, NULL) == FI_EINVAL);
    size_t asks[] = {1, 2, 3, 8, 9, 1000};
    size_t want[] = {1, 2, 4, 8, 16, 1024};
    for (int i = 0; i < 6; i++) {
        CHECK(fi_ring_create(asks[i], &r) == FI_OK);
        CHECK(fi_ring_capacity(r) == want[i]);
        CHECK(fi_ring_size(r) == 0);
        fi_ring_destroy(r);
    }
}

static void test_empty_ring_times_out(void)
{
    fi_ring *r;
    CHECK(fi_ring_create(4, &r) == FI_OK);
    void *item = ITEM(41);
    CHECK(fi_ring_pop(r, &item, FI_RING_NOWAIT) == FI_ETIMEDOUT);
    CHECK(item == ITEM(41));  /* untouched on failure */
    int64_t t0 = fi_now_ns();
    CHECK(fi_ring_pop(r, &item, t0 + 30 * MS) == FI_ETIMEDOUT);
    CHECK(fi_now_ns() - t0 >= 30 * MS);
    CHECK(fi_ring_pop_some(r, &item, 1) == 0);
    fi_ring_destroy(r);
}

static void test_full_ring_times_out_and_keeps_order(void)
{
    fi_ring *r;
    CHECK(fi_ring_create(8, &r) == FI_OK);
    for (int i = 0; i < 8; i++)
        CHECK(fi_ring_push(r, ITEM(i), FI_RING_NOWAIT) == FI_OK);
    CHECK(fi_ring_size(r) == 8);
    CHECK(fi_ring_push(r, ITEM(99), FI_RING_NOWAIT) == FI_ETIMEDOUT);
    int64_t t0 = fi_now_ns();
    CHECK(fi_ring_push(r, ITEM(99), t0 + 30 * MS) == FI_ETIMEDOUT);
    CHECK(fi_now_ns() - t0 >= 30 * MS);
    void *extra[3] = {ITEM(8), ITEM(9), ITEM(10)};
    CHECK(fi_ring_push_some(r, extra, 3) == 0);
    for (int i = 0; i < 8; i++) {
        void *item = NULL;
        CHECK(fi_ring_pop(r, &item, FI_RING_NOWAIT) == FI_OK);
        CHECK(item == ITEM(i));
    }
    CHECK(fi_ring_size(r) == 0);
    /* wrap around many laps, with the bulk calls */
    size_t next_in = 0, next_out = 0;
    for (int lap = 0; lap < 100; lap++) {
        void *in[5], *out[7];
        for (int k = 0; k < 5; k++)
            in[k] = ITEM(next_in + k);
        next_in += fi_ring_push_some(r, in, 5);
        size_t got = fi_ring_pop_some(r, out, 7);
        for (size_t k = 0; k < got; k++)
            CHECK(out[k] == ITEM(next_out + k));
        next_out += got;
    }
    CHECK(next_in == next_out && next_in == 500);
    fi_ring_destroy(r);
}

static void test_close_drains_then_reports_closed(void)
{
    fi_ring *r;
    CHECK(fi_ring_create(4, &r) == FI_OK);
    CHECK(fi_ring_push(r, ITEM(0), FI_RING_NOWAIT) == FI_OK);
    CHECK(fi_ring_push(r, ITEM(1), FI_RING_NOWAIT) == FI_OK);
    CHECK(!fi_ring_is_closed(r));
    fi_ring_close(r);
    fi_ring_close(r);  /* idempotent */
    CHECK(fi_ring_is_closed(r));
    CHECK(fi_ring_push(r, ITEM(2), FI_RING_FOREVER) == FI_ECLOSED);
    void *item = NULL;
    CHECK(fi_ring_pop(r, &item, FI_RING_FOREVER) == FI_OK && item == ITEM(0));
    CHECK(fi_ring_pop(r, &item, FI_RING_FOREVER) == FI_OK && item == ITEM(1));
    CHECK(fi_ring_pop(r, &item, FI_RING_FOREVER) == FI_ECLOSED);
    fi_ring_destroy(r);
}

/* --- threads ------------------------------------------------------------------------ */
typedef struct {
    fi_ring *ring;
    size_t count;
    int status;
    size_t errors;
    int bulk;
} job;

static void produce(void *p)
{
    job *j = p;
    if (j->bulk) {
        void *buf[13];
        size_t i = 0;
        while (i < j->count) {
            size_t n = j->count - i < 13 ? j->count - i : 13;
            for (size_t k = 0; k < n; k++)
                buf[k] = ITEM(i + k);
            size_t put = fi_ring_push_some(j->ring, buf, n);
            i += put;
            if (put < n && fi_ring_push(j->ring, buf[put], FI_RING_FOREVER) == FI_OK)
                i++;
        }
    } else {
        for (size_t i = 0; i < j->count; i++)
            if (fi_ring_push(j->ring, ITEM(i), FI_RING_FOREVER) != FI_OK)
                j->errors++;
    }
    fi_ring_close(j->ring);  /* end of stream */
}

static void consume(void *p)
{
    job *j = p;
    size_t expect = 0;
    void *item;
    int st;
    while ((st = fi_ring_pop(j->ring, &item, FI_RING_FOREVER)) == FI_OK) {
        if (item != ITEM(expect))
            j->errors++;
        expect++;
    }
    j->status = st;
    j->count = expect;
}

static void run_stress(size_t n, size_t capacity, int bulk)
{
    fi_ring *r;
    CHECK(fi_ring_create(capacity, &r) == FI_OK);
    job pj = {r, n, 0, 0, bulk}, cj = {r, 0, 0, 0, 0};
    fi_thread *pt, *ct;
    int64_t t0 = fi_now_ns();
    CHECK(fi_thread_start(&ct, consume, &cj) == FI_OK);
    CHECK(fi_thread_start(&pt, produce, &pj) == FI_OK);
    CHECK(fi_thread_join(pt) == FI_OK);
    CHECK(fi_thread_join(ct) == FI_OK);
    double secs = (double)(fi_now_ns() - t0) / 1e9;
    CHECK(pj.errors == 0);
    CHECK(cj.errors == 0);
    CHECK(cj.count == n);
    CHECK(cj.status == FI_ECLOSED);
    CHECK(fi_ring_size(r) == 0);
    printf("stress: %zu items, capacity %zu%s: %.1f M items/s\n", n, capacity,
           bulk ? ", bulk producer" : "", (double)n / secs / 1e6);
    fi_ring_destroy(r);
}

static void pop_forever(void *p)
{
    job *j = p;
    void *item;
    j->status = fi_ring_pop(j->ring, &item, FI_RING_FOREVER);
}

static void push_forever(void *p)
{
    job *j = p;
    j->status = fi_ring_push(j->ring, ITEM(7), FI_RING_FOREVER);
}

static void test_close_wakes_blocked_consumer_and_producer(void)
{
    fi_ring *r;
    CHECK(fi_ring_create(2, &r) == FI_OK);
    job j = {r, 0, 12345, 0, 0};
    fi_thread *t;
    CHECK(fi_thread_start(&t, pop_forever, &j) == FI_OK);
    sleep_ms(50);  /* long enough to be parked, past the spin phase */
    CHECK(fi_thread_join_until(t, fi_now_ns() + 20 * MS) == FI_ETIMEDOUT);
    fi_ring_close(r);
    CHECK(fi_thread_join_until(t, fi_now_ns() + 5000 * MS) == FI_OK);
    CHECK(j.status == FI_ECLOSED);
    fi_ring_destroy(r);

    CHECK(fi_ring_create(2, &r) == FI_OK);
    CHECK(fi_ring_push(r, ITEM(0), FI_RING_NOWAIT) == FI_OK);
    CHECK(fi_ring_push(r, ITEM(1), FI_RING_NOWAIT) == FI_OK);
    job k = {r, 0, 12345, 0, 0};
    CHECK(fi_thread_start(&t, push_forever, &k) == FI_OK);
    sleep_ms(50);
    CHECK(fi_thread_join_until(t, fi_now_ns() + 20 * MS) == FI_ETIMEDOUT);
    fi_ring_close(r);
    CHECK(fi_thread_join(t) == FI_OK);
    CHECK(k.status == FI_ECLOSED);
    CHECK(fi_ring_size(r) == 2);  /* the refused item stayed with its owner */
    fi_ring_destroy(r);
}

static void test_blocked_consumer_wakes_on_push(void)
{
    fi_ring *r;
    CHECK(fi_ring_create(2, &r) == FI_OK);
    job j = {r, 0, 12345, 0, 0};
    fi_thread *t;
    CHECK(fi_thread_start(&t, pop_forever, &j) == FI_OK);
    sleep_ms(50);
    CHECK(fi_ring_push(r, ITEM(3), FI_RING_NOWAIT) == FI_OK);
    CHECK(fi_thread_join_until(t, fi_now_ns() + 5000 * MS) == FI_OK);
    CHECK(j.status == FI_OK);
    CHECK(fi_ring_size(r) == 0);
    fi_ring_destroy(r);
}

static void nap(void *p) { sleep_ms(*(int *)p); }

static void test_thread_live_count_and_detach(void)
{
    int64_t before = fi_thread_live_count();
    int ms = 80;
    fi_thread *a, *b;
    CHECK(fi_thread_start(&a, nap, &ms) == FI_OK);
    CHECK(fi_thread_start(&b, nap, &ms) == FI_OK);
    CHECK(fi_thread_live_count() == before + 2);
    CHECK(!fi_thread_done(a));
    fi_thread_detach(b);
    CHECK(fi_thread_join(a) == FI_OK);
    for (int i = 0; i < 500 && fi_thread_live_count() != before; i++)
        sleep_ms(10);
    CHECK(fi_thread_live_count() == before);
    CHECK(fi_thread_start(&a, NULL, NULL) == FI_EINVAL);
}

int main(void)
{
    test_create_rounds_capacity_and_rejects_bad();
    test_empty_ring_times_out();
    test_full_ring_times_out_and_keeps_order();
    test_close_drains_then_reports_closed();
    test_close_wakes_blocked_consumer_and_producer();
    test_blocked_consumer_wakes_on_push();
    test_thread_live_count_and_detach();
    run_stress(10 * 1000 * 1000, 1024, 0);
    run_stress(200 * 1000, 4, 0);       /* tiny ring: constant full/empty parking */
    run_stress(1000 * 1000, 64, 1);
    sleep_ms(20);  /* let the detached thread's handle be freed before exit (ASan) */
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("test_ring: all passed\n");
    return 0;
}
