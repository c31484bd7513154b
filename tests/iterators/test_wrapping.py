"""Wrappers by composition (issue 18, step 4): every wrapper holds a public ``base`` and
uses only its public interface; ``position`` is public; ``shard()`` is a free function
that the interfaces module does not import."""

from __future__ import annotations

import ast
import pathlib
import sys

import numpy as np
import pytest

import fastiter
from fastiter import (
    ArrayDataSetIterator,
    AsyncDataSetIterator,
    AsyncShieldDataSetIterator,
    CachingDataSetIterator,
    DataSet,
    DummyBlockDataSetIterator,
    EarlyTerminationDataSetIterator,
    MultiDataSetIteratorAdapter,
    MultiDataSetWrapperIterator,
    MultipleEpochsIterator,
    ReconstructionDataSetIterator,
    WorkspacesShieldDataSetIterator,
)
from fastiter.iterators.shard import ShardedIterator, shard

X = np.arange(40.0).reshape(20, 2)
Y = np.eye(2)[np.arange(20) % 2]


class Watched(ArrayDataSetIterator):
    """An indexable iterator that records every private attribute another object reads
    or writes on it (its own methods may use them freely)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        object.__setattr__(self, "foreign", set())

    def _note(self, name):
        if name.startswith("_") and not name.startswith("__"):
            caller = sys._getframe(2).f_locals.get("self")
            if caller is not self:
                object.__getattribute__(self, "foreign").add(name)

    def __getattribute__(self, name):
        object.__getattribute__(self, "_note")(name)
        return object.__getattribute__(self, name)

    def __setattr__(self, name, value):
        if "foreign" in self.__dict__:
            self._note(name)
        object.__setattr__(self, name, value)


class AddOne:
    def pre_process(self, ds):
        ds.features += 1


def features(batches):
    return [ds.features[:, 0].tolist() for ds in batches]


def exercise(wrapper):
    """Everything a user does with an iterator: epochs, queries, pre-processor, state."""
    first = features(wrapper)
    if wrapper.reset_supported():
        wrapper.reset()
        features(wrapper)
    wrapper.pre_processor = AddOne()
    assert wrapper.pre_processor is not None
    if wrapper.reset_supported():
        wrapper.reset()
        wrapper.next()
        state = wrapper.state_dict()
        wrapper.load_state_dict(state)
        features(wrapper)
    for query in ("batch", "input_columns", "total_outcomes", "get_labels"):
        try:
            getattr(wrapper, query)()
        except NotImplementedError:  # e.g. an adapter over a MultiDataSet has no batch size
            pass
    if wrapper.indexable:
        wrapper.batch_at(0)
    return first


WRAPPERS = {
    "early_termination": lambda b: EarlyTerminationDataSetIterator(b, 3),
    "workspaces_shield": WorkspacesShieldDataSetIterator,
    "reconstruction": ReconstructionDataSetIterator,
    "multiple_epochs": lambda b: MultipleEpochsIterator(b, 2),
    "caching": CachingDataSetIterator,
    "async_shield": AsyncShieldDataSetIterator,
    "async": lambda b: AsyncDataSetIterator(b, queue_size=2),
    "async_workers": lambda b: AsyncDataSetIterator(b, queue_size=2, workers=2),
    "shard": lambda b: shard(b, 1, 2),
    "adapter_round_trip": lambda b: MultiDataSetWrapperIterator(MultiDataSetIteratorAdapter(b)),
}


@pytest.mark.parametrize("name", sorted(WRAPPERS))
def test_every_wrapper_holds_a_public_base_and_uses_only_its_public_interface(name, census):
    base = Watched(X, Y, batch_size=4, shuffle=True, seed=2)
    wrapper = WRAPPERS[name](base)
    try:
        exercise(wrapper)
    finally:
        close = getattr(wrapper, "close", None)
        if close is not None:
            close()
    inner = wrapper.base.base if name == "adapter_round_trip" else wrapper.base
    assert inner is base
    assert base.foreign == set(), f"{name} touched the base's private {base.foreign}"


def test_block_wrapper_holds_a_public_base_too():
    base = Watched(X, Y, batch_size=4)
    blocks = DummyBlockDataSetIterator(base)
    blocks.pre_processor = AddOne()
    assert len(blocks.next_block(3)) == 3
    blocks.load_state_dict(blocks.state_dict())
    assert blocks.base is base and base.foreign == set()


def test_wrapper_position_counts_its_own_batches_and_is_read_only():
    base = ArrayDataSetIterator(X, Y, batch_size=10)  # 2 batches per pass
    it = MultipleEpochsIterator(base, 3)
    assert it.position == 0
    batches = [it.next() for _ in range(5)]
    assert len(batches) == 5
    assert it.position == 5 and base.position == 1  # the wrapper's, not the base's
    with pytest.raises(AttributeError):
        it.position = 0
    it.reset()
    assert it.position == 0 and base.position == 0
    assert it.state_dict()["position"] == it.position


def test_shard_is_a_free_function_and_the_method_is_the_same_call():
    def make():
        return ArrayDataSetIterator(X, Y, batch_size=3, shuffle=True, seed=9)

    whole = features(make())
    for rank in range(3):
        via_function = fastiter.shard(make(), rank, 3)
        via_method = make().shard(rank, 3)
        assert isinstance(via_function, ShardedIterator)
        assert features(via_function) == features(via_method) == whole[rank::3]
    assert "shard" in fastiter.__all__ and fastiter.shard is shard


def test_a_sharded_iterator_resumes_with_its_base(resumes):
    resumes(
        lambda: shard(ArrayDataSetIterator(X, Y, batch_size=2, shuffle=True, seed=4), 0, 2),
        3,
        epochs=2,
    )


def test_the_async_shield_resumes():
    # the shield's state nests its base's, so it can be restored (it could not before)
    resumed = AsyncShieldDataSetIterator(ArrayDataSetIterator(X, Y, 4, shuffle=True, seed=1))
    ref = features(AsyncShieldDataSetIterator(ArrayDataSetIterator(X, Y, 4, shuffle=True, seed=1)))
    resumed.next(), resumed.next()
    state = resumed.state_dict()
    fresh = AsyncShieldDataSetIterator(ArrayDataSetIterator(X, Y, 4, shuffle=True, seed=1))
    fresh.load_state_dict(state)
    assert fresh.position == 2
    assert features(fresh) == ref[2:]


def test_closing_a_wrapper_closes_an_async_base(census):
    inner = AsyncDataSetIterator(ArrayDataSetIterator(X, Y, batch_size=2), queue_size=2)
    outer = EarlyTerminationDataSetIterator(inner, 5)
    outer.next()
    outer.close()
    assert not inner.has_next()  # closed: exhausted until reset()


def test_skip_is_public_and_checks_its_argument():
    it = ArrayDataSetIterator(X, Y, batch_size=4)
    it.skip(3)
    assert it.position == 3
    assert it.next().features[0, 0] == X[12, 0]
    with pytest.raises(ValueError, match="n must be >= 0, got -1"):
        it.skip(-1)
    for bad in (True, 1.5):
        with pytest.raises(TypeError, match="n must be an integer >= 0"):
            it.skip(bad)
    with pytest.raises(ValueError, match="cannot skip"):
        ArrayDataSetIterator(X, Y, batch_size=4).skip(6)


def _imports(path: pathlib.Path) -> set[str]:
    """Modules of fastiter.iterators that ``path`` imports anywhere (functions too)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        out.update(n.rsplit(".", 1)[-1] for n in names if n.startswith("fastiter.iterators."))
    return out


def test_base_imports_neither_the_shard_nor_the_wrappers():
    """``it.shard()`` works without base.py importing shard.py (the circle the redesign
    broke); tests/test_import_graph.py checks the package as a whole for circles."""
    base = pathlib.Path(fastiter.iterators.__file__).parent / "base.py"
    assert not (_imports(base) & {"shard", "_wrapping"})


def test_wrapper_base_refuses_a_non_iterator_naming_the_argument():
    with pytest.raises(TypeError, match="base must be a DataSetIterator, got DataSet"):
        EarlyTerminationDataSetIterator(DataSet(X, Y), 2)
