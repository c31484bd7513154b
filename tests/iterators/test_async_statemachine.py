"""Random schedules of the async iterator, checked against a closed-form model.

Each example builds an AsyncDataSetIterator over a GridIterator (batch i of epoch e is
[[e, i]]), possibly failing at a random batch (with an ordinary error, a StopIteration or
a NoSuchElementError, which must reach the consumer with its own type: next() raises it
and a for-loop ends there, as over the base itself), and runs a random sequence of next,
reset, close and for-loops broken at a random point.  Every returned batch is checked
against the model (so none is lost, duplicated or out of order), and after every
schedule no Python or native thread is left alive.
"""

from __future__ import annotations

import faulthandler
from datetime import timedelta

import pytest
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from iterators.test_async_support import Boom, GridIterator, ThreadCensus

from fastiter import AsyncDataSetIterator, NoSuchElementError


class AsyncSchedule(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.it = None

    @initialize(
        n=st.integers(0, 9),
        fail_at=st.none() | st.integers(0, 9),
        fail_with=st.sampled_from([Boom, StopIteration, NoSuchElementError]),
        queue_size=st.integers(2, 4),
        workers=st.integers(1, 3),
        indexable=st.booleans(),
        reuse=st.booleans(),
    )
    def build(self, n, fail_at, fail_with, queue_size, workers, indexable, reuse):
        self.census = ThreadCensus()
        self.n, self.fail_at, self.fail_with = n, fail_at, fail_with
        self.base = GridIterator(n, fail_at, indexable, fail_with)
        self.it = AsyncDataSetIterator(self.base, queue_size, workers=workers, reuse_buffers=reuse)
        self.epoch = 0
        self.pos = 0  # batches the model says were returned this epoch
        self.over = False  # epoch ended by an error or close()
        self.delivered = []  # (epoch, index) pairs, in order

    # --- the model ----------------------------------------------------------------------
    def _expect_more(self):
        return not self.over and self.pos < self.n

    def _take_one(self, ds):
        got = (int(ds.features[0, 0]), int(ds.features[0, 1]))
        assert got == (self.epoch, self.pos), f"expected batch {(self.epoch, self.pos)}, got {got}"
        self.delivered.append(got)
        self.pos += 1

    # --- rules --------------------------------------------------------------------------
    @rule()
    def next(self):
        if not self._expect_more():
            assert not self.it.has_next()
            with pytest.raises(NoSuchElementError):
                self.it.next()
        elif self.pos == self.fail_at:
            with pytest.raises(self.fail_with, match=f"batch {self.pos}") as info:
                self.it.next()
            assert type(info.value) is self.fail_with
            self.over = True
        else:
            self._take_one(self.it.next())

    @rule()
    def reset(self):
        self.it.reset()
        self.epoch += 1
        self.pos = 0
        self.over = False

    @rule()
    def close(self):
        self.it.close()
        self.over = True
        assert not self.it.has_next()

    @rule(stop_after=st.integers(1, 10))
    def for_loop_with_break(self, stop_after):
        if self.pos > 0:  # __iter__ starts a new epoch once this one has begun
            self.epoch += 1
            self.pos = 0
            self.over = False
        taken = 0
        try:
            for ds in self.it:
                self._take_one(ds)  # a batch the loop body saw is consumed
                taken += 1
                if taken == stop_after:
                    break
        except Boom:
            assert self.pos == self.fail_at
            self.over = True
            return
        # the loop ran out (the epoch really ended) while batches were still due: only a
        # StopIteration kind ends a loop early, at its batch
        if taken < stop_after and self._expect_more():
            assert self.pos == self.fail_at and self.fail_with is not Boom
            self.over = True

    @invariant()
    def order_so_far(self):
        if self.it is not None:
            for e in range(self.epoch + 1):
                seq = [i for (ep, i) in self.delivered if ep == e]
                assert seq == list(range(len(seq))), f"epoch {e} delivered {seq}"

    def teardown(self):
        if self.it is None:
            return
        self.it.close()
        self.it = None
        self.census.assert_back()  # close() alone must have joined every thread


AsyncSchedule.TestCase.settings = settings(
    max_examples=500,
    stateful_step_count=12,
    deadline=timedelta(seconds=10),
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
)  # no slow shrinking


def test_async_schedules():
    faulthandler.dump_traceback_later(900, exit=True)  # a hang fails loudly, not forever
    try:
        AsyncSchedule.TestCase("runTest").runTest()
    finally:
        faulthandler.cancel_dump_traceback_later()
