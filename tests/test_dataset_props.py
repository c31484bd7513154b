"""Hypothesis round trips: merging the pieces of split / batch_by / as_list gives the original."""
from decimal import Decimal

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from fastiter import DataSet, MultiDataSet


@st.composite
def datasets(draw, min_n=1):
    n = draw(st.integers(min_n, 12))
    rank = draw(st.sampled_from([2, 3, 4]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if rank == 2:
        feats = rng.normal(size=(n, draw(st.integers(1, 4))))
    elif rank == 4:
        feats = rng.normal(size=(n, 2, 3, 2))
    else:
        feats = rng.normal(size=(n, 2, draw(st.integers(1, 5))))
    labels = np.eye(3)[rng.integers(0, 3, n)]
    fmask = lmask = None
    if rank == 3:
        labels = rng.normal(size=(n, 3, feats.shape[2]))
        if draw(st.booleans()):
            # masks that are 1 on a prefix, as padded series have
            t = feats.shape[2]
            lengths = rng.integers(1, t + 1, n)
            fmask = (np.arange(t)[None, :] < lengths[:, None]).astype(np.float64)
            lmask = fmask.copy()
    meta = [f"row{i}" for i in range(n)] if draw(st.booleans()) else None
    return DataSet(feats, labels, fmask, lmask, example_metadata=meta)


def same(a, b):
    return a == b and a.example_metadata == b.example_metadata


@given(datasets(min_n=2), st.data())
def test_merge_of_split_is_the_original(ds, data):
    k = data.draw(st.integers(1, len(ds) - 1))
    train, test = ds.split_test_and_train(k)
    assert len(train) == k and len(test) == len(ds) - k
    assert same(DataSet.merge([train, test]), ds)


@given(datasets(min_n=2), st.floats(0.01, 0.99))
def test_fraction_split_sizes(ds, f):
    train, test = ds.split_test_and_train(f)
    # exact arithmetic on the decimal the caller wrote (no binary rounding drift)
    assert len(train) == max(1, int(Decimal(repr(f)) * len(ds)))
    assert same(DataSet.merge([train, test]), ds)


@given(datasets(), st.integers(1, 15))
def test_merge_of_batch_by_is_the_original(ds, n):
    parts = ds.batch_by(n)
    assert [len(p) for p in parts[:-1]] == [n] * (len(parts) - 1)
    assert 1 <= len(parts[-1]) <= n
    assert same(DataSet.merge(parts), ds)
    assert same(DataSet.merge(ds.as_list()), ds)


@given(datasets(), st.integers(0, 2**31))
def test_shuffle_is_a_permutation_undone_by_sorting_metadata(ds, seed):
    original = ds.copy()
    shuffled = ds.copy()
    shuffled.example_metadata = list(range(len(ds)))
    shuffled.shuffle(seed)
    order = shuffled.example_metadata
    assert sorted(order) == list(range(len(ds)))
    restored = shuffled[np.argsort(order)]
    assert restored == original


@given(datasets(min_n=2), st.data())
def test_multidataset_split_and_batch_round_trip(ds, data):
    m = ds.to_multi_data_set()
    k = data.draw(st.integers(1, len(ds) - 1))
    train, test = m.split_test_and_train(k)
    assert MultiDataSet.merge([train, test]) == m
    assert MultiDataSet.merge(m.batch_by(data.draw(st.integers(1, 5)))) == m
    assert MultiDataSet.merge(m.as_list()) == m
