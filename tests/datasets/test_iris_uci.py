"""The shipped Iris data and the UCI synthetic control series (DL4J's split reproduced)."""

from __future__ import annotations

import numpy as np
import pytest

from fastiter import FormatError, IrisDataSetIterator, UciSequenceDataSetIterator
from fastiter.datasets import DatasetNotFoundError, load_iris
from fastiter.datasets.uci import _JavaRandom, java_shuffle


# --- Iris ---------------------------------------------------------------------------
def test_iris_is_shipped_and_class_sorted():
    ds = IrisDataSetIterator().next()
    assert ds.features.shape == (150, 4) and ds.labels.shape == (150, 3)
    assert ds.features.dtype == np.float32
    np.testing.assert_array_equal(ds.labels.argmax(1), np.repeat([0, 1, 2], 50))
    # Fisher's published class means of sepal length (cm): 5.006, 5.936, 6.588
    means = [ds.features[ds.labels.argmax(1) == k, 0].mean() for k in range(3)]
    np.testing.assert_allclose(means, [5.006, 5.936, 6.588], atol=1e-4)
    np.testing.assert_allclose(ds.features[0], [5.1, 3.5, 1.4, 0.2])
    assert ds.label_names == ["setosa", "versicolor", "virginica"]


def test_iris_batches_and_num_examples():
    it = IrisDataSetIterator(40, 100)
    sizes = [len(d) for d in it]
    assert sizes == [40, 40, 20] and it.num_batches() == 3
    x, y = load_iris()
    it.reset()
    np.testing.assert_array_equal(np.concatenate([d.features for d in it]), x[:100])
    assert set(y[:100]) == {0, 1}


def test_iris_shuffled_is_a_permutation_and_reproducible():
    a = np.concatenate([d.features for d in IrisDataSetIterator(50, shuffle=True, seed=4)])
    b = np.concatenate([d.features for d in IrisDataSetIterator(50, shuffle=True, seed=4)])
    x, _ = load_iris()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, x)
    np.testing.assert_array_equal(np.sort(a, axis=0), np.sort(x, axis=0))


def test_iris_rejects_bad_batch():
    with pytest.raises(ValueError, match="batch must be >= 1"):
        IrisDataSetIterator(-1)


# --- java.util.Random ---------------------------------------------------------------
def test_java_random_matches_known_java_outputs():
    # new Random(42).nextInt() is -1170105035 then 234785527 (widely quoted values)
    r = _JavaRandom(42)
    assert (r.next_bits(32), r.next_bits(32)) == (-1170105035, 234785527)
    # nextInt(bound) for a power of two uses the high bits: (16 * next(31)) >> 31
    r1, r2 = _JavaRandom(7), _JavaRandom(7)
    assert r1.next_int(16) == (16 * r2.next_bits(31)) >> 31


def test_java_shuffle_is_fisher_yates_from_the_top():
    order = java_shuffle(600, 12345)
    assert sorted(order.tolist()) == list(range(600))
    assert java_shuffle(600, 12345).tolist() == order.tolist()
    assert java_shuffle(600, 1).tolist() != order.tolist()
    # first swap: position 599 with nextInt(600) of a fresh Random(12345)
    j = _JavaRandom(12345).next_int(600)
    manual = list(range(600))
    manual[599], manual[j] = manual[j], manual[599]
    assert order[599] == manual[599]


# --- UCI synthetic control ------------------------------------------------------------
@pytest.fixture
def uci_dir(tmp_path):
    rng = np.random.default_rng(11)
    series = (rng.normal(30, 2, (600, 60)) + np.arange(600)[:, None] // 100 * 10).round(4)
    with open(tmp_path / "synthetic_control.data", "w") as f:
        for row in series:  # UCI's layout: values separated by runs of spaces
            f.write("  ".join(f"{v:.4f}" for v in row) + "\n")
    return tmp_path, series.astype(np.float32)


def test_uci_split_shapes_and_repeated_labels(uci_dir):
    folder, series = uci_dir
    order = java_shuffle(600, 12345)
    for train, rows in ((True, order[:450]), (False, order[450:])):
        it = UciSequenceDataSetIterator(64, train=train, data_dir=folder)
        batches = list(it)
        feats = np.concatenate([d.features for d in batches])
        labels = np.concatenate([d.labels for d in batches])
        assert feats.shape == (len(rows), 1, 60) and labels.shape == (len(rows), 6, 60)
        np.testing.assert_allclose(feats[:, 0], series[rows], rtol=1e-6)
        want = np.eye(6, dtype=np.float32)[rows // 100]
        np.testing.assert_array_equal(labels, np.repeat(want[:, :, None], 60, axis=2))
        assert batches[0].features_mask is None and batches[0].labels_mask is None
    assert it.get_labels()[0] == "normal" and it.total_outcomes() == 6


def test_uci_splits_are_disjoint_and_cover_all(uci_dir):
    folder, _ = uci_dir
    tr = np.concatenate(
        [d.features[:, 0, 0] for d in UciSequenceDataSetIterator(100, True, data_dir=folder)]
    )
    te = np.concatenate(
        [d.features[:, 0, 0] for d in UciSequenceDataSetIterator(100, False, data_dir=folder)]
    )
    assert len(set(tr) | set(te)) == 600 and not set(tr) & set(te)


def test_uci_bad_file_and_offline(tmp_path):
    (tmp_path / "synthetic_control.data").write_text("1 2 3\n4 5 6\n")
    with pytest.raises(FormatError, match="600 lines of 60"):
        UciSequenceDataSetIterator(10, data_dir=tmp_path)
    with pytest.raises(DatasetNotFoundError, match="synthetic_control.data"):
        UciSequenceDataSetIterator(10, data_dir=tmp_path / "none", download=False)
