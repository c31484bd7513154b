"""BaseDatasetIterator's batch arithmetic and order, as properties over random settings."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastiter.dataset.order import epoch_permutation
from fastiter.datasets import BaseDatasetIterator, pixels_to_float


def _table(total):
    rng = np.random.default_rng(total)
    pixels = rng.integers(1, 256, (total, 3), dtype=np.uint8)
    pixels[:, 0] = np.arange(total) % 256  # column 0 identifies the row (total <= 256)
    return pixels, (np.arange(total) % 4).astype(np.uint8)


def _rows_of(ds):
    return (ds.features[:, 0] * 255).round().astype(int)


@given(
    total=st.integers(1, 120),
    batch=st.integers(1, 50),
    num=st.one_of(st.none(), st.integers(-3, 150)),
    shuffle=st.booleans(),
    seed=st.integers(0, 2**32),
    epochs=st.integers(1, 3),
)
def test_epochs_cover_the_subset_in_batches(total, batch, num, shuffle, seed, epochs):
    pixels, ids = _table(total)
    it = BaseDatasetIterator(batch, num, pixels, ids, 4, shuffle=shuffle, seed=seed)
    n = total if num is None or not 0 <= num <= total else num
    assert it.num_examples() == n and it.num_batches() == -(-n // batch)
    seen = []
    for epoch in range(epochs):
        if epoch:
            it.reset()
        batches = []
        while it.has_next():
            batches.append(it.next())
        sizes = [len(b) for b in batches]
        assert sizes == [batch] * (n // batch) + ([n % batch] if n % batch else [])
        rows = np.concatenate([_rows_of(b) for b in batches]) if batches else np.array([])
        assert len(set(rows.tolist())) == n
        for i, b in enumerate(batches):  # random access agrees with the cursor
            np.testing.assert_array_equal(it.batch_at(i).features, b.features)
            np.testing.assert_array_equal(b.labels.argmax(1), ids[_rows_of(b)])
        seen.append(sorted(rows.tolist()))
        if not shuffle:
            assert rows.tolist() == list(range(n))
    assert all(s == seen[0] for s in seen)  # every epoch: the same subset


@pytest.mark.parametrize("mode", ["scale", "binarize", "raw"])
def test_pixels_to_float_matches_a_reference(mode):
    p = np.arange(256, dtype=np.uint8).reshape(16, 16)
    want = {"scale": p / 255.0, "binarize": (p > 30) * 1.0, "raw": p * 1.0}[mode]
    out = np.empty(p.shape, np.float32)
    got = pixels_to_float(p, mode, out=out)
    assert got is out and got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize("mode", ["scale", "binarize", "raw"])
def test_batch_features_are_the_pixel_rows_converted(mode):
    rng = np.random.default_rng(5)
    pixels = rng.integers(0, 256, (40, 2, 5), dtype=np.uint8)
    it = BaseDatasetIterator(
        16, None, pixels, np.zeros(40, np.uint8), 1, shuffle=True, seed=3, pixel_mode=mode
    )
    for i in range(it.num_batches()):
        rows = epoch_permutation(40, 3, 0)[i * 16 : (i + 1) * 16]  # epoch 0's order
        block = pixels[rows].astype(np.float32)
        want = {
            "scale": block * np.float32(1 / 255),
            "binarize": (pixels[rows] > 30) * 1.0,
            "raw": block,
        }[mode]
        got = it.batch_at(i).features
        assert got.dtype == np.float32 and got.shape == (len(rows), 2, 5)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("mode", ["scale", "binarize", "raw"])
@pytest.mark.parametrize("shape", [None, (1, 2, 5)])
def test_one_call_batches_equal_the_general_path(mode, shape):
    """uint8 tables take one native call per batch; a float table (or a subclass with its
    own features) takes the general path.  Both must give the same batches."""
    rng = np.random.default_rng(9)
    pixels, ids = rng.integers(0, 256, (50, 10), dtype=np.uint8), rng.integers(0, 7, 50)
    kw = dict(
        shuffle=True, seed=11, pixel_mode=mode, feature_shape=shape, label_names=list("abcdefg")
    )
    fast = BaseDatasetIterator(12, 45, pixels, ids, 7, **kw)
    general = BaseDatasetIterator(12, 45, pixels, ids, 7, **kw)
    general._direct = None
    assert fast._direct is not None
    for _ in range(2):  # two epochs: the reshuffled order too
        got, want = list(fast), list(general)
        assert len(got) == len(want) == 4
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a.features, b.features)
            np.testing.assert_array_equal(a.labels, b.labels)
            assert a.features.dtype == a.labels.dtype == np.float32
            assert a.features.shape[1:] == (shape or (10,)) and a.label_names == list("abcdefg")
    np.testing.assert_array_equal(fast.batch_at(3).labels, general.batch_at(3).labels)


def test_pixels_to_float_rejects_non_pixels():
    with pytest.raises(TypeError, match="pixels must be a uint8 array.*float64"):
        pixels_to_float(np.ones(3))
    with pytest.raises(ValueError, match="mode must be one of"):
        pixels_to_float(np.ones(3, np.uint8), "gamma")


def test_constructor_checks():
    pixels, ids = _table(10)
    with pytest.raises(ValueError, match="one entry per example"):
        BaseDatasetIterator(2, None, pixels, ids[:5], 4)
    with pytest.raises(ValueError, match="pixel_mode"):
        BaseDatasetIterator(2, None, pixels, ids, 4, pixel_mode="gamma")
    with pytest.raises(TypeError, match="num_examples"):
        BaseDatasetIterator(2, 3.0, pixels, ids, 4)
    with pytest.raises(ValueError, match="outside"):
        BaseDatasetIterator(2, None, pixels, ids, 3)  # a class id of 3 with 3 classes
    with pytest.raises(ValueError, match="state cursor"):
        BaseDatasetIterator(2, None, pixels, ids, 4).load_state_dict(
            {"epoch": 0, "position": 0, "seed": 123, "cursor": 99}
        )


def test_no_features_needs_a_feature_shape_even_an_empty_one():
    # feature_shape=() (scalar examples) left nothing to take the shape from: it was an
    # AttributeError on None instead of the message that names the argument
    _, ids = _table(10)
    for shape in (None, ()):
        with pytest.raises(ValueError, match="feature_shape is required"):
            BaseDatasetIterator(2, None, None, ids, 4, feature_shape=shape)


class _Doubler:
    def pre_process(self, ds):
        ds.features *= 2


def test_python_iteration_equals_the_next_contract():
    """`for` (a one-frame __next__) and DL4J's has_next/next give the same batches, the
    pre-processor once per batch, and the same resumable position."""
    rng = np.random.default_rng(4)
    pixels, ids = rng.integers(0, 256, (30, 4), dtype=np.uint8), rng.integers(0, 3, 30)
    a = BaseDatasetIterator(7, None, pixels, ids, 3, shuffle=True, seed=2)
    b = BaseDatasetIterator(7, None, pixels, ids, 3, shuffle=True, seed=2)
    a.pre_processor = b.pre_processor = _Doubler()
    got = []
    for ds in a:
        got.append(ds)
        if len(got) == 3:
            break
    assert a.state_dict() == b.state_dict() | {"position": 3, "cursor": 21}
    while True:  # the rest of the epoch through __next__ (a new `for` would reset)
        try:
            got.append(next(a))
        except StopIteration:
            break
    want = []
    while b.has_next():
        want.append(b.next())
    assert len(got) == len(want) == 5
    for x, y in zip(got, want):
        np.testing.assert_array_equal(x.features, y.features)
        np.testing.assert_array_equal(x.labels, y.labels)
    assert got[0].features.max() > 1.0  # doubled once: pixels / 255 * 2
    assert a.state_dict() == b.state_dict()
    with pytest.raises(StopIteration):
        next(a)


def test_subclass_overriding_a_hook_keeps_the_base_chain():
    class Capped(BaseDatasetIterator):
        def has_next(self):  # stops after two batches
            return self._position < 2 and super().has_next()

    pixels = np.arange(40, dtype=np.uint8).reshape(10, 4)
    it = Capped(3, None, pixels, np.zeros(10, np.uint8), 1)
    assert [len(ds) for ds in it] == [3, 3]
