"""KFoldIterator and SamplingDataSetIterator against DL4J's rules and numpy references."""

import doctest

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastiter import DataSet, KFoldIterator, SamplingDataSetIterator, kernels
from fastiter.dataset.order import batch_stream
from fastiter.iterators import kfold, sampling


def data(n):
    x = np.arange(n, dtype=np.float64)[:, None]
    return DataSet(x, np.eye(3)[np.arange(n) % 3], example_metadata=list(range(n)))


class AddOne:
    calls = 0

    def pre_process(self, ds):
        AddOne.calls += 1
        ds.features += 1


@pytest.mark.parametrize("module", [kfold, sampling])
def test_doctests(module):
    res = doctest.testmod(module, extraglobs={"np": np, "DataSet": DataSet})
    assert res.attempted > 0 and res.failed == 0


@given(st.integers(2, 200), st.integers(2, 30))
def test_fold_sizes_dl4j(n, k):
    if k > n:
        with pytest.raises(ValueError, match="k must be in"):
            KFoldIterator(k, data(n))
        return
    it = KFoldIterator(k, data(n), seed=0)
    sizes, seen = [], []
    for train in it:
        test = it.test_fold()
        sizes.append(len(test))
        seen.extend(test.features[:, 0].tolist())
        assert len(train) + len(test) == n
        assert sorted(train.features[:, 0].tolist() + test.features[:, 0].tolist()) == list(
            range(n)
        )
    assert sizes == [n // k + 1] * (n % k) + [n // k] * (k - n % k)
    assert seen == list(range(n))  # first pass: the given order, consecutive folds


def test_kfold_example_10_by_3_and_train_order():
    it = KFoldIterator(3, data(10))
    train = it.next()
    assert train.features[:, 0].tolist() == [4, 5, 6, 7, 8, 9]
    assert it.batch() == 3  # the fold the next call holds out
    train = it.next()
    assert train.features[:, 0].tolist() == [0, 1, 2, 3, 7, 8, 9]
    assert it.test_fold().example_metadata == [4, 5, 6]


def test_kfold_reset_reshuffles_seeded_and_reproducibly():
    a, b = KFoldIterator(4, data(20), seed=5), KFoldIterator(4, data(20), seed=5)
    first = [t.features[:, 0].tolist() for t in a]
    a.reset()
    b.reset()
    second = [a.next().features[:, 0].tolist() for _ in range(4)]
    assert second != first
    assert second == [b.next().features[:, 0].tolist() for _ in range(4)]
    other = KFoldIterator(4, data(20), seed=6)
    other.reset()
    assert other.next().features[:, 0].tolist() != second[0]


def test_kfold_pre_processor_once_on_train_and_test():
    it = KFoldIterator(2, data(4), seed=0)
    it.pre_processor = AddOne()
    train = it.next()
    test = it.test_fold()
    assert it.test_fold() is test  # cached, not processed again
    assert train.features[:, 0].tolist() == [3, 4]
    assert test.features[:, 0].tolist() == [1, 2]


def test_kfold_errors_and_flags():
    with pytest.raises(RuntimeError, match="call next"):
        KFoldIterator(2, data(4)).test_fold()
    with pytest.raises(TypeError, match="dataset must be a DataSet"):
        KFoldIterator(2, np.ones((3, 1)))
    with pytest.raises(ValueError, match="k must be >= 1"):
        KFoldIterator(0, data(3))
    it = KFoldIterator(data(20))
    assert it.num_batches() == 10
    assert it.reset_supported() and not it.async_supported()
    with pytest.raises(NotImplementedError):
        it.next(3)


def test_kfold_resume(resumes):
    resumes(lambda: KFoldIterator(3, data(11), seed=2), 4, epochs=3)


def test_sampling_with_replacement_is_the_kernel_stream():
    ds = data(7)
    it = SamplingDataSetIterator(ds, 5, 20, replace=True, seed=11)
    for e in range(2):
        if e:
            it.reset()
        for i, b in enumerate(it):
            idx = kernels.random_integers(5, 0, 7, 11, np.int64, stream=batch_stream(e, i))
            np.testing.assert_array_equal(b.features[:, 0], idx)
            np.testing.assert_array_equal(b.labels, ds.labels[idx])
            assert b.example_metadata == idx.tolist()
        assert i == 3


def test_sampling_covers_uniformly():
    it = SamplingDataSetIterator(data(10), 100, 5000, replace=True, seed=4)
    counts = np.bincount(np.concatenate([b.features[:, 0].astype(int) for b in it]), minlength=10)
    assert counts.sum() == 5000 and counts.min() > 400 and counts.max() < 600
    with pytest.raises(ValueError, match=r"seed must be an int in \[0, 2\*\*64\)"):
        SamplingDataSetIterator(data(3), 1, 1, seed=-2)


def test_sampling_without_replacement_distinct_within_batch():
    it = SamplingDataSetIterator(data(6), 6, 30, replace=False, seed=1)
    for b in it:
        assert sorted(b.features[:, 0].tolist()) == list(range(6))
    with pytest.raises(ValueError, match="without replacement"):
        SamplingDataSetIterator(data(3), 4, 8, replace=False)


@pytest.mark.parametrize(
    "batch,total,batches", [(5, 20, 4), (5, 21, 5), (5, 24, 5), (5, 1, 1), (1, 7, 7), (32, 100, 4)]
)
def test_sampling_counts_samples_as_dl4j(batch, total, batches):
    # issue 17.2: DL4J's (ds, batchSize, totalNumberSamples) adds batchSize per next()
    # until totalNumberSamples is reached; every batch is a full batch
    it = SamplingDataSetIterator(data(40), batch, total, seed=2)
    got = [len(b) for b in it]
    assert got == [batch] * batches
    assert len(it) == batches
    n = 0
    while n < total:  # DL4J's loop, literally
        n += batch
    assert n == batch * batches


def test_sampling_defaults_to_no_replacement_as_dl4j():
    it = SamplingDataSetIterator(data(8), 8, 80, seed=3)
    for b in it:
        assert sorted(b.features[:, 0].tolist()) == list(range(8))
    with pytest.raises(ValueError, match="without replacement"):
        SamplingDataSetIterator(data(3), 4, 8)


def test_sampling_batch_count_only_as_keyword():
    by_batches = SamplingDataSetIterator(data(9), 3, total_batches=4, seed=5)
    by_samples = SamplingDataSetIterator(data(9), 3, 12, seed=5)
    assert len(by_batches) == 4
    for a, b in zip(by_batches, by_samples, strict=True):
        assert a == b
    with pytest.raises(ValueError, match="exactly one of total_samples or total_batches"):
        SamplingDataSetIterator(data(9), 3, 12, total_batches=4)
    with pytest.raises(ValueError, match="exactly one of total_samples or total_batches"):
        SamplingDataSetIterator(data(9), 3)
    with pytest.raises(TypeError):
        SamplingDataSetIterator(data(9), 3, 12, False, 5, 4)  # no positional batch count


def test_sampling_count_next_num_and_validation():
    it = SamplingDataSetIterator(data(5), 2, 6, seed=0)
    assert len(it.next(4)) == 4  # counts its 4 samples
    assert len(it.next()) == 2  # 6 drawn: the total is reached
    assert not it.has_next()
    assert it.batch_at(0) == SamplingDataSetIterator(data(5), 2, 6, seed=0).next()
    with pytest.raises(ValueError, match="total_samples must be >= 1"):
        SamplingDataSetIterator(data(5), 2, 0)
    with pytest.raises(ValueError, match="total_batches must be >= 1"):
        SamplingDataSetIterator(data(5), 2, total_batches=0)
    with pytest.raises(ValueError, match="no examples"):
        SamplingDataSetIterator(DataSet(np.ones((0, 1))), 2, 1)
    assert SamplingDataSetIterator(data(5), 2, 3).state_dict()["seed"] is not None


def test_sampling_resume_after_next_num_keeps_the_sample_count():
    it = SamplingDataSetIterator(data(9), 3, 12, seed=3)
    it.next(7)
    state = it.state_dict()
    rest = []
    while it.has_next():
        rest.append(it.next().features.copy())
    again = SamplingDataSetIterator(data(9), 3, 12, seed=3)
    again.load_state_dict(state)
    got = []
    while again.has_next():
        got.append(again.next().features.copy())
    assert len(got) == len(rest) == 2
    for a, b in zip(got, rest):
        np.testing.assert_array_equal(a, b)


def test_sampling_pre_processor_and_resume(resumes):
    it = SamplingDataSetIterator(data(5), 2, 6, seed=0)
    it.pre_processor = AddOne()
    raw = SamplingDataSetIterator(data(5), 2, 6, seed=0)
    for a, b in zip(it, raw):
        np.testing.assert_array_equal(a.features, b.features + 1)
    resumes(lambda: SamplingDataSetIterator(data(9), 3, 12, seed=3), 5, epochs=2)
