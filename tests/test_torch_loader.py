"""fastiter as a drop-in PyTorch loader (issue 16), used the way a PyTorch user would."""

import functools
import json

import numpy as np
import pytest

import fastiter
from fastiter import ArrayDataSetIterator, DataSet

torch = pytest.importorskip("torch")
DataLoader = torch.utils.data.DataLoader

N = 48
X = np.arange(N, dtype=np.float32)[:, None] * np.ones((1, 3), np.float32)
Y = np.eye(4, dtype=np.float32)[np.arange(N) % 4]


def shuffled(batch_size=4, seed=11):
    return ArrayDataSetIterator(X, Y, batch_size=batch_size, shuffle=True, seed=seed)


def ids(loader):
    return [int(v) for b in loader for v in b["features"][..., 0].reshape(-1).tolist()]


# --- a new shuffle every epoch, set_epoch ---------------------------------------------
@pytest.mark.parametrize("workers", [0, 2])
def test_two_epochs_give_two_different_complete_permutations(workers):
    from fastiter.torch import IterableDataset

    loader = DataLoader(IterableDataset(shuffled()), batch_size=None, num_workers=workers)
    first, second = ids(loader), ids(loader)
    assert sorted(first) == sorted(second) == list(range(N))
    assert first != second


@pytest.mark.parametrize("workers", [0, 2])
def test_the_epoch_order_is_the_base_iterators_epoch_order(workers):
    from fastiter.torch import IterableDataset

    ds = IterableDataset(shuffled())
    loader = DataLoader(ds, batch_size=None, num_workers=workers)
    got = [sorted(ids(loader)) == list(range(N)) for _ in range(3)]
    ds.set_epoch(5)
    epoch5 = ids(loader)
    base = shuffled()
    for _ in range(5):
        base.reset()
    expected = [int(v) for b in base for v in b.features[:, 0]]
    if workers == 0:
        assert epoch5 == expected
    else:  # worker w takes every 2nd batch: the same batches, interleaved by the loader
        assert sorted(epoch5) == sorted(expected) and epoch5[:4] == expected[:4]
    assert all(got)


def test_set_epoch_makes_ranks_agree():
    from fastiter.torch import IterableDataset

    def rank(r, epochs_before):
        ds = IterableDataset(shuffled(), rank=r, world_size=2)
        loader = DataLoader(ds, batch_size=None)
        for _ in range(epochs_before):
            ids(loader)
        ds.set_epoch(3)
        return ids(loader)

    a, b = rank(0, 0), rank(1, 2)  # rank 1 ran two extra loops; set_epoch aligns them
    assert sorted(a + b) == list(range(N))


def test_changing_num_workers_without_set_epoch_refuses():
    from fastiter.torch import IterableDataset

    ds = IterableDataset(shuffled())
    ids(DataLoader(ds, batch_size=None, num_workers=1))
    loader = DataLoader(ds, batch_size=None, num_workers=2)
    run = iter(loader)
    with pytest.raises(RuntimeError, match="num_workers changed"):
        ids(run)
    run._shutdown_workers()  # what garbage collection of the failed run does
    ds.set_epoch(1)
    assert sorted(ids(DataLoader(ds, batch_size=None, num_workers=2))) == list(range(N))


def test_an_async_base_reshuffles_and_resumes():
    from fastiter import AsyncDataSetIterator
    from fastiter.torch import IterableDataset

    with AsyncDataSetIterator(shuffled(), queue_size=4) as base:
        ds = IterableDataset(base)
        loader = DataLoader(ds, batch_size=None)
        first, second = ids(loader), ids(loader)
        assert sorted(first) == sorted(second) == list(range(N)) and first != second
        run = iter(ds)
        head = [ids([next(run)]) for _ in range(3)]
        state = ds.state_dict()
    epoch2 = shuffled()
    epoch2.reset(), epoch2.reset()
    expected = [int(v) for b in epoch2 for v in b.features[:, 0]]
    with AsyncDataSetIterator(shuffled(seed=99), queue_size=4) as other:
        resumed = IterableDataset(other)
        resumed.load_state_dict(state)
        assert sum(head, []) + ids(DataLoader(resumed, batch_size=None)) == expected


