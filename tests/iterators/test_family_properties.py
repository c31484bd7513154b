"""Cross-cutting properties of the family: the R/A flags of the spec's table, re-batching
and splitting invariants under hypothesis."""

import os
import tempfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
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
    for wrap in (
        lambda b: EarlyTerminationDataSetIterator(b, 2),
        WorkspacesShieldDataSetIterator,
        ReconstructionDataSetIterator,
        lambda b: MultipleEpochsIterator(b, 1),
        MultiDataSetIteratorAdapter,
        lambda b: MultiDataSetWrapperIterator(MultiDataSetIteratorAdapter(b)),
        DummyBlockDataSetIterator,
    ):
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
    assert flags(CachingDataSetIterator(Flags(True, True), allow_prefetching=False)) == (
        True,
        False,
    )
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


class CountCalls:
    def __init__(self):
        self.calls = 0

    def pre_process(self, batch):
        self.calls += 1


def _makers(tmp):
    from fastiter import (
        FileMultiDataSetIterator,
        RandomDataSetIterator,
        RandomMultiDataSetIterator,
    )

    ds = DataSet(np.arange(10.0)[:, None], np.zeros((10, 1)))
    for i in range(3):
        p = os.path.join(tmp, f"{i}.h5")
        if not os.path.exists(p):
            ds.get_range(3 * i, 3 * i + 3).save(p)

    def base():
        return ArrayDataSetIterator(np.arange(10.0)[:, None], None, 3)

    return {
        "early": lambda: EarlyTerminationDataSetIterator(base(), 3),
        "shield": lambda: WorkspacesShieldDataSetIterator(base()),
        "reconstruction": lambda: ReconstructionDataSetIterator(base()),
        "epochs": lambda: MultipleEpochsIterator(base(), 2),
        "adapter": lambda: MultiDataSetIteratorAdapter(base()),
        "wrapper": lambda: MultiDataSetWrapperIterator(MultiDataSetIteratorAdapter(base())),
        "split": lambda: DataSetIteratorSplitter(base(), 4, 0.5).get_train_iterator(),
        "kfold": lambda: KFoldIterator(3, ds, seed=1),
        "sampling": lambda: SamplingDataSetIterator(ds, 2, 3, seed=1),
        "random": lambda: RandomDataSetIterator(3, (2, 2), (2, 2), "ONES", "ONE_HOT", seed=1),
        "random-multi": lambda: (
            RandomMultiDataSetIterator.Builder(3, seed=1).add_features((2, 2), "BINARY").build()
        ),
        "joint": lambda: JointMultiDataSetIterator(-1, base(), base()),
        "parallel": lambda: JointParallelDataSetIterator([base(), base()], "RELOCATE"),
        "files": lambda: FileDataSetIterator(tmp, 2),
        "files-one": lambda: FileDataSetIterator(tmp),
        "files-multi": lambda: FileMultiDataSetIterator(
            tmp, 4, loader=lambda p: DataSet.load(p).to_multi_data_set()
        ),
        "file-split": lambda: FileSplitDataSetIterator(
            sorted(os.path.join(tmp, f) for f in os.listdir(tmp)), DataSet.load
        ),
        "caching": lambda: CachingDataSetIterator(base()),
    }


MAKERS = [
    "early",
    "shield",
    "reconstruction",
    "epochs",
    "adapter",
    "wrapper",
    "split",
    "kfold",
    "sampling",
    "random",
    "random-multi",
    "joint",
    "parallel",
    "files",
    "files-one",
    "files-multi",
    "file-split",
    "caching",
]


def test_makers_cover_the_list(tmp_path):
    assert sorted(_makers(str(tmp_path))) == sorted(MAKERS)


@pytest.mark.parametrize("name", MAKERS)
def test_pre_processor_exactly_once_per_batch(tmp_path, name):
    it = _makers(str(tmp_path))[name]()
    pp = CountCalls()
    it.pre_processor = pp
    n = 0
    for _epoch in range(2):
        for _ in it:
            n += 1
    assert n > 0 and pp.calls == n
    if it.indexable:
        it.batch_at(0)
        assert pp.calls == n + 1


@pytest.mark.parametrize("name", MAKERS)
def test_bad_states_are_refused_before_anything_changes(tmp_path, name):
    make = _makers(str(tmp_path))[name]
    it = make()
    it.next()
    state = it.state_dict()
    expected = make()
    expected.next()
    for key in [k for k in state if k not in ("type", "seed", "termination_point")]:
        bad = {k: v for k, v in state.items() if k != key}
        with pytest.raises(ValueError, match="missing"):
            it.load_state_dict(bad)
    with pytest.raises(ValueError, match="not a"):
        it.load_state_dict({**state, "type": "SomethingElse"})
    with pytest.raises(ValueError, match=">= 0"):
        it.load_state_dict({**state, "position": -1})
    assert it.next() == expected.next()  # the refused loads left it where it was


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.integers(0, 7), min_size=1, max_size=6), st.integers(1, 9), st.booleans(), st.data()
)
def test_file_rebatching_resumes_anywhere(resumes, sizes, batch, shuffle, data):
    # (the fixture is a pure function, so sharing it between examples is safe)
    with tempfile.TemporaryDirectory() as d:
        store, start = {}, 0
        for i, n in enumerate(sizes):
            path = os.path.join(d, f"f{i}.bin")
            open(path, "wb").close()
            store[path] = DataSet(np.arange(start, start + n, dtype=np.float64)[:, None])
            start += n

        def make():
            return FileDataSetIterator(d, batch, shuffle=shuffle, seed=5, loader=store.__getitem__)

        # every example: one epoch is every row once, in full batches but the last
        # (none at all when the files are empty), and then a resume from any batch
        batches = list(make())
        rows = sorted(v for ds in batches for v in ds.features[:, 0].tolist())
        assert rows == list(range(start))
        assert [ds.num_examples() for ds in batches] == [batch] * (start // batch) + (
            [start % batch] if start % batch else []
        )
        if batches:
            resumes(make, data.draw(st.integers(1, 2 * len(batches) - 1)), epochs=2)
        else:
            assert not make().has_next()


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.integers(1, 5), min_size=1, max_size=3),
    st.sampled_from(["STOP_EVERYONE", "PASS_NULL", "RESET", "RELOCATE"]),
    st.data(),
)
def test_joint_parallel_resumes_anywhere(resumes, lengths, policy, data):
    def make():
        return JointParallelDataSetIterator(
            [
                ArrayDataSetIterator(np.arange(n, dtype=float)[:, None] + 10 * i, None, 1)
                for i, n in enumerate(lengths)
            ],
            policy,
        )

    # every length >= 1, so each policy gives at least one batch per epoch to resume in
    total = 2 * len(list(make()))
    assert total >= 2
    resumes(make, data.draw(st.integers(1, total - 1)), epochs=2)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(1, 6), min_size=1, max_size=4), st.data())
def test_split_views_resume_anywhere(resumes, parts, data):
    part = data.draw(st.integers(0, len(parts) - 1))

    def make():
        base = ArrayDataSetIterator(np.arange(sum(parts), dtype=float)[:, None], None, 1)
        return DataSetIteratorSplitter(base, splits=parts).get_iterators()[part]

    resumes(make, data.draw(st.integers(1, 2 * parts[part] - 1)), epochs=2)
