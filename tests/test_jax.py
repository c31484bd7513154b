"""JAX interop (issue 16): to_jax and a jitted training step over a fastiter iterator.

CPU jax is part of the test extra (``make test`` installs it).
"""

import numpy as np
import pytest

from fastiter import ArrayDataSetIterator, DataSet
from fastiter.interop import to_jax

jax = pytest.importorskip("jax")
jnp = jax.numpy


def _aligned(shape, dtype=np.float32, alignment=64):
    """A C-contiguous array whose buffer starts on an ``alignment``-byte boundary."""
    nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
    raw = np.empty(nbytes + alignment, np.uint8)
    offset = (-raw.ctypes.data) % alignment
    return raw[offset : offset + nbytes].view(dtype).reshape(shape)


def test_to_jax_is_zero_copy_where_jax_allows():
    x = _aligned((8, 4))
    x[:] = np.arange(32, dtype=np.float32).reshape(8, 4)
    out = to_jax(DataSet(x))
    assert out["features"].unsafe_buffer_pointer() == x.ctypes.data  # no copy
    assert out["labels"] is None and out["features_mask"] is None


def test_to_jax_copies_an_unaligned_buffer_with_the_same_values():
    x = _aligned((33,))[1:].reshape(8, 4)  # 4 bytes past a 64-byte boundary
    x[:] = np.arange(32, dtype=np.float32).reshape(8, 4)
    out = to_jax(DataSet(x, np.ones((8, 1), np.float32)))
    np.testing.assert_array_equal(np.asarray(out["features"]), x)
    assert out["labels"].shape == (8, 1)


def test_a_jitted_training_step_over_a_fastiter_iterator():
    rng = np.random.default_rng(0)
    w_true = rng.normal(size=(8, 1)).astype(np.float32)
    x = rng.normal(size=(512, 8)).astype(np.float32)
    y = x @ w_true
    it = ArrayDataSetIterator(x, y, batch_size=64, shuffle=True, seed=3, drop_last=True)
    traces = []

    @jax.jit
    def step(w, batch):
        traces.append(1)  # runs only while tracing

        def loss(w):
            return jnp.mean((batch["features"] @ w - batch["labels"]) ** 2)

        value, grad = jax.value_and_grad(loss)(w)
        return w - 0.1 * grad, value

    w = jnp.zeros((8, 1), jnp.float32)
    losses = []
    for _ in range(5):
        epoch = []
        for ds in it:  # a new shuffle each epoch
            w, value = step(w, {k: v for k, v in to_jax(ds).items() if v is not None})
            epoch.append(float(value))
        losses.append(np.mean(epoch))
    assert len(traces) == 1  # one shape, one compilation
    assert losses[-1] < 0.05 * losses[0]
    np.testing.assert_allclose(np.asarray(w), w_true, atol=0.1)
