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


@given(
    st.lists(st.tuples(st.integers(1, 4), st.integers(1, 6)), min_size=1, max_size=6),
    st.integers(1, 5),
    st.integers(0, 2**31),
)
def test_merge_pads_like_a_reference_and_re_merges_to_itself(shapes, b, seed):
    rng = np.random.default_rng(seed)
    pieces = [
        DataSet(rng.normal(size=(k, 2, t)) + 5, rng.normal(size=(k, 1, t)) + 5) for k, t in shapes
    ]
    merged = DataSet.merge(pieces)
    t_max = max(t for _, t in shapes)
    ref = np.zeros((sum(k for k, _ in shapes), 2, t_max))
    ref_mask = np.zeros((ref.shape[0], t_max))
    row = 0
    for p in pieces:
        k, _, t = p.features.shape
        ref[row : row + k, :, :t] = p.features
        ref_mask[row : row + k, :t] = 1
        row += k
    np.testing.assert_array_equal(merged.features, ref)
    if len({t for _, t in shapes}) > 1:
        np.testing.assert_array_equal(merged.features_mask, ref_mask)
        np.testing.assert_array_equal(merged.labels_mask, ref_mask)
    else:
        assert merged.features_mask is None
    # the merged, masked data set survives split / batch_by / merge unchanged
    assert DataSet.merge(merged.batch_by(b)) == merged
    if len(merged) > 1:
        assert DataSet.merge(list(merged.split_test_and_train(1))) == merged


def sort_by_label_reference(classes, c):
    """The loop DL4J's sortByLabel intends: one per class per round, then the rest."""
    queues = [[i for i, k in enumerate(classes) if k == cls] for cls in range(c)]
    order, heads = [], [0] * c
    while True:
        for cls in range(c):
            if heads[cls] >= len(queues[cls]):
                break
            order.append(queues[cls][heads[cls]])
            heads[cls] += 1
        else:
            continue
        break
    for cls in range(c):
        order.extend(queues[cls][heads[cls] :])
    return order


@given(st.lists(st.integers(0, 3), max_size=40), st.integers(4, 5))
def test_sort_by_label_matches_the_round_robin_reference(classes, c):
    ds = DataSet(
        np.arange(len(classes), dtype=float)[:, None],
        np.eye(c)[np.asarray(classes, dtype=np.int64)].reshape(len(classes), c),
    )
    ds.sort_by_label()
    assert ds.features[:, 0].astype(int).tolist() == sort_by_label_reference(classes, c)
