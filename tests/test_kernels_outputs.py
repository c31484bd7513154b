"""Allocating kernel calls take large outputs from a block cache (fastiter/kernels/_outputs.py).

The risk of recycling is stale data: a recycled block still holds the previous output,
so every test here fills the previous output with garbage before dropping it, then
compares the next allocating call against a numpy reference."""

from __future__ import annotations

import gc
import os

import numpy as np
import pytest

from fastiter import kernels
from fastiter._core._alloc import BlockCache
from fastiter.kernels import _outputs

BIG = 1 << 20  # the smallest output the cache takes


def _hits() -> int:
    return kernels.output_cache_stats()["hits"]


@pytest.fixture(autouse=True)
def fresh_cache():
    kernels.release_output_cache()
    yield
    kernels.release_output_cache()


def _eye(labels, c, dtype=np.float32):
    return np.eye(c, dtype=dtype)[labels]


@pytest.mark.parametrize("c", [10, 100, 1000])
@pytest.mark.parametrize("dtype", [np.float32, np.uint8, np.float64])
def test_one_hot_allocating_twice_reuses_the_block_and_is_exact(c, dtype):
    rng = np.random.default_rng(c)
    n = 2 * BIG // (c * np.dtype(dtype).itemsize) + 1
    first = kernels.one_hot(rng.integers(0, c, n), c, dtype=dtype)
    first[...] = 7  # stale data the next call must overwrite in full
    del first
    gc.collect()
    hits = _hits()
    labels = rng.integers(0, c, n)
    res = kernels.one_hot(labels, c, dtype=dtype)
    assert _hits() == hits + 1  # the recycled block, not fresh pages
    np.testing.assert_array_equal(res, _eye(labels, c, dtype))


def test_one_hot_sparse_first_call_gets_zero_pages_and_is_exact():
    labels = np.random.default_rng(2).integers(0, 500, 3000)
    hits = _hits()
    res = kernels.one_hot(labels, 500)  # 6 MB of mostly zeros, nothing to recycle
    assert _hits() == hits
    np.testing.assert_array_equal(res, _eye(labels, 500))


def test_one_hot_bad_label_on_a_recycled_block_still_raises():
    n = BIG // 400 + 1  # just over BIG bytes of float32 with 100 classes
    prev = kernels.one_hot(np.zeros(n, np.int64), 100)
    del prev
    labels = np.zeros(n, np.int64)
    labels[-1] = 100
    with pytest.raises(ValueError, match=rf"labels\[{n - 1}\] = 100 is outside"):
        kernels.one_hot(labels, 100)


@pytest.mark.parametrize("mode", ["align_start", "align_end"])
@pytest.mark.parametrize("flat", [False, True])
def test_pad_allocating_twice_reuses_blocks_and_is_exact(mode, flat):
    rng = np.random.default_rng(4)
    seqs = [
        rng.standard_normal((int(t), 8)).astype(np.float32) + 2 for t in rng.integers(1, 201, 2000)
    ]
    arg = seqs
    if flat:
        offs = np.concatenate([[0], np.cumsum([len(s) for s in seqs])])
        arg = (np.concatenate(seqs), offs)
    x, m = kernels.pad_sequences(arg, mode=mode)
    x[...], m[...] = 7, 7
    del x, m
    hits = _hits()
    x, m = kernels.pad_sequences(arg, mode=mode)
    assert _hits() == hits + 2  # batch and mask
    T = x.shape[2]
    ref_x, ref_m = np.zeros((len(seqs), 8, T), np.float32), np.zeros((len(seqs), T), np.float32)
    for i, s in enumerate(seqs):
        st = 0 if mode == "align_start" else T - len(s)
        ref_x[i, :, st : st + len(s)] = s.T
        ref_m[i, st : st + len(s)] = 1
    np.testing.assert_array_equal(x, ref_x)
    np.testing.assert_array_equal(m, ref_m)


