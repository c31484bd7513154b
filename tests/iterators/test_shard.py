import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastiter import ArrayDataSetIterator
from fastiter.errors import UnsupportedOperationError
from fastiter.iterators.shard import shard_indices


@given(n=st.integers(0, 50), world=st.integers(1, 7))
def test_shards_partition_the_batches(n, world):
    seen = [i for r in range(world) for i in shard_indices(n, r, world)]
    assert sorted(seen) == list(range(n))
    sizes = [len(shard_indices(n, r, world)) for r in range(world)]
    assert max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize("shuffle", [False, True])
def test_sharded_iterators_cover_every_example_once(shuffle):
    x = np.arange(23.0)[:, None]
    base = ArrayDataSetIterator(x, batch_size=3, shuffle=shuffle, seed=7)
    got = []
    for rank in range(3):
        for ds in ArrayDataSetIterator(x, batch_size=3, shuffle=shuffle, seed=7).shard(rank, 3):
            got.extend(ds.features[:, 0].tolist())
    assert sorted(got) == x[:, 0].tolist()
    # rank r's batches are exactly base batches r, r+3, ...
    whole = [ds.features[:, 0].tolist() for ds in base]
    r1 = [ds.features[:, 0].tolist() for ds in base.shard(1, 3)]
    assert r1 == whole[1::3]


def test_shard_reset_follows_the_base_epoch():
    x = np.arange(12.0)[:, None]
    sh = ArrayDataSetIterator(x, batch_size=2, shuffle=True, seed=3).shard(0, 2)
    e0 = [ds.features[:, 0].tolist() for ds in sh]
    e1 = [ds.features[:, 0].tolist() for ds in sh]
    ref = ArrayDataSetIterator(x, batch_size=2, shuffle=True, seed=3)
    ref.reset()
    assert e1 == [ds.features[:, 0].tolist() for ds in ref][0::2]
    assert e0 != e1


@pytest.mark.parametrize(
    "rank,world,err", [(2, 2, ValueError), (-1, 2, ValueError), (0, 0, ValueError)]
)
def test_shard_rejects_bad_rank(rank, world, err):
    with pytest.raises(err):
        ArrayDataSetIterator(np.ones((4, 1)), batch_size=2).shard(rank, world)


def test_shard_needs_random_access():
    from fastiter.iterators.base import DataSetIterator

    class Stream(DataSetIterator):
        def has_next(self):
            return False

        def _next_batch(self, num):
            raise AssertionError

    with pytest.raises(UnsupportedOperationError, match="indexable"):
        Stream().shard(0, 2)


def test_for_loop_after_load_state_dict_continues_the_restored_epoch():
    x = np.arange(10.0)[:, None]
    it = ArrayDataSetIterator(x, batch_size=2, shuffle=True, seed=5)
    it.next(), it.next()
    state = it.state_dict()
    rest = []
    while it.has_next():
        rest.append(it.next().features[:, 0].tolist())
    fresh = ArrayDataSetIterator(x, batch_size=2, shuffle=True, seed=5)
    fresh.next()
    fresh.load_state_dict(state)
    assert [ds.features[:, 0].tolist() for ds in fresh] == rest
    # the next loop is a new epoch again
    assert len([ds for ds in fresh]) == 5
