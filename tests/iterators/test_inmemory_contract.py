"""The iterator contract, checked on every resettable in-memory iterator:
Python iteration, len, NoSuchElementError, state_dict resume, thread-safe batch_at and
pre-processors applied exactly once without touching the held data."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastiter import (
    ArrayDataSetIterator,
    DataSet,
    DoublesDataSetIterator,
    ExistingDataSetIterator,
    FloatsDataSetIterator,
    ListDataSetIterator,
    MultiDataSet,
    NoSuchElementError,
    SingletonDataSetIterator,
    SingletonMultiDataSetIterator,
    ViewIterator,
)

N = 11


def source():
    x = np.arange(N, dtype=np.float64)
    return DataSet(np.stack([x, -x], 1), np.eye(2)[np.arange(N) % 2])


FACTORIES = {
    "array": lambda: ArrayDataSetIterator(source().features, source().labels, 3),
    "array_shuffled": lambda: ArrayDataSetIterator(
        source().features, source().labels, 3, shuffle=True, seed=5
    ),
    "list": lambda: ListDataSetIterator(source().as_list(), 3),
    "view": lambda: ViewIterator(source(), 3),
    "existing": lambda: ExistingDataSetIterator(source().batch_by(3)),
    "doubles": lambda: DoublesDataSetIterator(
        [(f, lab) for f, lab in zip(source().features, source().labels)], 3
    ),
    "floats": lambda: FloatsDataSetIterator(
        [(f, lab) for f, lab in zip(source().features, source().labels)], 3
    ),
    "singleton": lambda: SingletonDataSetIterator(source()),
    "singleton_multi": lambda: SingletonMultiDataSetIterator(
        MultiDataSet([source().features], [source().labels])
    ),
}
ALL = pytest.mark.parametrize("make", FACTORIES.values(), ids=FACTORIES.keys())


def feats(batch):
    f = batch.features[0] if isinstance(batch, MultiDataSet) else batch.features
    return f[:, 0].tolist()


def epoch(it):
    return [feats(b) for b in it]


@ALL
def test_for_loop_is_one_epoch_and_iter_resets(make):
    it = make()
    first = epoch(it)
    assert len(first) == len(it) and sorted(v for b in first for v in b) == list(range(N))
    it2 = make()
    it2.next()
    # __iter__ on a begun epoch resets first, so a for loop always sees a whole epoch
    second = epoch(it2)
    assert len(second) == len(first)
    assert sorted(v for b in second for v in b) == list(range(N))


@ALL
def test_past_the_end(make):
    it = make()
    for _ in range(len(it)):
        it.next()
    assert not it.has_next()
    with pytest.raises(NoSuchElementError, match="call reset"):
        it.next()
    with pytest.raises(StopIteration):
        it.next()
    with pytest.raises(StopIteration):
        next(it)
    it.reset()
    assert it.has_next()


@ALL
@pytest.mark.parametrize("consumed", [0, 1, 2])
def test_state_dict_resume_matches_an_uninterrupted_run(make, consumed):
    it = make()
    epoch(it)
    it.reset()  # epoch 1, where a shuffling iterator has a new order
    consumed = min(consumed, len(it))
    for _ in range(consumed):
        it.next()
    state = it.state_dict()
    assert state["epoch"] == 1 and state["position"] == consumed
    rest = [feats(it.next()) for _ in range(len(it) - consumed)]
    fresh = make()
    fresh.load_state_dict(state)
    assert [feats(fresh.next()) for _ in range(len(rest))] == rest
    assert not fresh.has_next()


@ALL
def test_batch_at_from_threads_equals_sequential(make):
    it = make()
    assert it.indexable
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda i: feats(it.batch_at(i)), range(len(it))))
    assert it.has_next() and it.state_dict()["position"] == 0  # the cursor did not move
    assert got == epoch(it)  # the same epoch, read sequentially
    with pytest.raises(IndexError, match="out of range"):
        it.batch_at(len(it))


class AddOne:
    def __init__(self):
        self.calls = 0

    def pre_process(self, ds):
        self.calls += 1
        if isinstance(ds, MultiDataSet):
            ds.features[0] += 1
        else:
            ds.features += 1


@ALL
def test_pre_processor_runs_once_per_batch_and_never_edits_the_source(make):
    it, twin = make(), make()  # the twin runs the same epochs without a pre-processor
    it.pre_processor = AddOne()
    for _ in range(3):  # several epochs: a stored batch must not be incremented twice
        plain = epoch(twin)
        assert epoch(it) == [[v + 1 for v in b] for b in plain]
    assert it.pre_processor.calls == 3 * len(plain)
    it.pre_processor = None
    assert epoch(it) == epoch(twin)
    with pytest.raises(TypeError, match="pre_process"):
        it.pre_processor = object()


BATCHED = {
    "array": lambda b: ArrayDataSetIterator(source().features, source().labels, b),
    "list": lambda b: ListDataSetIterator(source().as_list(), b),
    "view": lambda b: ViewIterator(source(), b),
    "doubles": lambda b: DoublesDataSetIterator([([1.0], [0.0])], b),
    "floats": lambda b: FloatsDataSetIterator([([1.0], [0.0])], b),
}


@pytest.mark.parametrize("make", BATCHED.values(), ids=BATCHED.keys())
@pytest.mark.parametrize(
    "bad, exc, words",
    [
        (0, ValueError, ">= 1, got 0"),
        (-3, ValueError, ">= 1, got -3"),
        (2.5, TypeError, "got 2.5 of type float"),
        (True, TypeError, "got True"),
    ],
)
def test_bad_batch_size_names_the_argument(make, bad, exc, words):
    with pytest.raises(exc, match="batch_size") as err:
        make(bad)
    assert words in str(err.value)


@given(st.integers(1, 30), st.integers(1, 8), st.integers(1, 6))
def test_merging_an_epoch_gives_back_the_data(n, b, t):
    rng = np.random.default_rng(n * 100 + b)
    ds = DataSet(
        rng.normal(size=(n, 2, t)),
        rng.normal(size=(n, 3)),
        (rng.random((n, t)) > 0.3).astype(np.float64),
        example_metadata=list(range(n)),
    )
    for it in (
        ViewIterator(ds, b),
        ListDataSetIterator(ds.as_list(), b),
        ExistingDataSetIterator(ds.batch_by(b)),
    ):
        batches = list(it)
        assert [len(x) for x in batches[:-1]] == [b] * (len(batches) - 1)
        merged = DataSet.merge(batches)
        assert merged == ds and merged.example_metadata == ds.example_metadata
    arr = ArrayDataSetIterator(ds.features, ds.labels, b, features_mask=ds.features_mask)
    assert DataSet.merge(list(arr)) == DataSet(ds.features, ds.labels, ds.features_mask)


@ALL
def test_bad_states_are_refused_before_anything_changes(make):
    it = make()
    it.next()
    before = it.state_dict()
    with pytest.raises(ValueError, match=r"missing \['epoch'\]"):
        it.load_state_dict({"position": 0})
    with pytest.raises(ValueError, match="must be >= 0"):
        it.load_state_dict({"epoch": 0, "position": -1})
    with pytest.raises(ValueError, match="past the end of an epoch"):
        it.load_state_dict({"epoch": 0, "position": len(it) + 1})
    with pytest.raises(ValueError, match="state is for a Foo"):
        it.load_state_dict({"type": "Foo", "epoch": 0, "position": 0})
    assert it.state_dict() == before


def test_shuffling_state_without_a_seed_is_refused():
    it = FACTORIES["array_shuffled"]()
    it.next()
    before = it.state_dict()
    with pytest.raises(ValueError, match="needs a seed"):
        it.load_state_dict({"epoch": 3, "position": 0, "seed": None})
    assert it.state_dict() == before
    rest = epoch_rest(it)
    fresh = FACTORIES["array_shuffled"]()
    fresh.next()
    assert rest == epoch_rest(fresh)


def epoch_rest(it):
    return [feats(it.next()) for _ in range(len(it) - it.state_dict()["position"])]


def test_concurrent_batch_at_on_large_shuffled_batches_matches_sequential():
    # large enough batches that the native gather may use its thread pool
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40_000, 64)).astype(np.float32)
    y = rng.normal(size=(40_000, 3)).astype(np.float32)
    seq = [b.features for b in ArrayDataSetIterator(x, y, 8_000, shuffle=True, seed=3)]
    it = ArrayDataSetIterator(x, y, 8_000, shuffle=True, seed=3)
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            got = list(pool.map(lambda i: it.batch_at(i).features, range(len(it))))
            assert all(np.array_equal(a, b) for a, b in zip(got, seq))
    perm = np.random.Generator(np.random.PCG64(np.random.SeedSequence([3, 0]))).permutation(len(x))
    np.testing.assert_array_equal(np.concatenate(seq), x[perm])
