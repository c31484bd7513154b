/*
 * The smallest program that links fastiter's C library from outside the source tree:
 * a one-hot batch built on the thread pool, a shuffled gather, and one item through a
 * ring.  Built three ways by tests/test_packaging.py and shown in docs/c-api.md:
 * pkg-config, CMake find_package(fastiter), and the sources compiled in.
 */
#include <fastiter.h>

#include <stdint.h>
#include <stdio.h>

int main(void)
{
    enum { N = 5000, C = 7 };
    static int64_t labels[N];
    static float onehot[N * C];
    int64_t bad = -1;
    for (int64_t i = 0; i < N; i++)
        labels[i] = (3 * i + 1) % C;
    if (fi_one_hot(labels, FI_INT64, N, 1, C, onehot, FI_FLOAT32, &bad) != FI_OK)
        return 1;
    for (int64_t i = 0; i < N; i++)
        for (int64_t c = 0; c < C; c++)
            if (onehot[i * C + c] != (c == labels[i] ? 1.0f : 0.0f))
                return 2;

    const int64_t rows[3] = {4, 0, 2};
    int64_t picked[3];
    if (fi_gather(labels, N, sizeof labels[0], sizeof labels[0], rows, 3, picked, &bad)
            != FI_OK || picked[0] != labels[4] || picked[1] != labels[0])
        return 3;

    fi_ring *ring;
    void *item = NULL;
    if (fi_ring_create(4, &ring) != FI_OK)
        return 4;
    int ok = fi_ring_push(ring, onehot, FI_RING_FOREVER) == FI_OK
             && fi_ring_pop(ring, &item, FI_RING_FOREVER) == FI_OK && item == onehot;
    fi_ring_destroy(ring);
    if (!ok)
        return 5;

    printf("fastiter C API %d.%d linked: one-hot %dx%d, gather, ring ok (%d threads)\n",
           FI_VERSION_MAJOR, FI_VERSION_MINOR, N, C, fi_get_num_threads());
    return 0;
}
