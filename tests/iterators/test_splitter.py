"""DataSetIteratorSplitter / MultiDataSetIteratorSplitter against DL4J's rules (spec §3)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastiter import (
    ArrayDataSetIterator,
    DataSetIteratorSplitter,
    MultiDataSetIteratorAdapter,
    MultiDataSetIteratorSplitter,
)
from fastiter.iterators.splitter import plan_parts


def counting(n_batches, batch=1, shuffle=False, seed=None):
    """A base whose batch i holds features [i*batch, ...], so positions are visible."""
    n = n_batches * batch
    return ArrayDataSetIterator(
        np.arange(n, dtype=np.float64)[:, None], None, batch, shuffle=shuffle, seed=seed
    )


def firsts(batches):
    return [float(ds.features[0, 0]) for ds in batches]


def test_dl4j_numbers_100000_examples_batch_32_ratio_07():
    base = ArrayDataSetIterator(np.arange(100_000, dtype=np.float32)[:, None], None, 32)
    assert base.num_batches() == 3125
    sp = DataSetIteratorSplitter(base, 3125, 0.7)
    assert sp.parts == [2187, 938]
    train, test = sp.get_train_iterator(), sp.get_test_iterator()
    tr = list(train)
    te = list(test)
    assert len(tr) == 2187 and len(te) == 938
    assert tr[0].features[0, 0] == 0 and te[0].features[0, 0] == 2187 * 32
    assert te[-1].features[-1, 0] == 99_999  # nothing lost, nothing overlaps


@given(st.integers(1, 100_000), st.integers(1, 999))
def test_ratio_is_exact_decimal_and_loses_nothing(total, permille):
    ratio = permille / 1000
    train, test = plan_parts(total, ratio)
    assert train == total * permille // 1000  # integer arithmetic, no float rounding
    assert train + test == total


def test_ratios_cover_everything_when_they_sum_to_one():
    assert plan_parts(3125, ratios=[0.7, 0.3]) == [2187, 938]  # DL4J: 2187 + 937
    assert plan_parts(1000, ratios=[0.5, 0.3, 0.2]) == [500, 300, 200]
    assert plan_parts(10, ratios=[0.5, 0.2]) == [5, 2]  # sum < 1: the rest unused
    assert plan_parts(splits=[800, 100, 100]) == [800, 100, 100]


@pytest.mark.parametrize("ratio", [0, 1, -0.1, 1.5, 0.0, 1.0])
def test_ratio_outside_open_interval_raises(ratio):
    with pytest.raises(ValueError, match="ratio must be in"):
        DataSetIteratorSplitter(counting(10), 10, ratio)


@pytest.mark.parametrize("total", [0, -3])
def test_total_below_one_raises(total):
    with pytest.raises(ValueError, match="total_batches must be >= 1"):
        DataSetIteratorSplitter(counting(10), total, 0.5)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="sum to at most 1"):
        DataSetIteratorSplitter(counting(10), 10, ratios=[0.6, 0.6])
    with pytest.raises(ValueError, match="exactly one"):
        plan_parts(10)
    with pytest.raises(TypeError, match="ratio must be a number"):
        DataSetIteratorSplitter(counting(10), 10, "0.5")
    with pytest.raises(ValueError, match="counts batches, not examples"):
        DataSetIteratorSplitter(counting(10, batch=5), 50, 0.5)
    with pytest.raises(TypeError, match="base must be a DataSetIterator"):
        DataSetIteratorSplitter(MultiDataSetIteratorAdapter(counting(4)), 4, 0.5)


def test_base_that_cannot_reset_raises():
    class OneShot(ArrayDataSetIterator):
        def reset_supported(self):
            return False

    with pytest.raises(ValueError, match="cannot reset"):
        DataSetIteratorSplitter(OneShot(np.ones((4, 1)), None, 1), 4, 0.5)


def test_train_then_test_every_epoch_and_test_every_other():
    # DL4J's testSplitter_2: 1000 batches, 0.7; the test part is read on even epochs
    sp = DataSetIteratorSplitter(counting(1000), 1000, 0.7)
    train, test = sp.get_train_iterator(), sp.get_test_iterator()
    seen = 0
    for e in range(6):
        assert firsts(train) == list(range(700))
        seen += 700
        if e % 2 == 0:
            assert firsts(test) == list(range(700, 1000))
            seen += 300
    assert seen == 700 * 6 + 300 * 3


def test_test_iterator_twice_in_a_row_raises():
    sp = DataSetIteratorSplitter(counting(10), 10, 0.7)
    train, test = sp.get_train_iterator(), sp.get_test_iterator()
    list(train)
    assert firsts(test) == [7, 8, 9]
    with pytest.raises(RuntimeError, match="right after a full pass of the train"):
        list(test)
    list(train)
    assert firsts(test) == [7, 8, 9]  # valid again after a train pass


def test_test_iterator_before_any_train_pass_raises():
    sp = DataSetIteratorSplitter(counting(10), 10, 0.7)
    with pytest.raises(RuntimeError, match="right after a full pass"):
        sp.get_test_iterator().next()


def test_shuffling_base_raises_on_second_pass():
    sp = DataSetIteratorSplitter(counting(20, shuffle=True, seed=3), 20, 0.5)
    train = sp.get_train_iterator()
    list(train)
    with pytest.raises(RuntimeError, match="shuffles"):
        list(train)


def test_get_iterators_read_in_any_order():
    # DL4J's testSplitter_4 and testUnorderedSplitter_1: each part seeks the base
    sp = DataSetIteratorSplitter(counting(1000), 1000, ratios=[0.5, 0.3, 0.2])
    parts = sp.get_iterators()
    assert [len(p) for p in parts] == [500, 300, 200]
    for order in ([0, 1, 2], [2, 0, 1], [1, 1, 0]):
        for i in order:
            assert firsts(parts[i]) == list(range(sp.bounds[i], sp.bounds[i + 1]))


def test_three_way_split_continues_without_reset():
    sp = DataSetIteratorSplitter(counting(1000), [800, 100, 100])
    tr, te, va = sp.get_iterators()
    for _ in range(2):
        assert firsts(tr) == list(range(800))
        assert firsts(te) == list(range(800, 900))
        assert firsts(va) == list(range(900, 1000))


def test_pre_processor_forwarded_and_applied_once():
    class AddOne:
        def pre_process(self, ds):
            ds.features += 1

    base = counting(4)
    sp = DataSetIteratorSplitter(base, 4, 0.5)
    train, test = sp.get_train_iterator(), sp.get_test_iterator()
    train.pre_processor = AddOne()
    assert base.pre_processor is train.pre_processor
    assert firsts(train) == [1, 2]
    assert firsts(test) == [3, 4]


def test_flags_and_queries_follow_base():
    base = ArrayDataSetIterator(np.ones((8, 3)), np.ones((8, 2)), 2)
    v = DataSetIteratorSplitter(base, 4, 0.5).get_train_iterator()
    assert v.reset_supported() and v.async_supported()
    assert (v.batch(), v.input_columns(), v.total_outcomes()) == (2, 3, 2)
    with pytest.raises(NotImplementedError):
        v.next(5)


def test_multi_splitter_works():
    base = MultiDataSetIteratorAdapter(counting(10))
    sp = MultiDataSetIteratorSplitter(base, 10, 0.7)
    train, test = sp.get_train_iterator(), sp.get_test_iterator()
    for _ in range(2):
        assert [float(m.features[0][0, 0]) for m in train] == list(range(7))
        assert [float(m.features[0][0, 0]) for m in test] == [7, 8, 9]


@pytest.mark.parametrize("part,k", [(0, 3), (1, 1), (2, 2)])
def test_views_resume(resumes, part, k):
    def make():
        return DataSetIteratorSplitter(counting(12), 12, ratios=[0.5, 0.25, 0.25]).get_iterators()[
            part
        ]

    resumes(make, k, epochs=2)


def test_multi_view_resumes(resumes):
    resumes(
        lambda: MultiDataSetIteratorSplitter(
            MultiDataSetIteratorAdapter(counting(10)), 10, 0.7
        ).get_train_iterator(),
        4,
        epochs=2,
    )


@pytest.mark.parametrize("order", [(1, 0), (0, 1, 0), (1, 1)])
def test_get_iterators_on_a_shuffling_base_refuses_instead_of_leaking(order):
    # issue 17.1: test then train through get_iterators() on a shuffling base put most of
    # the test examples into train, silently; each view seeks by resetting the base, so
    # every reset must show the same first batch or the parts overlap
    sp = DataSetIteratorSplitter(counting(30, batch=4, shuffle=True, seed=5), 30, 0.8)
    parts = sp.get_iterators()
    with pytest.raises(RuntimeError, match="shuffles"):
        for i in order:
            list(parts[i])


def test_get_iterators_on_a_fixed_base_reads_each_part_exactly():
    sp = DataSetIteratorSplitter(counting(30), 30, 0.8)
    train, test = sp.get_iterators()
    for _ in range(2):
        assert firsts(test) == list(range(24, 30))
        assert firsts(train) == list(range(24))
