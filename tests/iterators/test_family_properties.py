"""Cross-cutting properties of the family: the R/A flags of the spec's table, re-batching
and splitting invariants under hypothesis."""
import os
import tempfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastiter import (
    ArrayDataSetIterator,
    CachingDataSetIterator,
    DataSet,
    DataSetIteratorSplitter,
    DummyBlockDataSetIterator,
    EarlyTerminationDataSetIterator,
    FileDataSetIterator,
    FileSplitDataSetIterator,
    JointMultiDataSetIterator,
    JointParallelDataSetIterator,
    KFoldIterator,
    MultiDataSetIteratorAdapter,
    MultiDataSetWrapperIterator,
    MultipleEpochsIterator,
    ReconstructionDataSetIterator,
    SamplingDataSetIterator,
    WorkspacesShieldDataSetIterator,
)


class Flags(ArrayDataSetIterator):
    """A base whose flags are chosen by the test."""

    def __init__(self, reset, async_):
        super().__init__(np.arange(4.0)[:, None], None, 1)
        self._r, self._a = reset, async_

    def reset_supported(self):
        return self._r

    def async_supported(self):
        return self._a


def flags(it):
    return it.reset_supported(), it.async_supported()


@pytest.mark.parametrize("r,a", [(True, True), (True, False), (False, True), (False, False)])
def test_wrappers_report_the_base_flags(r, a):
    for wrap in (lambda b: EarlyTerminationDataSetIterator(b, 2),
                 WorkspacesShieldDataSetIterator, ReconstructionDataSetIterator,
                 lambda b: MultipleEpochsIterator(b, 1),
                 MultiDataSetIteratorAdapter,
                 lambda b: MultiDataSetWrapperIterator(MultiDataSetIteratorAdapter(b)),
                 DummyBlockDataSetIterator):
        assert flags(wrap(Flags(r, a))) == (r, a)
    assert flags(JointMultiDataSetIterator(-1, Flags(r, a), Flags(True, True))) == (r, a)
    if r:
        views = DataSetIteratorSplitter(Flags(r, a), 4, 0.5).get_iterators()
        assert all(flags(v) == (r, a) for v in views)


def test_fixed_flags_from_the_spec(tmp_path):
    ds = DataSet(np.arange(6.0)[:, None], np.zeros((6, 1)))
    assert flags(KFoldIterator(2, ds)) == (True, False)
    assert flags(SamplingDataSetIterator(ds, 2, 2)) == (True, False)
    assert flags(MultipleEpochsIterator(ds, 2)) == (True, False)
    assert flags(FileSplitDataSetIterator(["x"], lambda p: ds)) == (True, True)
    (tmp_path / "a.npy").write_bytes(b"")
    assert flags(FileDataSetIterator(tmp_path, loader=lambda p: ds)) == (True, True)
    assert flags(CachingDataSetIterator(Flags(False, False))) == (True, True)
    assert flags(CachingDataSetIterator(Flags(True, True), allow_prefetching=False)) == \
        (True, False)
    jp = JointParallelDataSetIterator([Flags(True, True), Flags(False, True)])
    assert flags(jp) == (False, False)


@settings(max_examples=40)
@given(st.lists(st.integers(0, 9), min_size=1, max_size=8), st.integers(1, 12))
def test_file_rebatching_is_a_partition_in_order(sizes, batch):
    with tempfile.TemporaryDirectory() as d:
        store, start = {}, 0
        for i, n in enumerate(sizes):
            path = os.path.join(d, f"f{i}.bin")
            open(path, "wb").close()
            store[path] = DataSet(np.arange(start, start + n, dtype=np.float64)[:, None])
            start += n
        it = FileDataSetIterator(d, batch, loader=store.__getitem__)
        out = [b.features[:, 0].astype(int).tolist() for b in it]
    assert sum(out, []) == list(range(start))  # every example once, in file order
    assert all(len(b) == batch for b in out[:-1])
    assert out == [] if start == 0 else 0 < len(out[-1]) <= batch


@given(st.integers(1, 60), st.lists(st.integers(1, 9), min_size=1, max_size=5))
def test_split_views_partition_the_base(n_extra, parts):
    total = sum(parts)
    base = ArrayDataSetIterator(np.arange(total + n_extra, dtype=float)[:, None], None, 1)
    views = DataSetIteratorSplitter(base, splits=parts).get_iterators()
    seen = []
    for v in reversed(views):  # any order: each view seeks the base
        seen = [float(ds.features[0, 0]) for ds in v] + seen
    assert seen == list(range(total))
