"""AsyncDataSetIterator at the edges of its contract (issue 17, items 3, 4 and 9):
bases that only implement the public interface, bases that raise StopIteration, and
absurd worker counts."""

from __future__ import annotations

import numpy as np
import pytest
from iterators.test_async_support import GridIterator

from fastiter import AsyncDataSetIterator, DataSet, DataSetIterator, NoSuchElementError
from fastiter._core._ring import native_thread_count


class PublicOnly(DataSetIterator):
    """A user's iterator: the public interface only, and BaseIterator.__init__ never
    runs (no ``_position``, ``_epoch`` or ``_pre_processor`` of its own)."""

    indexable = False

    def __init__(self, n: int) -> None:  # deliberately no super().__init__()
        self.n, self.i, self.epochs = n, 0, 0

    def has_next(self) -> bool:
        return self.i < self.n

    def next(self, num=None):
        if not self.has_next():
            raise NoSuchElementError("done")
        self.i += 1
        return DataSet(np.array([[self.epochs, self.i - 1]], np.float64), np.ones((1, 1)))

    def _next_batch(self, num):  # the abstract hook; next() above never calls it
        raise AssertionError("not used")

    def reset_supported(self) -> bool:
        return True

    def reset(self) -> None:
        self.i, self.epochs = 0, self.epochs + 1

    def batch(self) -> int:
        return 1


def rows(batches):
    return [tuple(int(v) for v in ds.features[0]) for ds in batches]


def test_public_interface_base_without_base_init(census):
    # issue 17.3: the wrapper read the base's private _position and failed with
    # AttributeError on an iterator that never ran BaseIterator.__init__
    base = PublicOnly(4)
    with AsyncDataSetIterator(base, queue_size=2) as it:
        assert rows(it) == [(0, i) for i in range(4)]
        it.reset()
        assert rows(it) == [(1, i) for i in range(4)]


def test_position_is_public_and_read_only():
    base = GridIterator(5)
    assert base.position == 0
    base.next()
    base.next()
    assert base.position == 2
    with pytest.raises(AttributeError):
        base.position = 0
    base.reset()
    assert base.position == 0
    assert PublicOnly(3).position == 0  # the interface's default, without __init__


def test_wrapper_starts_a_random_access_base_where_it_stands(census):
    base = GridIterator(6)
    base.next()
    base.next()
    with AsyncDataSetIterator(base, queue_size=2, workers=2) as it:
        assert rows(it) == [(0, i) for i in range(2, 6)]
        assert it.state_dict()["base"]["position"] == 6


class StopsAt(GridIterator):
    """Batch ``stop_at`` raises ``exc_type`` from the base, as a buggy or exhausted
    source would (NoSuchElementError is itself a StopIteration)."""

    def __init__(self, n, stop_at, exc_type, indexable):
        super().__init__(n, None, indexable)
        self.stop_at, self.exc_type = stop_at, exc_type

    def _batch_at(self, index):
        if index == self.stop_at:
            raise self.exc_type(f"base stopped at batch {index}")
        return super()._batch_at(index)


@pytest.mark.parametrize("exc_type", [StopIteration, NoSuchElementError])
@pytest.mark.parametrize("workers", [1, 2, 3])
def test_stop_iteration_from_the_base_keeps_its_type_from_next(census, exc_type, workers):
    # issue 17.4: it came back as RuntimeError("generator raised StopIteration")
    base = StopsAt(6, 3, exc_type, indexable=workers > 1)
    with AsyncDataSetIterator(base, queue_size=2, workers=workers) as it:
        assert rows([it.next() for _ in range(3)]) == [(0, 0), (0, 1), (0, 2)]
        with pytest.raises(exc_type, match="base stopped at batch 3") as info:
            it.next()
        assert type(info.value) is exc_type
        assert not it.has_next()


@pytest.mark.parametrize("exc_type", [StopIteration, NoSuchElementError])
@pytest.mark.parametrize("workers", [1, 2, 3])
def test_stop_iteration_from_the_base_in_a_for_loop_as_the_base_itself(census, exc_type, workers):
    # a `for` over the base ends at the StopIteration; over the wrapper it must too,
    # with the same batches, never a RuntimeError
    direct = rows(StopsAt(6, 3, exc_type, indexable=workers > 1))
    base = StopsAt(6, 3, exc_type, indexable=workers > 1)
    with AsyncDataSetIterator(base, queue_size=2, workers=workers) as it:
        assert rows(it) == direct == [(0, 0), (0, 1), (0, 2)]


@pytest.mark.parametrize("workers", [0, -1, 257, 10**6])
def test_workers_out_of_range_is_refused_by_name(workers):
    # issue 17.9: workers=10**6 tried to start a million threads
    with pytest.raises(ValueError, match=rf"workers must be in \[1, 256\], got {workers}"):
        AsyncDataSetIterator(GridIterator(3), workers=workers)


@pytest.mark.parametrize("workers", [True, 2.0, "2"])
def test_workers_of_another_type_is_refused_by_name(workers):
    with pytest.raises(TypeError, match="workers must be an int"):
        AsyncDataSetIterator(GridIterator(3), workers=workers)


class Watch(GridIterator):
    """Records the native threads alive while each batch is built."""

    def __init__(self, n):
        super().__init__(n)
        self.alive = []

    def _batch_at(self, index):
        self.alive.append(native_thread_count())
        return super()._batch_at(index)


@pytest.mark.parametrize("n,start", [(3, 0), (5, 3), (1, 0)])
def test_never_more_producers_than_batches(census, n, start):
    before = native_thread_count()
    base = Watch(n)
    for _ in range(start):
        base.next()
    base.alive.clear()
    with AsyncDataSetIterator(base, queue_size=2, workers=256) as it:
        assert rows(it) == [(0, i) for i in range(start, n)]
        assert it.producers == n - start
    assert max(base.alive) - before <= n - start


def test_no_producer_for_an_empty_epoch(census):
    base = Watch(2)
    base.next()
    base.next()
    with AsyncDataSetIterator(base, queue_size=2, workers=4) as it:
        assert list(it) == []
        assert it.producers == 0
        it.reset()
        assert rows(it) == [(1, 0), (1, 1)]
        assert it.producers == 2
