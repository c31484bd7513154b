"""The producers' block cache: numpy's allocator on producer threads (csrc/blockcache.c)."""

from __future__ import annotations

import gc
import os
import signal
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastiter import AsyncDataSetIterator, DataSet, DataSetIterator, prefetch
from fastiter._core._alloc import BlockCache
from fastiter.iterators._indexed import IndexedBatchesMixin
from fastiter.iterators._pipeline import CACHE_ENV, CACHE_MIN_BYTES, END, Failure, Pipeline

# numpy's own: the handler of an array, or with no argument the calling context's
_get_handler_name = getattr(np, "_core", np.core).multiarray.get_handler_name
CACHED = "fastiter_blockcache"


def array_handler(a: np.ndarray) -> str:
    return _get_handler_name(a)


class FreshBase(IndexedBatchesMixin, DataSetIterator):
    """Batch i is a new (rows, cols) array full of i: every batch is a fresh large block."""

    def __init__(self, n=12, rows=64, cols=512):
        super().__init__()
        self.n, self.rows, self.cols, self._batch_size = n, rows, cols, rows

    def num_batches(self):
        return self.n

    def _batch_at(self, i):
        return DataSet(
            np.full((self.rows, self.cols), i, np.float32), np.full((self.rows, 2), -i, np.float32)
        )


def in_thread(fn):
    out = []
    t = threading.Thread(target=lambda: out.append(fn()))
    t.start()
    t.join()
    return out[0]


def test_installed_only_in_the_calling_threads_context():
    cache = BlockCache(min_bytes=1024)

    def work():
        prev = cache.install()
        try:
            return _get_handler_name(), np.ones(4096)
        finally:
            BlockCache.restore(prev)

    name, a = in_thread(work)
    assert name == CACHED and array_handler(a) == CACHED
    assert _get_handler_name() == "default_allocator"
    assert array_handler(np.ones(4096)) == "default_allocator"


def test_freed_block_is_reused_and_calloc_zeroes_it():
    cache = BlockCache(min_bytes=1024)
    prev = cache.install()
    try:
        a = np.full(4096, 7.0)
        addr = a.ctypes.data
        del a
        z = np.zeros(4096)  # calloc through the cache: the dirty block, zeroed
        assert z.ctypes.data == addr and not z.any()
        small = np.ones(8)  # under min_bytes: malloc, not counted
        del small
    finally:
        BlockCache.restore(prev)
    assert cache.stats()["hits"] == 1 and cache.stats()["misses"] == 1


def test_arrays_outlive_the_cache_object_and_its_close():
    cache = BlockCache(min_bytes=1024)
    prev = cache.install()
    try:
        keep = [np.full(2048, float(i)) for i in range(5)]
        del keep[0]
    finally:
        BlockCache.restore(prev)
    cache.set_limits(0, 0)  # what close() does
    assert cache.stats()["cached_blocks"] == 0
    del cache
    gc.collect()
    assert [float(a[0]) for a in keep] == [1.0, 2.0, 3.0, 4.0]
    keep[0].resize(4096, refcheck=False)  # realloc through the capsule's cache
    assert keep[0][0] == 1.0 and keep[0][2047] == 1.0
    del keep  # frees into a cache whose limits are 0: straight to the system


def test_bad_limits_and_restore():
    with pytest.raises(ValueError, match="max_blocks must be <= 4096, got 5000"):
        BlockCache(max_blocks=5000)
    with pytest.raises(TypeError, match="previous must be the numpy memory handler"):
        BlockCache.restore(None)
    assert _get_handler_name() == "default_allocator"


def test_a_failing_install_reaches_the_consumer_instead_of_hanging():
    class Broken:
        def install(self):
            raise MemoryError("no context for the handler")

    p = Pipeline([lambda: iter(range(3))], 2, cache=Broken())
    item = p.pop()
    assert type(item) is Failure and isinstance(item.exc, MemoryError)
    assert p.pop() is END
    assert p.stop()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40_000), st.booleans()), min_size=1, max_size=60))