# --- len ------------------------------------------------------------------------------
@pytest.mark.parametrize("world, workers", [(1, 0), (1, 2), (3, 2), (4, 1)])
def test_len_is_per_rank_and_per_worker(world, workers):
    from fastiter.torch import IterableDataset

    it = ArrayDataSetIterator(X, Y, batch_size=5)  # 10 batches
    total = 0
    for r in range(world):
        ds = IterableDataset(it, rank=r, world_size=world)
        loader = DataLoader(ds, batch_size=None, num_workers=workers)
        got = sum(1 for _ in loader)
        assert len(loader) == len(ds) == got
        total += got
    assert total == 10


def test_len_inside_a_worker_counts_that_workers_batches(monkeypatch):
    from fastiter.torch import IterableDataset

    class Info:
        num_workers, id, seed = 3, 1, 0

    ds = IterableDataset(ArrayDataSetIterator(X, Y, batch_size=5), rank=0, world_size=2)
    monkeypatch.setattr(torch.utils.data, "get_worker_info", lambda: Info())
    assert len(ds) == len(list(iter(ds))) == 2  # rank 0 owns batches 0,2,4,6,8: 2 and 8


# --- the default batch_size works: no None in the batch dicts -------------------------
def test_default_batch_size_collates_batches_with_absent_masks():
    from fastiter.torch import IterableDataset

    loader = DataLoader(IterableDataset(ArrayDataSetIterator(X, Y, batch_size=4)))
    batches = list(loader)
    assert len(batches) == 12 and set(batches[0]) == {"features", "labels"}
    assert batches[0]["features"].shape == (1, 4, 3)


def test_sequences_with_masks_and_multidatasets_collate():
    from fastiter import MultiDataSet, SingletonMultiDataSetIterator
    from fastiter.torch import IterableDataset

    seq = np.ones((6, 2, 5), np.float32)
    mask = np.tri(6, 5, 0, np.float32)
    it = ArrayDataSetIterator(seq, seq, batch_size=3, features_mask=mask)
    b = next(iter(DataLoader(IterableDataset(it), batch_size=2)))
    assert set(b) == {"features", "labels", "features_mask"}
    assert b["features_mask"].shape == (2, 3, 5)
    mds = MultiDataSet(
        [np.ones((2, 3)), seq[:2]], [np.ones((2, 1))], features_masks=[None, mask[:2]]
    )
    b = next(iter(DataLoader(IterableDataset(SingletonMultiDataSetIterator(mds)), batch_size=1)))
    assert set(b["features_masks"]) == {"1"} and len(b["features"]) == 2


# --- map-style ------------------------------------------------------------------------
def test_plain_dataloader_over_a_map_style_dataset():
    from fastiter.torch import Dataset

    ds = Dataset(DataSet(X, Y))
    assert len(ds) == N
    loader = DataLoader(ds, batch_size=5, shuffle=True, generator=torch.Generator().manual_seed(0))
    seen = ids(loader)
    assert sorted(seen) == list(range(N))


@pytest.mark.parametrize("workers", [0, 2])
def test_map_style_with_samplers_and_subset(workers):
    from fastiter.torch import Dataset, collate_fn

    ds = Dataset(DataSet(X, Y))
    g = torch.Generator().manual_seed(1)
    loader = DataLoader(
        ds,
        sampler=torch.utils.data.RandomSampler(ds, generator=g),
        batch_size=8,
        collate_fn=collate_fn,
        num_workers=workers,
    )
    batches = list(loader)
    got = [int(v) for b in batches for v in b["features"][:, 0]]
    assert sorted(got) == list(range(N))
    for b in batches:  # every row keeps its own label
        np.testing.assert_array_equal(b["labels"].numpy(), Y[b["features"][:, 0].long()])
    parts = []
    for rank in range(3):
        s = torch.utils.data.DistributedSampler(ds, num_replicas=3, rank=rank, seed=4)
        parts += ids(
            DataLoader(ds, sampler=s, batch_size=4, collate_fn=collate_fn, num_workers=workers)
        )
    assert sorted(parts) == list(range(N))
    sub = torch.utils.data.Subset(ds, list(range(10, 20)))
    assert sorted(
        ids(DataLoader(sub, batch_size=3, shuffle=True, collate_fn=collate_fn, num_workers=workers))
    ) == list(range(10, 20))
    bs = torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(ds), 7, False)
    assert ids(
        DataLoader(ds, sampler=bs, batch_size=None, collate_fn=collate_fn, num_workers=workers)
    ) == list(range(N))
    assert ids(
        DataLoader(ds, batch_sampler=bs, collate_fn=collate_fn, num_workers=workers)
    ) == list(range(N))


