"""Staging blocks of the series reader: the first batch of an epoch waits for little
more than its own steps, and the blocks are the same whichever way a batch is reached
(iteration, ``batch_at``, two producers)."""

import numpy as np
import pytest

import fastiter._ncaccess as access
from fastiter import AsyncDataSetIterator
from fastiter.netcdf import make_rasm, save_chunks
from fastiter.netcdf.plan import EpochOrder, SeriesPlan
from fastiter.netcdf.reader import NetCDFDataSetIterator


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    ds = make_rasm(n_time=60, ny=3, nx=4, seed=7)
    ds["Tlag"] = ds.Tair.shift(time=-1).fillna(-1.0)
    root = tmp_path_factory.mktemp("blocks")
    paths = save_chunks(ds, str(root), chunks={"time": 12}, parallel="serial", progress=False)
    return ds, paths


@pytest.fixture
def reads(monkeypatch):
    """Every read the access layer makes: ``(file index, lo, hi, variables)``."""
    log: list[tuple[int, int, int, slice]] = []
    real = access.VariableSource.read_into

    def spy(self, k, lo, hi, out, variables=slice(None)):
        log.append((k, lo, hi, variables))
        return real(self, k, lo, hi, out, variables)

    monkeypatch.setattr(access.VariableSource, "read_into", spy)
    return log


def steps_read(log):
    return sum(hi - lo for _, lo, hi, v in log if v.start in (None, 0))


WIN = dict(batch_size=4, window=6, stride=1, fill_value=0.0)


@pytest.mark.parametrize("kw", [WIN, dict(WIN, stride=2), dict(batch_size=5, fill_value=0.0)])
def test_the_first_batch_reads_about_its_own_steps(series, reads, kw):
    # 60 steps of a few columns fit one 32 MiB staging block, but a consumer should not
    # wait for all of them: the first batch's block holds about one batch of examples
    _, paths = series
    it = NetCDFDataSetIterator(paths, "Tair", drop_nan_columns=True, **kw)
    own = kw["batch_size"] * kw.get("stride", 1) + kw.get("window", 1) - 1
    for epoch in range(2):
        it.reset()
        reads.clear()
        it.next()
        assert 0 < steps_read(reads) <= own, f"epoch {epoch}: {reads}"
    it.close()


def test_blocks_ramp_up_to_the_full_size():
    # 1000 steps, full blocks of 100 starts, ramp from 8: 8, 16, 32, 64, then 100s
    plan = SeriesPlan([500, 500], [0], None, 1, 100, first_steps=8)
    sizes = np.diff(plan.block_bounds)
    assert list(sizes[:5]) == [8, 16, 32, 64, 100]
    assert set(sizes[4:-1]) == {100} and sizes.sum() == 1000
    # no ramp asked (an explicit read_size): uniform blocks, as before
    assert set(np.diff(SeriesPlan([500, 500], [0], None, 1, 100).block_bounds)) == {100}
    # a ramp longer than the series, and a first block above the full size
    assert list(np.diff(SeriesPlan([10], [0], None, 1, 100, first_steps=4).block_bounds)) == [
        4,
        6,
    ]
    assert set(np.diff(SeriesPlan([300], [0], None, 1, 100, first_steps=500).block_bounds)) == {100}


@pytest.mark.parametrize("shuffle", [False, True])
def test_every_example_once_per_epoch_with_ramped_blocks(shuffle):
    plan = SeriesPlan([40, 40, 40], [0, 2], 6, 2, 20, first_steps=4)
    assert plan.num_blocks > 3
    for epoch in range(3):
        order = EpochOrder(plan, shuffle, 5, epoch, 2)
        assert sorted(order.examples) == list(range(plan.num_examples))
        again = EpochOrder(plan, shuffle, 5, epoch, 2)
        np.testing.assert_array_equal(order.examples, again.examples)
        # each group holds exactly the examples of its blocks
        for g, members in enumerate(order.groups):
            lo, hi = order.group_bounds[g], order.group_bounds[g + 1]
            mine = set(order.examples[lo:hi].tolist())
            want = set()
            for b in members:
                want |= set(range(plan.block_bounds[b], plan.block_bounds[b + 1]))
            assert mine == want


def _spans(log):
    return sorted((k, lo, hi) for k, lo, hi, v in log if v.start in (None, 0))


@pytest.mark.parametrize("shuffle", [False, True])
def test_blocks_are_the_same_by_random_access_and_by_iteration(series, reads, shuffle):
    _, paths = series
    kw = dict(WIN, shuffle=shuffle, seed=13)
    it = NetCDFDataSetIterator(paths, "Tair", labels="Tlag", **kw)
    it.reset()
    reads.clear()
    seq = [(b.features, b.labels) for b in it]
    by_iteration = _spans(reads)
    # each block is read once an epoch: no span twice
    assert len(by_iteration) == len(set(by_iteration))
    # batch i reached alone, from a fresh iterator each time, in a scrambled order:
    # it reads spans of the epoch's blocks, and together they are exactly those blocks
    reached: set = set()
    for i in np.random.default_rng(3).permutation(len(seq)):
        fresh = NetCDFDataSetIterator(paths, "Tair", labels="Tlag", **kw)
        fresh.load_state_dict(it.state_dict() | {"position": 0})
        reads.clear()
        b = fresh.batch_at(int(i))
        np.testing.assert_array_equal(b.features, seq[i][0])
        np.testing.assert_array_equal(b.labels, seq[i][1])
        mine = _spans(reads)
        assert set(mine) <= set(by_iteration)
        reached |= set(mine)
        fresh.close()
    assert reached == set(by_iteration)
    # two producers read the same blocks, each once, and give the same batches
    base = NetCDFDataSetIterator(paths, "Tair", labels="Tlag", **kw)
    base.reset()  # epoch 1, as `it`
    with AsyncDataSetIterator(base, workers=2) as a:
        reads.clear()
        got = []
        for b in a:
            got.append((b.features.copy(), b.labels.copy()))
            if len(got) == len(seq):
                break
        assert _spans(reads) == by_iteration
    for (gx, gy), (sx, sy) in zip(got, seq):
        np.testing.assert_array_equal(gx, sx)
        np.testing.assert_array_equal(gy, sy)
    it.close()
    base.close()
