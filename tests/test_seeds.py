"""Every ``seed=`` takes an int, None, a numpy SeedSequence or a numpy Generator (issue 16).

The mapping is the one :func:`fastiter._validate.seed_key` documents: a SeedSequence
stands for its first 64-bit word, a Generator for one 64-bit draw, None for fresh OS
entropy that the iterator records in ``state_dict()['seed']``.
"""

import numpy as np
import pytest

from fastiter import (
    ArrayDataSetIterator,
    DataSet,
    IrisDataSetIterator,
    KFoldIterator,
    RandomDataSetIterator,
    SamplingDataSetIterator,
    kernels,
)
from fastiter._validate import seed_key

X = np.arange(40, dtype=np.float32).reshape(20, 2)
Y = np.eye(20, dtype=np.float32)


def _epoch(it):
    return [b.features.copy() for b in it]


ITERATORS = {
    "ArrayDataSetIterator": lambda s: ArrayDataSetIterator(X, Y, 4, shuffle=True, seed=s),
    "SamplingDataSetIterator": lambda s: SamplingDataSetIterator(DataSet(X, Y), 4, 3, seed=s),
    "RandomDataSetIterator": lambda s: RandomDataSetIterator(
        2, (3, 2), (3, 1), "RANDOM_UNIFORM", "ONE_HOT", seed=s
    ),
    "KFoldIterator": lambda s: KFoldIterator(4, DataSet(X, Y), seed=s),
    "IrisDataSetIterator": lambda s: IrisDataSetIterator(50, 150, shuffle=True, seed=s),
}


@pytest.mark.parametrize("name", sorted(ITERATORS))
def test_iterators_accept_every_seed_kind(name):
    make = ITERATORS[name]
    ss_key = seed_key("seed", np.random.SeedSequence(5))
    ref = _epoch(make(ss_key))
    for got in (_epoch(make(np.random.SeedSequence(5))), _epoch(make(np.random.SeedSequence(5)))):
        assert all(np.array_equal(a, b) for a, b in zip(got, ref)) and len(got) == len(ref)
    drawn = seed_key("seed", np.random.default_rng(3))
    via_gen = _epoch(make(np.random.default_rng(3)))
    assert all(np.array_equal(a, b) for a, b in zip(via_gen, _epoch(make(drawn))))
    fresh = make(None)
    recorded = fresh.state_dict()["seed"]
    assert isinstance(recorded, int)
    assert all(np.array_equal(a, b) for a, b in zip(_epoch(fresh), _epoch(make(recorded))))


def test_a_generator_is_advanced_so_two_iterators_differ_reproducibly():
    g = np.random.default_rng(9)
    a = ArrayDataSetIterator(X, Y, 20, shuffle=True, seed=g)
    b = ArrayDataSetIterator(X, Y, 20, shuffle=True, seed=g)
    assert a.state_dict()["seed"] != b.state_dict()["seed"]
    g2 = np.random.default_rng(9)
    a2 = ArrayDataSetIterator(X, Y, 20, shuffle=True, seed=g2)
    assert np.array_equal(a.next().features, a2.next().features)


def test_dataset_methods_accept_every_seed_kind():
    ds = DataSet(X, Y)
    for method in ("shuffle", "split_test_and_train", "sample"):

        def run(s, method=method):
            d = ds.copy()
            args = {"shuffle": (), "split_test_and_train": (0.5,), "sample": (5,)}[method]
            out = getattr(d, method)(*args, seed=s)
            if method == "shuffle":
                return d.features
            if method == "split_test_and_train":
                return out.train.features
            return out.features

        key = seed_key("seed", np.random.SeedSequence(2))
        assert np.array_equal(run(np.random.SeedSequence(2)), run(key)), method
        assert np.array_equal(
            run(np.random.default_rng(4)), run(seed_key("seed", np.random.default_rng(4)))
        ), method
        run(None)


def test_kernels_take_seed_sequences_and_generators():
    key = seed_key("seed", np.random.SeedSequence(8))
    np.testing.assert_array_equal(
        kernels.random_uniform(16, np.random.SeedSequence(8)), kernels.random_uniform(16, key)
    )
    np.testing.assert_array_equal(
        kernels.random_normal(16, np.random.default_rng(1)),
        kernels.random_normal(16, seed_key("seed", np.random.default_rng(1))),
    )


def test_rasm_takes_a_seed_sequence():
    from fastiter.netcdf import make_rasm

    a = make_rasm(2, 4, 5, seed=np.random.SeedSequence(1))
    b = make_rasm(2, 4, 5, seed=seed_key("seed", np.random.SeedSequence(1)))
    np.testing.assert_array_equal(a["Tair"].values, b["Tair"].values)


@pytest.mark.parametrize("bad", [1.5, "7", True, -1, 1 << 64, object()])
def test_bad_seeds_name_the_argument(bad):
    with pytest.raises((TypeError, ValueError), match="seed"):
        ArrayDataSetIterator(X, Y, 4, shuffle=True, seed=bad)
