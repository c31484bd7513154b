"""A state without a seed, loaded into an iterator whose order or data come from its seed.

A hand-written state, or one saved from an unshuffled iterator, has no seed.
ArrayDataSetIterator always refused it with a message.  The file loaders, KFoldIterator,
SamplingDataSetIterator and the dataset iterators ended in numpy's ``TypeError: object
of type 'NoneType' has no len()`` (sampling only at the next batch, the dataset
iterators only at the next epoch); RandomDataSetIterator silently generated other data
than the saved run's.  Each refuses now with the same message and stays as it was.
"""

from __future__ import annotations

import numpy as np
import pytest

from fastiter import (
    ArrayDataSetIterator,
    DataSet,
    DataSetLoaderIterator,
    IrisDataSetIterator,
    KFoldIterator,
    RandomDataSetIterator,
    SamplingDataSetIterator,
)


def _saved(tmp_path):
    paths = []
    for i in range(4):
        path = tmp_path / f"ds{i}.h5"
        DataSet(np.full((2, 2), float(i)), np.eye(2)[[0, 1]]).save(path, overwrite=True)
        paths.append(path)
    return paths


def _data():
    return DataSet(np.arange(24.0).reshape(12, 2), np.eye(3)[np.arange(12) % 3])


FACTORIES = {
    "array": lambda tmp: ArrayDataSetIterator(
        _data().features, _data().labels, 3, shuffle=True, seed=5
    ),
    "loader": lambda tmp: DataSetLoaderIterator(_saved(tmp), shuffle=True, seed=5),
    "kfold": lambda tmp: KFoldIterator(3, _data(), seed=5),
    "sampling": lambda tmp: SamplingDataSetIterator(_data(), 4, 12, seed=5),
    "iris": lambda tmp: IrisDataSetIterator(50, 150, shuffle=True, seed=5),
    "random": lambda tmp: RandomDataSetIterator(
        3, (4, 2), (4, 3), "RANDOM_UNIFORM", "ONE_HOT", seed=5
    ),
}


def _first(batch):
    return np.asarray(batch.features).tolist()


@pytest.mark.parametrize("make", FACTORIES.values(), ids=FACTORIES.keys())
def test_a_state_without_a_seed_is_refused_and_changes_nothing(make, tmp_path):
    it = make(tmp_path)
    it.next()
    before = it.state_dict()
    no_seed = {k: v for k, v in before.items() if k != "seed"}
    for state in (dict(no_seed, seed=None), no_seed):
        with pytest.raises(ValueError, match="needs a seed"):
            it.load_state_dict(state)
        assert it.state_dict() == before
    fresh = make(tmp_path)
    fresh.next()
    assert _first(it.next()) == _first(fresh.next())
