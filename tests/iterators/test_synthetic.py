"""RandomDataSetIterator / RandomMultiDataSetIterator: every value type, both orders,
counter-based reproducibility (thread count, batch order, resume)."""

import doctest

import numpy as np
import pytest

from fastiter import DataSet, RandomDataSetIterator, RandomMultiDataSetIterator, kernels
from fastiter.dataset.order import batch_stream as stream_of
from fastiter.iterators import synthetic as random_mod
from fastiter.iterators.synthetic import Values, generate


def test_doctests():
    res = doctest.testmod(random_mod, extraglobs={"np": np})
    assert res.attempted > 0 and res.failed == 0


@pytest.mark.parametrize("order", ["c", "f"])
@pytest.mark.parametrize("values", list(Values))
def test_every_value_type_has_its_range(values, order):
    shape = (64, 5, 3)
    a = generate(shape, order, values, seed=11, stream=stream_of(0, 0, 0))
    assert a.shape == shape and a.dtype == np.float32
    assert a.flags.f_contiguous if order == "f" else a.flags.c_contiguous
    if values is Values.ZEROS:
        assert not a.any()
    elif values is Values.ONES:
        assert (a == 1).all()
    elif values is Values.RANDOM_UNIFORM:
        assert a.min() >= 0 and a.max() < 1 and a.std() > 0.2
    elif values is Values.RANDOM_NORMAL:
        assert abs(a.mean()) < 0.2 and 0.8 < a.std() < 1.2
    elif values is Values.BINARY:
        assert set(np.unique(a)) == {0.0, 1.0} and 0.35 < a.mean() < 0.65
    elif values is Values.ONE_HOT:
        np.testing.assert_array_equal(a.sum(axis=1), np.ones((64, 3)))  # one 1 along dim 1
        assert set(np.unique(a)) == {0.0, 1.0}
    else:
        k = int(values.value.rsplit("_", 1)[1])
        assert (a == np.floor(a)).all() and a.min() >= 0 and a.max() < k
        assert a.max() > k / 2


def test_values_do_not_depend_on_order():
    for v in (Values.RANDOM_NORMAL, Values.ONE_HOT, Values.INTEGER_0_100):
        np.testing.assert_array_equal(
            generate((6, 4, 2), "c", v, 3, 9), generate((6, 4, 2), "f", v, 3, 9)
        )


@pytest.mark.parametrize("rank", [1, 2, 3, 4, 5])
def test_one_hot_all_ranks(rank):
    shape = (4, 3, 2, 2, 2)[:rank]
    a = generate(shape, "c", Values.ONE_HOT, 1, 0)
    if rank == 1:
        assert a.sum() == 1
    else:
        np.testing.assert_array_equal(a.sum(axis=1), np.ones(shape[:1] + shape[2:]))
    with pytest.raises(ValueError, match="ranks 1 to 5"):
        generate((2,) * 6, "c", Values.ONE_HOT, 1, 0)


def test_batches_are_the_kernels_streams():
    it = RandomDataSetIterator(3, (8, 4), (8, 2), "RANDOM_UNIFORM", "INTEGER_0_10", seed=42)
    for i, ds in enumerate(it):
        ref_x = kernels.random_uniform((8, 4), 42, stream=stream_of(0, i, 0))
        ref_y = kernels.random_integers(
            (8, 2), 0, 10, 42, np.int32, stream=stream_of(0, i, 1)
        ).astype(np.float32)
        np.testing.assert_array_equal(ds.features, ref_x)
        np.testing.assert_array_equal(ds.labels, ref_y)


def test_same_seed_same_batches_whatever_the_thread_count():
    def epoch():
        return list(
            RandomDataSetIterator(2, (4096, 64), (4096, 10), "RANDOM_NORMAL", "ONE_HOT", seed=5)
        )

    before = kernels.get_num_threads()
    try:
        kernels.set_num_threads(1)
        one = epoch()
        kernels.set_num_threads(2)
        two = epoch()
    finally:
        kernels.set_num_threads(before)
    assert one == two


