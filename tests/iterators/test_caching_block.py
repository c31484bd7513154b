"""CachingDataSetIterator and the DummyBlock iterators."""

import doctest

import numpy as np
import pytest

from fastiter import (
    ArrayDataSetIterator,
    CachingDataSetIterator,
    DataSet,
    DummyBlockDataSetIterator,
    DummyBlockMultiDataSetIterator,
    InMemoryDataSetCache,
    MultiDataSetIteratorAdapter,
)
from fastiter.iterators import block, caching


class CountingBase(ArrayDataSetIterator):
    """Counts the batches it produces, to see when the cache is used."""

    produced = 0

    def _next_batch(self, num):
        type(self).produced += 1
        return super()._next_batch(num)


def base(n=5, batch=2):
    CountingBase.produced = 0
    x = np.arange(n, dtype=np.float64)[:, None]
    return CountingBase(x, x, batch)


def vals(batches):
    return [b.features[:, 0].tolist() for b in batches]


@pytest.mark.parametrize("module", [block, caching])
def test_doctests(module):
    res = doctest.testmod(module, extraglobs={"np": np, "DataSet": DataSet})
    assert res.attempted > 0 and res.failed == 0


def test_cache_filled_once_then_replayed():
    it = CachingDataSetIterator(base())
    first = vals(it)
    assert CountingBase.produced == 3
    for _ in range(3):
        assert vals(it) == first == [[0, 1], [2, 3], [4]]
    assert CountingBase.produced == 3  # later passes never touch the base


def test_pre_processor_on_every_pass_never_on_the_cache():
    class AddTen:
        calls = 0

        def pre_process(self, ds):
            AddTen.calls += 1
            ds.features += 10

    it = CachingDataSetIterator(base())
    it.pre_processor = AddTen()
    assert vals(it) == vals(it) == [[10, 11], [12, 13], [14]]
    assert AddTen.calls == 6


def test_shared_cache_and_namespaces():
    cache = InMemoryDataSetCache()
    a = CachingDataSetIterator(base(), cache, "a")
    list(a)
    assert cache.is_complete("a") and not cache.is_complete("b")
    b = CachingDataSetIterator(base(4, 4), cache, "a")  # replays a's batches
    assert vals(b) == [[0, 1], [2, 3], [4]]
    assert CountingBase.produced == 0


def test_interrupted_fill_is_not_complete():
    cache = InMemoryDataSetCache()
    it = CachingDataSetIterator(base(), cache)
    it.next()
    it.reset()
    assert not cache.is_complete("default")
    assert vals(it) == [[0, 1], [2, 3], [4]]
    assert cache.is_complete("default")


def test_caching_flags_and_validation():
    assert CachingDataSetIterator(base()).async_supported()
    assert not CachingDataSetIterator(base(), allow_prefetching=False).async_supported()
    assert CachingDataSetIterator(base()).reset_supported()
    with pytest.raises(TypeError, match="cache must be"):
        CachingDataSetIterator(base(), cache=3)
    with pytest.raises(ValueError, match="namespace"):
        CachingDataSetIterator(base(), namespace="")


def test_caching_resume_in_fill_and_replay(resumes):
    resumes(lambda: CachingDataSetIterator(base(9, 2)), 2, epochs=3)  # during the fill
    resumes(lambda: CachingDataSetIterator(base(9, 2)), 7, epochs=3)  # during a replay


def test_dummy_block():
    it = DummyBlockDataSetIterator(base(5, 1))
    blocks = []
    while it.has_anything():
        blocks.append(vals(it.next_block(2)))
    assert blocks == [[[0], [1]], [[2], [3]], [[4]]]
    assert it.next_block(3) == []
    it.reset()
    assert len(list(it)) == 5
    with pytest.raises(ValueError, match="max_n must be >= 1"):
        it.next_block(0)
    with pytest.raises(TypeError, match="base must be a DataSetIterator"):
        DummyBlockDataSetIterator(MultiDataSetIteratorAdapter(base()))
    multi = DummyBlockMultiDataSetIterator(MultiDataSetIteratorAdapter(base(5, 2)))
    assert [len(m) for m in multi.next_block(5)] == [2, 2, 1]


def test_dummy_block_resume():
    import json

    it = DummyBlockDataSetIterator(base(7, 1))
    it.next_block(3)
    state = json.loads(json.dumps(it.state_dict()))
    fresh = DummyBlockDataSetIterator(base(7, 1))
    fresh.load_state_dict(state)
    assert vals(fresh.next_block(10)) == [[3], [4], [5], [6]]


def test_folder_cache_outlives_the_iterator(tmp_path):
    from fastiter import InFileDataSetCache

    first = CachingDataSetIterator(base(5, 2), tmp_path / "cache")
    expected = vals(first)
    assert (tmp_path / "cache" / "default.complete").exists()
    # a new process's iterator replays the folder without touching its base
    again = CachingDataSetIterator(base(5, 2), InFileDataSetCache(tmp_path / "cache"))
    assert vals(again) == expected and CountingBase.produced == 0
    cache = InFileDataSetCache(tmp_path / "cache")
    cache.set_complete("default", False)
    assert not cache.is_complete("default")


def test_folder_cache_resume_across_processes(tmp_path, resumes):
    resumes(lambda: CachingDataSetIterator(base(9, 2), tmp_path / "c"), 7, epochs=3)
