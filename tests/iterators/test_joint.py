"""JointMultiDataSetIterator and JointParallelDataSetIterator."""

import doctest

import numpy as np
import pytest

import fastiter
from fastiter import (
    ArrayDataSetIterator,
    InequalityHandling,
    JointMultiDataSetIterator,
    JointParallelDataSetIterator,
)
from fastiter.iterators import joint, parallel


def src(n, start=0.0, batch=1, **kw):
    x = start + np.arange(n, dtype=np.float64)[:, None]
    return ArrayDataSetIterator(x, x * 10, batch, **kw)


def vals(batches):
    return [None if b is None else float(b.features[0, 0]) for b in batches]


@pytest.mark.parametrize("module", [joint, parallel])
def test_doctests(module):
    res = doctest.testmod(module, extraglobs={"np": np})
    assert res.attempted > 0 and res.failed == 0


def test_joint_multi_outcomes_and_shortest():
    a, b = src(3), src(5, 100)
    m = list(JointMultiDataSetIterator(-1, a, b))
    assert len(m) == 3
    assert [float(x.features[1][0, 0]) for x in m] == [100, 101, 102]
    assert [len(x.labels) for x in m] == [2, 2, 2]
    a, b = src(3), src(5, 100)
    m = JointMultiDataSetIterator(0, a, b).next()
    np.testing.assert_array_equal(m.labels[0], [[0.0]])
    assert len(m.labels) == 1
    m = JointMultiDataSetIterator(src(2), src(2, 5)).next()  # outcome defaults to -1
    assert len(m.labels) == 2


def test_joint_multi_masks_and_flags():
    x = np.ones((2, 1, 3))
    mask = np.array([[1, 1, 0], [1, 1, 1]], np.float32)
    a = ArrayDataSetIterator(x, x, 2, features_mask=mask)
    b = ArrayDataSetIterator(x, x, 2)
    m = JointMultiDataSetIterator(-1, a, b).next()
    assert m.features_masks[1] is None
    np.testing.assert_array_equal(m.features_masks[0], mask)
    assert m.labels_masks is None
    j = JointMultiDataSetIterator(-1, src(2), src(2))
    assert j.reset_supported() and j.async_supported() and j.indexable


def test_joint_multi_validation():
    with pytest.raises(ValueError, match="outcome must be -1 or a child index"):
        JointMultiDataSetIterator(2, src(2), src(2))
    with pytest.raises(TypeError, match="iterators\\[1\\] must be a DataSetIterator"):
        JointMultiDataSetIterator(-1, src(2), "x")
    s = src(2)
    with pytest.raises(ValueError, match="twice"):
        JointMultiDataSetIterator(-1, s, s)
    with pytest.raises(NotImplementedError):
        JointMultiDataSetIterator(-1, src(2)).next(1)


@pytest.mark.parametrize(
    "policy,expected",
    [
        ("STOP_EVERYONE", [0, 100, 1, 101]),
        ("PASS_NULL", [0, 100, 1, 101, None, 102, None, 103]),
        ("RELOCATE", [0, 100, 1, 101, 102, 103]),
        # source 0 restarts after its end; the epoch ends when source 1 has ended too
        ("RESET", [0, 100, 1, 101, 0, 102, 1, 103, 0]),
    ],
)
def test_joint_parallel_policies(policy, expected):
    it = JointParallelDataSetIterator([src(2), src(4, 100)], policy)
    assert vals(list(it)) == expected
    it.reset()
    assert vals(list(it)) == expected
    it2 = JointParallelDataSetIterator([src(2), src(4, 100)], InequalityHandling(policy))
    assert vals(list(it2)) == expected


def test_joint_parallel_validation_and_pre_processor():
    with pytest.raises(ValueError, match="inequality_handling must be one of"):
        JointParallelDataSetIterator([src(2)], "NOPE")

    class NoAsync(ArrayDataSetIterator):
        def async_supported(self):
            return False

    with pytest.raises(ValueError, match="does not support async"):
        JointParallelDataSetIterator([NoAsync(np.ones((2, 1)), None, 1)])

    class AddOne:
        def pre_process(self, ds):
            ds.features += 1

    it = JointParallelDataSetIterator([src(1), src(1, 10)])
    it.pre_processor = AddOne()
    assert vals(list(it)) == [1, 11]
    assert not it.async_supported() and it.reset_supported()


