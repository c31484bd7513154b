/*
 * The smallest C pipeline around the ring: one native thread produces integers, the
 * main thread consumes them, and the program prints the hand-off rate.
 *
 *   cc -std=c11 -O2 -pthread -I$(python -c 'import fastiter; print(fastiter.get_include())') \
 *      ring_handoff.c <get_source_dir()>/ring.c <get_source_dir()>/ring_wait.c \
 *      <get_source_dir()>/ring_thread.c -o ring_handoff
 *   ./ring_handoff [items] [single|bulk]
 *
 * "bulk" moves up to 1024 items per index update (fi_ring_push_some / fi_ring_pop_some),
 * the way a producer with many small items should use the ring.
 */
#include <fastiter.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 1024

typedef struct {
    fi_ring *ring;
    size_t n;
    int bulk;
} producer_args;

static void produce(void *p)
{
    producer_args *a = p;
    if (!a->bulk) {
        for (size_t i = 0; i < a->n; i++)
            fi_ring_push(a->ring, (void *)(uintptr_t)(i + 1), FI_RING_FOREVER);
    } else {
        void *buf[CHUNK];
        size_t i = 0;
        while (i < a->n) {
            size_t k = a->n - i < CHUNK ? a->n - i : CHUNK;
            for (size_t j = 0; j < k; j++)
                buf[j] = (void *)(uintptr_t)(i + j + 1);
            size_t put = fi_ring_push_some(a->ring, buf, k);
            if (put == 0 && fi_ring_push(a->ring, buf[0], FI_RING_FOREVER) == FI_OK)
                put = 1;  /* full: wait (spin, then park) for room */
            i += put;
        }
    }
    fi_ring_close(a->ring);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 10000000;
    int bulk = argc > 2 && strcmp(argv[2], "bulk") == 0;
    fi_ring *ring;
    if (fi_ring_create(65536, &ring) != FI_OK)
        return 2;
    producer_args args = {ring, n, bulk};
    fi_thread *thread;
    int64_t t0 = fi_now_ns();
    if (fi_thread_start(&thread, produce, &args) != FI_OK)
        return 2;
    size_t got = 0, expect = 1;
    int ordered = 1;
    void *items[CHUNK];
    for (;;) {
        size_t k = bulk ? fi_ring_pop_some(ring, items, CHUNK) : 0;
        if (k == 0) {
            if (fi_ring_pop(ring, items, FI_RING_FOREVER) != FI_OK)
                break;  /* closed and drained */
            k = 1;
        }
        for (size_t j = 0; j < k; j++)
            ordered &= (uintptr_t)items[j] == expect++;
        got += k;
    }
    double secs = (double)(fi_now_ns() - t0) / 1e9;
    fi_thread_join(thread);
    fi_ring_destroy(ring);
    printf("%s: %zu items in %.4f s: %.1f M items/s%s\n", bulk ? "bulk" : "single", got,
           secs, (double)got / secs / 1e6, ordered && got == n ? "" : " (ORDER ERROR)");
    return ordered && got == n ? 0 : 1;
}
