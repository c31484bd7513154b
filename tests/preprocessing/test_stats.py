"""Streaming statistics: equal to numpy over the whole data, whatever the batch split."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastiter.dataset.stats import BoundsAccumulator, MomentAccumulator, rows_for_stats

RTOL = 1e-6


def _splits(n, cuts):
    """Batch boundaries from hypothesis-drawn cut points (empty batches allowed)."""
    bounds = sorted({0, n, *[c % (n + 1) for c in cuts]})
    return list(zip(bounds[:-1], bounds[1:])) + [(n, n)]


@given(
    n=st.integers(1, 60),
    f=st.integers(1, 5),
    cuts=st.lists(st.integers(0, 1000), max_size=8),
    seed=st.integers(0, 2**31),
)
def test_moments_match_numpy_over_any_batch_split(n, f, cuts, seed):
    x = np.random.default_rng(seed).normal(3.0, 2.0, (n, f))
    acc = MomentAccumulator()
    for lo, hi in _splits(n, cuts):
        acc.add(x[lo:hi])
    np.testing.assert_allclose(acc.mean(), x.mean(axis=0), rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(acc.std(), x.std(axis=0), rtol=RTOL, atol=1e-12)


@given(cuts=st.lists(st.integers(0, 5000), max_size=6), seed=st.integers(0, 2**31))
def test_float32_large_offset_stays_accurate(cuts, seed):
    # 1e4 + unit noise in float32: a naive sum-of-squares variance loses every digit here.
    x = (1e4 + np.random.default_rng(seed).standard_normal((3000, 3))).astype(np.float32)
    acc = MomentAccumulator()
    for lo, hi in _splits(len(x), cuts):
        acc.add(x[lo:hi])
    ref = x.astype(np.float64)
    np.testing.assert_allclose(acc.mean(), ref.mean(axis=0), rtol=RTOL)
    np.testing.assert_allclose(acc.std(), ref.std(axis=0), rtol=RTOL)


def test_naive_formula_would_fail_the_offset_case():
    """Guards the previous test: the data really is hard for E[x^2] - E[x]^2 in float32."""
    x = (1e4 + np.random.default_rng(0).standard_normal((3000, 1))).astype(np.float32)
    naive = np.sqrt(np.abs(np.mean(x * x, dtype=np.float32) - np.mean(x, dtype=np.float32) ** 2))
    assert abs(naive - x.astype(np.float64).std()) / x.astype(np.float64).std() > 1e-3


@given(
    n=st.integers(1, 12),
    t=st.integers(1, 7),
    seed=st.integers(0, 2**31),
    cuts=st.lists(st.integers(0, 100), max_size=4),
)
def test_rank3_masked_steps_never_count(n, t, seed, cuts):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (n, 3, t))
    mask = rng.integers(0, 2, (n, t))
    mask[0, 0] = 1  # at least one real step
    x[np.broadcast_to((mask == 0)[:, None, :], x.shape)] = 1e6  # padding must not leak in
    acc, bounds = MomentAccumulator(), BoundsAccumulator()
    for lo, hi in _splits(n, cuts):
        acc.add(x[lo:hi], mask[lo:hi])
        bounds.add(x[lo:hi], mask[lo:hi])
    real = np.concatenate([x[i][:, mask[i] != 0].T for i in range(n)])  # [steps, F]
    np.testing.assert_allclose(acc.mean(), real.mean(axis=0), rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(acc.std(), real.std(axis=0), rtol=RTOL, atol=1e-12)
    np.testing.assert_array_equal(bounds.lower, real.min(axis=0))
    np.testing.assert_array_equal(bounds.upper, real.max(axis=0))


def test_fully_masked_batch_is_skipped():
    acc = MomentAccumulator()
    acc.add(np.full((2, 2, 3), 99.0), np.zeros((2, 3)))
    assert acc.is_empty()
    acc.add(np.ones((1, 2, 3)), np.ones((1, 3)))
    np.testing.assert_array_equal(acc.mean(), [1.0, 1.0])
    np.testing.assert_array_equal(acc.count, [3.0, 3.0])


def test_rank4_is_per_channel():
    x = np.random.default_rng(1).normal(0, 1, (5, 3, 4, 2))
    acc = MomentAccumulator()
    acc.add(x[:2])
    acc.add(x[2:])
    np.testing.assert_allclose(acc.mean(), x.mean(axis=(0, 2, 3)), rtol=RTOL)
    np.testing.assert_allclose(acc.std(), x.std(axis=(0, 2, 3)), rtol=RTOL)


def test_rank2_elementwise_mask_gives_each_feature_its_count():
    x = np.array([[1.0, 100.0], [3.0, 2.0], [5.0, 4.0]])
    mask = np.array([[1, 0], [1, 1], [1, 1]])
    acc = MomentAccumulator()
    acc.add(x[:1], mask[:1])
    acc.add(x[1:], mask[1:])
    np.testing.assert_allclose(acc.mean(), [3.0, 3.0])
    np.testing.assert_allclose(acc.std(), [np.std([1, 3, 5]), 1.0])
    np.testing.assert_array_equal(acc.count, [3, 2])
    b = BoundsAccumulator()
    b.add(x, mask)
    assert b.lower.tolist() == [1.0, 2.0] and b.upper.tolist() == [5.0, 4.0]


def test_example_mask_drops_rows():
    rows, keep = rows_for_stats(np.array([[1.0], [50.0], [3.0]]), np.array([1, 0, 1]))
    assert rows.ravel().tolist() == [1.0, 3.0] and keep is None


def test_rank1_is_one_feature():
    acc = MomentAccumulator()
    acc.add(np.array([1.0, 2.0, 3.0]))
    assert acc.mean().tolist() == [2.0]


@pytest.mark.parametrize("shape", [(2, 2, 2, 2, 2), ()])
def test_bad_ranks_refused(shape):
    with pytest.raises(ValueError, match="rank"):
        MomentAccumulator().add(np.zeros(shape))


def test_feature_count_change_refused():
    acc = MomentAccumulator()
    acc.add(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="3"):
        acc.add(np.zeros((2, 4)))


def test_mask_of_wrong_shape_refused():
    with pytest.raises(ValueError, match="mask of shape"):
        MomentAccumulator().add(np.zeros((2, 3, 4)), np.ones((2, 5)))


def test_empty_accumulator_refuses_results():
    with pytest.raises(ValueError, match="no data"):
        MomentAccumulator().mean()