def test_contents_survive_any_alloc_free_sequence(ops):
    """Random sizes around min_bytes, freed in random order: every live array keeps its
    own values (no block is handed out twice)."""
    cache = BlockCache(min_bytes=4096, max_blocks=8, max_bytes=1 << 20)
    prev = cache.install()
    live = []
    try:
        for k, (size, free_one) in enumerate(ops):
            live.append((k, np.full(size, k, np.int32)))
            if free_one and live:
                live.pop(len(live) // 2)
            for j, a in live:
                assert a.size == 0 or (a[0] == j and a[-1] == j)
    finally:
        BlockCache.restore(prev)
    for j, a in live:
        assert (a == j).all()


# --- in the async iterators -----------------------------------------------------------
@pytest.mark.parametrize("workers", [1, 2])
def test_producer_batches_come_from_the_cache_and_are_right(workers):
    with AsyncDataSetIterator(FreshBase(), 4, workers=workers) as it:
        for _ in range(2):  # the cache is kept across epochs
            got = [
                (float(ds.features[0, 0]), float(ds.labels[-1, -1]), array_handler(ds.features))
                for ds in it
            ]
            assert got == [(float(i), float(-i), CACHED) for i in range(12)]
        stats = it._runner.cache.stats()
        assert stats["hits"] >= 12  # the second epoch at least reuses the first's blocks
    assert it._runner.cache.stats()["cached_blocks"] == 0  # close hands them back


def test_reset_after_close_caches_again_and_turning_it_off_empties_it(monkeypatch):
    it = AsyncDataSetIterator(FreshBase(), 4)
    list(it)
    it.close()
    cache = it._runner.cache
    assert cache.stats()["cached_blocks"] == 0
    it.reset()
    list(it)
    assert cache.stats()["cached_blocks"] > 0  # re-armed by the new epoch
    monkeypatch.setenv(CACHE_ENV, "Off")
    it.reset()
    assert {array_handler(ds.features) for ds in it} == {"default_allocator"}
    assert cache.stats()["cached_blocks"] == 0 and it._runner.cache is None
    it.close()


def test_batches_kept_by_the_consumer_stay_intact():
    it = AsyncDataSetIterator(FreshBase(n=30), 2, workers=2)
    kept = list(it)
    it.close()
    del it
    gc.collect()
    assert [float(ds.features.mean()) for ds in kept] == [float(i) for i in range(30)]


def test_small_arrays_pass_through_to_malloc():
    assert CACHE_MIN_BYTES > 64 * 2 * 4
    with AsyncDataSetIterator(FreshBase(n=3, cols=2), 2) as it:
        assert {array_handler(ds.features) for ds in it} == {CACHED}
        stats = it._runner.cache.stats()
        assert stats["hits"] + stats["misses"] == 0  # none was large enough to be cached


def test_turned_off_by_the_environment(monkeypatch):
    monkeypatch.setenv(CACHE_ENV, "0")
    with AsyncDataSetIterator(FreshBase(n=3), 2) as it:
        assert {array_handler(ds.features) for ds in it} == {"default_allocator"}
        assert it._runner.cache is None


def test_prefetch_uses_it_too():
    p = prefetch((np.full(20_000, i) for i in range(4)), 2)
    got = [(int(a[0]), array_handler(a)) for a in p]
    assert got == [(i, CACHED) for i in range(4)]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_forked_child_can_free_and_allocate_through_the_cache():
    """The child frees arrays from the parent's cache and allocates through it.  (A lock
    held across fork() is covered in C, by test_blockcache.c: from Python every cache
    call holds the GIL, which the forking thread has.)"""
    it = AsyncDataSetIterator(FreshBase(n=10_000), 8, workers=2)
    first = next(iter(it))
    pid = os.fork()
    if pid == 0:
        code = 3
        signal.alarm(10)  # a deadlock ends the child with SIGALRM, not a hung test
        try:
            del first  # frees a cached block in the child
            cache = it._runner.cache
            prev = cache.install()
            a = np.full(50_000, 5.0)
            BlockCache.restore(prev)
            code = 0 if a.sum() == 250_000.0 and array_handler(a) == CACHED else 4
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    it.close()
    assert os.waitstatus_to_exitcode(status) == 0