@pytest.mark.parametrize("policy", ["STOP_EVERYONE", "PASS_NULL", "RELOCATE", "RESET"])
def test_joint_parallel_resume(resumes, policy):
    def make():
        return JointParallelDataSetIterator(
            [src(3, batch=1, shuffle=True, seed=1), src(5, 100)], policy
        )

    resumes(make, 3, epochs=2)


def test_joint_multi_resume(resumes):
    resumes(
        lambda: JointMultiDataSetIterator(1, src(6, shuffle=True, seed=4), src(7, 50)), 4, epochs=2
    )


class ReadAhead(fastiter.DataSetIterator):
    """A stand-in prefetcher: pulls ``buffer`` batches ahead of the consumer, and (like
    the async wrapper) cannot save a position of its own."""

    def __init__(self, base, buffer):
        super().__init__()
        self.base, self.buffer, self.queue, self.closed = base, buffer, [], False
        self._fill()

    def _fill(self):
        while len(self.queue) < self.buffer and self.base.has_next():
            self.queue.append(self.base.next())

    def has_next(self):
        self._fill()
        return bool(self.queue)

    def _next_batch(self, num):
        return self.queue.pop(0)

    def _restart(self):
        self.queue = []
        self.base.reset()

    def reset_supported(self):
        return self.base.reset_supported()

    def close(self):
        self.closed = True

    def state_dict(self):
        raise fastiter.UnsupportedOperationError("no position of its own")


@pytest.mark.parametrize("policy", ["STOP_EVERYONE", "PASS_NULL", "RELOCATE", "RESET"])
def test_prefetched_sources_give_the_same_batches_and_resume(resumes, policy):
    def make(prefetch):
        return JointParallelDataSetIterator(
            [src(3, shuffle=True, seed=1), src(5, 100)], policy, 2, prefetch=prefetch
        )

    plain = [vals([b]) for b in make(None)]
    assert [vals([b]) for b in make(ReadAhead)] == plain
    resumes(lambda: make(ReadAhead), 3, epochs=2)


def test_close_and_builder_prefetch():
    with (
        JointParallelDataSetIterator.Builder("RELOCATE")
        .add_source_iterator(src(2))
        .add_source_iterator(src(3, 10))
        .prefetch(ReadAhead)
        .build() as it
    ):
        assert vals(list(it)) == [0, 10, 1, 11, 12]
        wrappers = list(it._children)
    assert all(w.closed for w in wrappers)
    with pytest.raises(TypeError, match="prefetch must be .async., a callable"):
        JointParallelDataSetIterator([src(1)], prefetch=3)
    with pytest.raises(ValueError, match="buffer_per_split must be >= 1"):
        JointParallelDataSetIterator([src(1)], buffer_per_split=0)


@pytest.mark.parametrize("policy", ["STOP_EVERYONE", "PASS_NULL", "RELOCATE", "RESET"])
def test_async_prefetch_is_the_default_and_changes_nothing(resumes, policy):
    from fastiter._core._ring import native_thread_count
    from fastiter.iterators.async_ import AsyncDataSetIterator

    def make(prefetch="async"):
        return JointParallelDataSetIterator(
            [src(3, shuffle=True, seed=1), src(5, 100)], policy, 2, prefetch=prefetch
        )

    ref = make(None)
    plain = [vals(list(ref)) for _ in range(2)]  # two epochs (the shuffle differs)
    before = native_thread_count()
    with make() as it:
        assert all(isinstance(c, AsyncDataSetIterator) for c in it._children)
        assert [vals(list(it)) for _ in range(2)] == plain
    assert native_thread_count() == before  # close() joined every producer
    resumes(make, 3, epochs=2)
