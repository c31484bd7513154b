"""Fixtures shared by the iterator tests: the resume check every iterator must pass, and
the census of native threads that every async test ends with."""

import gc
import json

import pytest
from iterators.test_async_support import ThreadCensus


def run(it, epochs=1, limit=None):
    """Batches of ``epochs`` passes (reset between them), stopping after ``limit``."""
    out = []
    for e in range(epochs):
        if e:
            it.reset()
        while it.has_next():
            if limit is not None and len(out) == limit:
                return out
            out.append(it.next())
    return out


def assert_resumes(make, k, epochs=1):
    """Run ``k`` batches, save the state through JSON, load it into a fresh iterator:
    the remaining batches must equal those of an uninterrupted run."""
    full = run(make(), epochs)
    assert 0 < k < len(full), (k, len(full))
    first = make()
    head = run(first, epochs, limit=k)
    assert head == full[:k]
    state = json.loads(json.dumps(first.state_dict()))
    fresh = make()
    fresh.load_state_dict(state)
    done_epochs = state["epoch"]
    tail = run(fresh, epochs - done_epochs)
    assert len(tail) == len(full) - k
    assert tail == full[k:]
    return full


@pytest.fixture
def resumes():
    return assert_resumes


@pytest.fixture
def census():
    """Counts native threads now; after the test (and a GC) every one must be gone."""
    c = ThreadCensus()
    yield c
    gc.collect()
    c.assert_back()
