"""``prefetch()`` checkpoints where its source can (issue 16): the state is the consumer's
position, not the producer's, which runs ahead."""

import numpy as np
import pytest

from fastiter import ArrayDataSetIterator, prefetch

X = np.arange(60, dtype=np.float32).reshape(30, 2)


def _firsts(batches):
    return [float(b.features[0, 0]) for b in batches]


def test_prefetch_state_resumes_a_fastiter_iterator_exactly():
    ref = _firsts(ArrayDataSetIterator(X, batch_size=4, shuffle=True, seed=3))
    with prefetch(ArrayDataSetIterator(X, batch_size=4, shuffle=True, seed=3), 4) as p:
        head = _firsts([next(p), next(p), next(p)])
        state = p.state_dict()  # the producer is batches ahead by now
    assert head == ref[:3]
    with prefetch(ArrayDataSetIterator(X, batch_size=4, shuffle=True, seed=3), 4) as q:
        q.load_state_dict(state)
        assert _firsts(q) == ref[3:]


def test_prefetch_state_before_any_item_and_after_the_end():
    it = ArrayDataSetIterator(X, batch_size=8)
    with prefetch(it, 2) as p:
        start = p.state_dict()
        assert len(list(p)) == 4
        end = p.state_dict()
    with prefetch(ArrayDataSetIterator(X, batch_size=8), 2) as q:
        q.load_state_dict(start)
        assert len(list(q)) == 4
    with prefetch(ArrayDataSetIterator(X, batch_size=8), 2) as q:
        q.load_state_dict(end)
        assert list(q) == []


def test_prefetch_state_of_any_stateful_source():
    class Counter:
        """Not a fastiter iterator: anything with state_dict/load_state_dict."""

        def __init__(self, n):
            self.n, self.i = n, 0

        def __iter__(self):
            while self.i < self.n:
                self.i += 1
                yield self.i - 1

        def state_dict(self):
            return {"i": self.i}

        def load_state_dict(self, state):
            self.i = state["i"]

    with prefetch(Counter(10), 3) as p:
        assert [next(p) for _ in range(4)] == [0, 1, 2, 3]
        state = p.state_dict()
    assert state["source"] == {"i": 4}
    with prefetch(Counter(10), 3) as q:
        q.load_state_dict(state)
        assert list(q) == [4, 5, 6, 7, 8, 9]


def test_prefetch_of_a_stateless_source_refuses_clearly():
    with prefetch(iter(range(5)), 2) as p:
        next(p)
        with pytest.raises(
            TypeError, match=r"state_dict.*range_iterator|range_iterator.*state_dict"
        ):
            p.state_dict()
        with pytest.raises(TypeError, match="range_iterator"):
            p.load_state_dict({"type": "Prefetcher", "source": {}})


def test_prefetch_refuses_a_foreign_state():
    with (
        prefetch(ArrayDataSetIterator(X, batch_size=8), 2) as p,
        pytest.raises(ValueError, match="Prefetcher"),
    ):
        p.load_state_dict({"epoch": 0, "position": 1})


def test_prefetch_lives_in_its_own_module_and_old_paths_still_work():
    # issue 18 step 4: prefetch moved out of async_shield; what users imported still works
    import fastiter
    from fastiter.iterators import async_shield, prefetcher
    from fastiter.iterators import prefetch as from_package

    assert prefetcher.prefetch is fastiter.prefetch is from_package is async_shield.prefetch
    assert prefetcher.Prefetcher is async_shield.Prefetcher
    assert prefetcher.__all__ == ["Prefetcher", "prefetch"]
    with prefetch((np.full(3, i) for i in range(4)), 2) as p:  # arrays: no == on items
        assert [int(a[0]) for a in p] == [0, 1, 2, 3]