def test_indexable_any_order_and_reset_changes_batches():
    it = RandomDataSetIterator(4, (5, 3), (5, 1), "RANDOM_NORMAL", "BINARY", seed=1)
    seq = list(it)
    assert it.indexable and len(it) == 4
    assert [it.batch_at(i) for i in (3, 1, 0, 2)] == [seq[3], seq[1], seq[0], seq[2]]
    it.reset()
    again = list(it)
    assert again[0] != seq[0]  # a new epoch draws new numbers
    fresh = RandomDataSetIterator(4, (5, 3), (5, 1), "RANDOM_NORMAL", "BINARY", seed=1)
    assert list(fresh) == seq
    assert RandomDataSetIterator(1, (5, 3), (5, 1), "ZEROS", "ONES", seed=2).next() == DataSet(
        np.zeros((5, 3), np.float32), np.ones((5, 1), np.float32)
    )


def test_multi_builder_and_queries():
    it = (
        RandomMultiDataSetIterator.Builder(2, seed=3, dtype=np.float64)
        .add_features((6, 4), "f", Values.RANDOM_UNIFORM)
        .add_features((6, 2, 7), Values.ONE_HOT)
        .add_labels((6, 3), "c", "integer_0_1000")
        .build()
    )
    m = it.next()
    assert [x.shape for x in m.features] == [(6, 4), (6, 2, 7)]
    assert m.features[0].flags.f_contiguous and m.features[0].dtype == np.float64
    assert m.labels[0].max() < 1000
    assert m.features[0].tolist() != m.features[1][:, 0, :4].tolist()
    ds_it = RandomDataSetIterator(2, (7, 3, 4), (7, 5), "ONES", "ZEROS")
    assert (ds_it.batch(), ds_it.input_columns(), ds_it.total_outcomes()) == (7, 3, 5)
    assert ds_it.state_dict()["seed"] is not None  # drawn from the OS and recorded
    assert ds_it.reset_supported() and ds_it.async_supported()
    assert RandomDataSetIterator.Values is Values


def test_validation():
    with pytest.raises(ValueError, match="features values must be one of"):
        RandomDataSetIterator(1, (2, 2), (2, 2), "GAUSSIAN", "ONES")
    with pytest.raises(ValueError, match="labels order must be 'c' or 'f'"):
        RandomDataSetIterator(1, (2, 2), (2, 2), "ONES", "ONES", labels_order="x")
    with pytest.raises(ValueError, match="share the batch dimension"):
        RandomDataSetIterator(1, (2, 2), (3, 2), "ONES", "ONES")
    with pytest.raises(ValueError, match="features shape must be"):
        RandomDataSetIterator(1, (0, 2), (0, 2), "ONES", "ONES")
    with pytest.raises(ValueError, match="num_minibatches must be >= 1"):
        RandomDataSetIterator(0, (2, 2), (2, 2), "ONES", "ONES")
    with pytest.raises(ValueError, match="seed must be an int"):
        RandomDataSetIterator(1, (2, 2), (2, 2), "ONES", "ONES", seed=-1)
    with pytest.raises(TypeError, match="float dtype"):
        RandomDataSetIterator(1, (2, 2), (2, 2), "ONES", "ONES", dtype=np.int32)
    with pytest.raises(ValueError, match="at least one"):
        RandomMultiDataSetIterator.Builder(1).build()
    with pytest.raises(NotImplementedError):
        RandomDataSetIterator(1, (2, 2), (2, 2), "ONES", "ONES").next(3)


def test_random_iterators_resume(resumes):
    resumes(
        lambda: RandomDataSetIterator(5, (3, 2), (3, 4), "RANDOM_NORMAL", "ONE_HOT", seed=8),
        3,
        epochs=2,
    )
    resumes(
        lambda: (
            RandomMultiDataSetIterator.Builder(4, seed=9)
            .add_features((2, 3), Values.BINARY)
            .add_labels((2, 2), Values.ONE_HOT)
            .build()
        ),
        6,
        epochs=3,
    )


def test_batch_streams_are_distinct():
    streams = {stream_of(e, b, a) for e in range(10) for b in range(300) for a in range(3)}
    assert len(streams) == 10 * 300 * 3
    assert all(0 <= s < 1 << 64 for s in streams)