def test_map_style_over_an_indexable_iterator_and_its_errors():
    from fastiter.torch import Dataset, collate_fn

    ds = Dataset(ArrayDataSetIterator(X, Y, batch_size=5))
    assert len(ds) == N
    assert ids(DataLoader(ds, batch_size=6, collate_fn=collate_fn)) == list(range(N))
    assert ds[-1]["features"][0] == N - 1
    with pytest.raises(IndexError, match=f"{N}"):
        ds[N]
    with pytest.raises(TypeError, match="DataSet or an indexable"):
        Dataset(iter([1, 2]))
    from fastiter import MultiDataSet, SingletonMultiDataSetIterator

    with pytest.raises(TypeError, match="SingletonMultiDataSetIterator"):
        Dataset(SingletonMultiDataSetIterator(MultiDataSet([X], [Y])))


def test_collate_fn_matches_default_collate():
    from fastiter.torch import Dataset, collate_fn

    ds = Dataset(DataSet(X, Y))
    examples = [ds[i] for i in (3, 1, 4, 1, 5)]
    ours, theirs = collate_fn(examples), torch.utils.data.default_collate(examples)
    for k in theirs:
        assert torch.equal(ours[k], theirs[k])
    pairs = [(X[i], int(i)) for i in range(3)]
    a, b = collate_fn(pairs)
    assert torch.equal(a, torch.from_numpy(X[:3])) and b.tolist() == [0, 1, 2]


# --- workers and fastiter's thread pool -----------------------------------------------
def _threads_seen(batch):
    return fastiter.get_num_threads()


def test_workers_default_to_one_pool_thread(monkeypatch):
    from fastiter.torch import IterableDataset

    monkeypatch.delenv("FASTITER_NUM_THREADS", raising=False)
    ds = IterableDataset(ArrayDataSetIterator(X, Y, batch_size=8), convert=_threads_seen)
    assert set(DataLoader(ds, batch_size=None, num_workers=2)) == {1}


def test_worker_init_fn_and_the_environment_choose_the_count(monkeypatch):
    from fastiter.torch import IterableDataset, worker_init_fn

    monkeypatch.delenv("FASTITER_NUM_THREADS", raising=False)
    ds = IterableDataset(ArrayDataSetIterator(X, Y, batch_size=8), convert=_threads_seen)
    init = functools.partial(worker_init_fn, num_threads=2)
    assert set(DataLoader(ds, batch_size=None, num_workers=2, worker_init_fn=init)) == {2}
    monkeypatch.setenv("FASTITER_NUM_THREADS", "2")
    assert set(DataLoader(ds, batch_size=None, num_workers=2)) == {2}


# --- state: StatefulDataLoader ---------------------------------------------------------
def test_state_dict_round_trip_in_the_main_process():
    from fastiter.torch import IterableDataset

    ds = IterableDataset(shuffled())
    full = [ids([b]) for b in ds]
    ds2 = IterableDataset(shuffled())
    stream = iter(ds2)
    head = [ids([next(stream)]) for _ in range(5)]
    state = json.loads(json.dumps(ds2.state_dict()))
    ds3 = IterableDataset(shuffled(seed=999))  # the state carries the seed
    ds3.load_state_dict(state)
    assert head + [ids([b]) for b in ds3] == full
    with pytest.raises(ValueError, match="state_dict"):
        ds3.load_state_dict({"epoch": 0})


# torchdata 0.11 calls torch.set_vital, which torch 2.13 deprecates: not ours to fix
@pytest.mark.filterwarnings("ignore:'set_vital' is deprecated:UserWarning")
@pytest.mark.parametrize("workers", [0, 2])
def test_stateful_dataloader_resumes_into_exactly_the_remaining_batches(workers):
    tdl = pytest.importorskip("torchdata.stateful_dataloader")
    from fastiter.torch import IterableDataset

    def loader(seed=11):
        return tdl.StatefulDataLoader(
            IterableDataset(shuffled(seed=seed)), batch_size=None, num_workers=workers
        )

    ref = loader()
    epoch0, epoch1 = [ids([b]) for b in ref], [ids([b]) for b in ref]
    assert epoch0 != epoch1
    run = loader()
    it = iter(run)
    head = [ids([next(it)]) for _ in range(5)]
    state = run.state_dict()
    del it, run
    resumed = loader(seed=12345)  # a new process would build everything anew
    resumed.load_state_dict(state)
    rest = [ids([b]) for b in resumed]
    assert head + rest == epoch0
    assert [ids([b]) for b in resumed] == epoch1  # and the next epoch reshuffles as before