@pytest.mark.parametrize("fn", [kernels.random_uniform, kernels.random_normal])
def test_random_allocating_on_a_recycled_block_equals_out(fn):
    shape = (BIG // 4 * 3,)
    a = fn(shape, 11)
    a[...] = 7
    del a
    hits = _hits()
    b = fn(shape, 11)
    assert _hits() == hits + 1
    np.testing.assert_array_equal(b, fn(shape, 11, out=np.empty(shape, np.float32)))


def test_small_outputs_bypass_the_cache():
    before = kernels.output_cache_stats()
    kernels.one_hot(np.arange(10), 10)
    kernels.one_hot(np.arange(10), 100)
    assert kernels.output_cache_stats() == before


def test_release_output_cache_frees_the_blocks_and_arrays_alive_stay_valid():
    keep = kernels.random_uniform((BIG,), 3)
    drop = kernels.random_uniform((BIG,), 4)
    del drop
    assert kernels.output_cache_stats()["cached_blocks"] == 1
    kernels.release_output_cache()
    assert kernels.output_cache_stats()["cached_blocks"] == 0
    again = kernels.random_uniform((BIG,), 3)
    np.testing.assert_array_equal(keep, again)
    del keep, again  # back into the cache, whose limits are restored
    assert kernels.output_cache_stats()["cached_blocks"] == 2


def test_an_installed_handler_is_respected():
    """Inside an AsyncDataSetIterator worker its own cache serves the outputs."""
    own = BlockCache(min_bytes=1024)
    labels = np.zeros(BIG // 400 + 1, np.int64)
    prev = own.install()
    try:
        res = kernels.one_hot(labels, 100)
        res2, zeroed = _outputs.zeros_or_recycled((BIG,), np.float32)
    finally:
        BlockCache.restore(prev)
    assert zeroed and not res2.any()
    del res, res2
    assert own.stats()["cached_blocks"] == 2
    assert kernels.output_cache_stats()["cached_blocks"] == 0


def test_zeros_or_recycled_outside_the_kernel_gives_zeros_from_numpy_afterwards():
    """The recycling calloc is armed only inside zeros_or_recycled: a later np.zeros, in
    the same thread, is zero even when the cache holds a dirty block."""
    a, _ = _outputs.zeros_or_recycled((BIG,), np.float32)
    a[...] = 7
    del a
    assert not np.zeros(BIG, np.float32).any()
    b, zeroed = _outputs.zeros_or_recycled((BIG,), np.float32)
    assert not zeroed and b[0] == 7  # recycled, as left: the caller writes it all


def test_a_new_output_size_replaces_old_ones_in_a_full_cache():
    """After outputs of other sizes filled the cache, a new size must still be recycled
    (the benchmark sequence one-hot, pad, random once kept missing at 256 MB)."""
    olds = [kernels.random_uniform((BIG // 4 * (2 + i),), i) for i in range(_outputs.MAX_BLOCKS)]
    del olds
    assert kernels.output_cache_stats()["cached_blocks"] == _outputs.MAX_BLOCKS
    new = kernels.random_uniform((BIG * 3,), 9)
    del new
    hits = _hits()
    again = kernels.random_uniform((BIG * 3,), 9)
    assert _hits() == hits + 1
    np.testing.assert_array_equal(
        again, kernels.random_uniform((BIG * 3,), 9, out=np.empty(BIG * 3, np.float32))
    )


@pytest.mark.parametrize("raw,kept", [("0", False), ("off", False), ("1", True), ("", True)])
def test_the_environment_turns_the_output_cache_off(raw, kept):
    """FASTITER_OUTPUT_CACHE=0: nothing stays mapped after an allocating call is dropped,
    and the result is still exact."""
    import subprocess
    import sys

    code = (
        "import numpy as np; from fastiter import kernels; "
        "labels = np.arange(300_000) % 10; "
        "a = kernels.one_hot(labels, 10); "
        "assert (a.argmax(1) == labels).all() and a.sum() == labels.size; del a; "
        "print(kernels.output_cache_stats()['cached_blocks'])"
    )
    res = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "FASTITER_OUTPUT_CACHE": raw},
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert (int(res.stdout) > 0) == kept
