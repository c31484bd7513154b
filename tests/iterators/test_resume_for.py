"""A ``for`` loop after ``load_state_dict`` continues the restored epoch (issue 16), for
every iterator: ones that inherit ``load_state_dict`` from a mixin included."""

import numpy as np
import pytest

from fastiter import ArrayDataSetIterator, AsyncDataSetIterator
from fastiter.iterators.base import DataSetIterator

X = np.arange(40, dtype=np.float32).reshape(20, 2)


def _drain(it):
    out = []
    while it.has_next():
        out.append(it.next())
    return out


def _firsts(batches):
    return [float(b.features[0, 0]) for b in batches]


@pytest.mark.parametrize("workers", [1, 2])
def test_async_load_state_dict_then_for_continues_the_epoch(workers):
    ref_base = ArrayDataSetIterator(X, batch_size=4, shuffle=True, seed=5)
    with AsyncDataSetIterator(ref_base, queue_size=2, workers=workers) as ref:
        first_two = [ref.next(), ref.next()]
        state = ref.state_dict()
        rest = _firsts(_drain(ref))
    assert len(rest) == 3
    base = ArrayDataSetIterator(X, batch_size=4, shuffle=True, seed=5)
    with AsyncDataSetIterator(base, queue_size=2, workers=workers) as resumed:
        for _ in resumed:  # one full epoch first, so a restart would reshuffle
            pass
        resumed.load_state_dict(state)
        assert _firsts(resumed) == rest  # not a new, reshuffled epoch
        assert len(_firsts(resumed)) == 5  # the next `for` is a new epoch
    assert len(first_two) == 2


def test_a_mixin_providing_load_state_dict_also_marks_the_resume():
    class Delegating:
        """Restores its own state without calling BaseIterator.load_state_dict."""

        def state_dict(self):
            return {
                "epoch": self._epoch,
                "position": self._position,
                "base": self.inner.state_dict(),
            }

        def load_state_dict(self, state):
            self.inner.load_state_dict(state["base"])
            self._epoch, self._position = state["epoch"], state["position"]

    class Passthrough(Delegating, DataSetIterator):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def has_next(self):
            return self.inner.has_next()

        def _next_batch(self, num):
            return self.inner.next(num)

        def reset_supported(self):
            return True

        def _restart(self):
            self.inner.reset()

    it = Passthrough(ArrayDataSetIterator(X, batch_size=4, shuffle=True, seed=2))
    it.next(), it.next()
    state = it.state_dict()
    expected = _firsts(_drain(it))
    for _ in it:
        pass
    it.load_state_dict(state)
    assert _firsts(it) == expected
